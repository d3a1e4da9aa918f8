// Package blob holds convstore.BlobStore implementations. FS keeps each blob
// as one file under a root directory, sharded by the first four characters
// of its key so no directory grows past a few hundred entries.
package blob
