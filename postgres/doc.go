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
//   - No wait is unbounded: a statement waits for a lock at most
//     Options.LockTimeout (lock_timeout) and a call waits for a pooled
//     connection at most Options.AcquireTimeout; both fail with ETIMEOUT.
//     Writes to one conversation take turns on each node before they take
//     a connection (see gates), so one locked row holds one connection,
//     not the pool. Readiness (Ping) runs on the node's own connection
//     (see session), never behind ordinary work.
//   - A call whose connection was lost (a restart, pg_terminate_backend, a
//     pooler or proxy closing it) runs once more on a fresh connection if
//     it may: a read, or a transaction that had not sent COMMIT.
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
//     default), in chunks, so nodes need no shared disk. They are removed
//     after a delete's commit, in the background; the call returns once
//     the commit is done. An upload intent names the node uploading, so a
//     node starting up removes the uploads of nodes that died mid-upload
//     (see reclaimUploads) without touching live ones.
//
// Subpackage pgtest opens throw-away stores in their own schemas for tests.
package postgres
