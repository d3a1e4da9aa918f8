// Package migration holds the PostgreSQL schema of convstore as numbered
// goose migrations (0001_init.sql, …), numbered in step with the SQLite
// engine's, embedded in the binary.
package migration

import "embed"

// FS holds the migration files at its root.
//
//go:embed *.sql
var FS embed.FS
