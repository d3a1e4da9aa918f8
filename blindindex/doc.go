// Package blindindex computes blind indexes: keyed hashes of the values a
// store looks up by equality (user_id, external_id, attachment names, tags,
// metadata pairs), so the value itself can be sealed and still be found.
//
// An index is HMAC-SHA256 under a per-tenant index key, over the field name
// and the value, truncated to Size (16) bytes. The tenant's key is derived
// (HKDF-SHA256) from an index root key that the keyring holds, with the
// tenant id as context, so tenants' indexes of one value differ and one
// tenant's key says nothing about another's.
//
// What an index reveals: to whoever reads the database, which rows of one
// tenant share a value in one field (equality within a tenant and field),
// and how often each value occurs; never the value, nor equality across
// tenants or fields. Whoever also holds the index root key can test
// guesses (is "alice@example.com" among tenant T's user ids?), which makes
// low-entropy values such as e-mail addresses or phone numbers guessable:
// the root key is as sensitive as the keyring's epoch keys, and an index of
// a deleted row lingering in a backup stays testable until the root key
// that made it is destroyed.
//
// Rotation: the keyring adds a new root key (Keyring.RotateIndexRoot); a
// re-index job then recomputes every row's index under the new root (it
// must open each sealed value), while lookups match either root's index;
// once every row carries the new index the old root is destroyed, and with
// it the testability of old indexes in backups.
//
// Normalization is the caller's: Index hashes the exact bytes given, which
// is the equality convstore's lookups use today. A field compared
// case-insensitively must be lower-cased (or otherwise normalized) before
// Index, the same way at write and at lookup.
package blindindex
