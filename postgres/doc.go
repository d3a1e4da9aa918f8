// Package postgres is the PostgreSQL storage engine of convstore: a
// convstore.Store over a pgx/v5 connection pool, safe to run on several
// nodes against one database.
//
// It mirrors the SQLite engine (sqlite/): the same tables and columns, the
// same codes and messages, the same blob removal queue. Where PostgreSQL
// works differently the difference stays in this package, explained where
// it happens:
//
//   - Writers run concurrently, on many nodes, in READ COMMITTED
//     transactions; SQLite has one writer. Concurrency is settled by row
//     locks on the conversation row: appends UPDATE it first, deletes take
//     SELECT … FOR UPDATE on it, other child writes FOR KEY SHARE (see
//     DeleteConversation and CreateMessages). Transactions that fail with
//     a serialization failure or deadlock are retried
//     (Options.SerializationRetries).
//   - Rows commit in any order, not in ID order, which affects only rows
//     created while a caller pages (see query.page).
//   - Background work is claimed with FOR UPDATE SKIP LOCKED, so two nodes
//     never do one job twice and a dead node's job is done by another
//     (see SweepBlobs).
//   - Migrations (package migration, run by goose) take a blocking advisory
//     lock, so nodes starting together migrate once.
//   - Text cannot hold NUL characters, which this engine refuses as
//     EINVALID (see checkText).
//   - Attachment bytes may live in the database itself (BlobStore, the
//     default), in chunks, so nodes need no shared disk.
//
// Subpackage pgtest opens throw-away stores in their own schemas for tests.
package postgres
