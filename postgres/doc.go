// Package postgres is the PostgreSQL driver of convstore: a driver.Driver
// over a pgx/v5 connection pool, safe to run on several nodes against one
// database. The service tier (package service) runs over it and holds
// every rule; this package decides nothing, and keeps what is PostgreSQL's
// own here, explained where it happens:
//
//   - Writers run concurrently, on many nodes, in READ COMMITTED
//     transactions; SQLite has one writer. Concurrency is settled by row
//     locks on the conversation row: ConversationLock takes FOR KEY SHARE
//     or FOR NO KEY UPDATE, updates lock the row as they write it, and
//     ConversationDelete takes FOR UPDATE before it counts what goes.
//     The tenant's row serialises rules across its keys (TenantLock).
//   - Write runs its function again when the transaction failed without
//     a trace: a serialization failure or deadlock (40001, 40P01;
//     Options.SerializationRetries), or a connection lost before COMMIT
//     (once, on a fresh connection). Read runs again once on a lost
//     connection, and so does each statement of Reads.
//   - No wait is unbounded: a statement waits for a lock at most
//     Options.LockTimeout (lock_timeout), runs at most
//     Options.StatementTimeout (statement_timeout), and a call waits for a
//     pooled connection at most Options.AcquireTimeout; each fails with
//     ETIMEOUT. Writes to one conversation take turns on each node before
//     they take a connection (see gates), so one locked row holds one
//     connection, not the pool.
//   - Readiness (Ping) runs on the node's own connection (see session),
//     never behind ordinary work; that connection also holds the node's
//     advisory lock, which tells the upload intents of live nodes from
//     those of dead ones (BlobRemovalReclaimUploads).
//   - Background work is claimed with FOR UPDATE SKIP LOCKED, so two nodes
//     never do one job twice and a dead node's job goes to another
//     (BlobRemovalClaimDue, BlobRemovalClaim, AccessTokenDeleteExpired).
//   - Uniqueness is checked by INSERT … ON CONFLICT DO NOTHING and the row
//     count, never by letting a unique violation happen: its DETAIL line
//     would write the value (an external id, a tenant name) to the
//     server's log (see insertedOne).
//   - Errors are translated at the edge by SQLSTATE and pgx's error types
//     (see translate), never by their text.
//   - Statements are prepared once per connection and reused (pgx's
//     statement cache; every statement is one of a fixed set of texts).
//   - Rows commit in any order, not in ID order, which affects only rows
//     created while a caller pages (see query.page).
//   - Migrations (package migration, run by goose) take a blocking
//     advisory lock, so nodes starting together migrate once.
//   - Attachment bytes may live in the database itself (BlobStore), in
//     chunks, so nodes need no shared disk; a removal made inside one of
//     the driver's transactions joins it.
//
// Subpackage pgtest opens drivers, services over them (nodes) and the
// conformance suites' harnesses, each in a schema of its own, for tests.
package postgres
