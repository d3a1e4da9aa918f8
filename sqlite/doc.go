// Package sqlite is the SQLite driver of convstore: a driver.Driver over
// one database file, under the service tier (package service), which holds
// every rule. It runs transactions, reads and writes rows, lets the schema
// cascade, and translates SQLite's errors at its edge; it decides nothing.
//
// It uses the pure-Go modernc.org/sqlite driver (see DRIVER.md for the
// measurements behind that choice). All writes go through one connection
// opened with _txlock=immediate, so write transactions are serialized in the
// process and take SQLite's write lock up front instead of failing with
// SQLITE_BUSY on upgrade; reads use a separate pool and see WAL snapshots.
// Its fixed statements are prepared once per pool when it opens (see
// stmt), so no hot path parses SQL.
//
// Every commit is durable before Write returns (synchronous=FULL: the WAL
// is fsynced). Writes that arrive together share one transaction and one
// fsync (group commit, see committer), each in a savepoint of its own, and
// each caller is answered after that commit. A write's statements are not
// interrupted by its caller's cancellation, which would roll back the
// shared transaction; a write whose caller gives up before it starts never
// runs. One writer also means the service's ids, drawn inside Write,
// commit in id order, so a reader paging by id never skips a row that
// commits later.
//
// Where it differs from the PostgreSQL driver, it says why: its locks
// (ConversationLock, TenantLock, KeyLock) only check that the row exists,
// and its claims of blob removals need no SKIP LOCKED, since no other
// write can run meanwhile; it has no upload intents of other nodes to
// reclaim.
//
// Cascades are done by the schema (ON DELETE CASCADE with foreign_keys on,
// every tenant-owned table keyed to its tenant since migration 0005), and
// secure_delete overwrites deleted content in the file.
package sqlite
