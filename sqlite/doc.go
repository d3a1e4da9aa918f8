// Package sqlite is the SQLite storage engine of convstore: a
// convstore.Store over one database file, with attachment bytes kept in a
// convstore.BlobStore.
//
// It uses the pure-Go modernc.org/sqlite driver (see DRIVER.md for the
// measurements behind that choice). All writes go through one connection
// opened with _txlock=immediate, so write transactions are serialized in the
// process and take SQLite's write lock up front instead of failing with
// SQLITE_BUSY on upgrade; reads use a separate pool and see WAL snapshots.
//
// Every commit is durable before the call returns (synchronous=FULL: the
// WAL is fsynced), creates as much as deletes: a receipt, or an
// acknowledged write, survives a power loss. Writes that arrive together
// share one transaction and one fsync (group commit, see committer), each
// in a savepoint of its own, and each caller is answered after that
// commit. A write's statements are not interrupted by its caller's
// cancellation, which would roll back the shared transaction; a write
// whose caller gives up before it starts never runs.
// New IDs are drawn inside the write transaction, so rows commit in ID order
// and a reader paging by ID never skips a row that commits later.
//
// Cascades are done by the schema (ON DELETE CASCADE with foreign_keys on),
// and secure_delete overwrites deleted content in the file. Attachment bytes
// cannot share the database transaction, so their removal is queued in the
// blob_removals table inside it and carried out after commit, in the
// background; SweepBlobs finishes whatever a crash interrupted, and Open
// removes the partial uploads a killed process left (blob.FS).
package sqlite
