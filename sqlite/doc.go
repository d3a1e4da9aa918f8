// Package sqlite is the SQLite storage engine of convstore: a
// convstore.Store over one database file, with attachment bytes kept in a
// convstore.BlobStore.
//
// It uses the pure-Go modernc.org/sqlite driver (see DRIVER.md for the
// measurements behind that choice). All writes go through one connection
// opened with _txlock=immediate, so write transactions are serialized in the
// process and take SQLite's write lock up front instead of failing with
// SQLITE_BUSY on upgrade; reads use a separate pool and see WAL snapshots.
// New IDs are drawn inside the write transaction, so rows commit in ID order
// and a reader paging by ID never skips a row that commits later.
//
// Cascades are done by the schema (ON DELETE CASCADE with foreign_keys on),
// and secure_delete overwrites deleted content in the file. Attachment bytes
// cannot share the database transaction, so their removal is queued in the
// blob_removals table inside it and carried out after commit; SweepBlobs
// finishes whatever a crash interrupted.
package sqlite
