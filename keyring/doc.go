// Package keyring keeps the keys that live outside the database: the epoch
// keys that wrap every conversation's data key, and the index root keys of
// blind indexes.
//
// A data key (seal.DEK) is stored only wrapped (Wrap) by the current epoch
// key, bound to its tenant and conversation. Because wrapped keys linger in
// the database's WAL, dead tuples, replicas and backups, the epoch rotates
// (Rotate), live data keys are wrapped again under the new epoch (by the
// store, in batches), and epochs retired for longer than the retention are
// destroyed (Destroy): from then on, every wrapped key they made, wherever
// a copy of it lies, is unrecoverable, and so is every conversation deleted
// before the rotation.
//
// The keyring is one file (0600), written atomically (a synced temporary
// file renamed into place, then the directory synced) under a lock file
// beside it, so several processes may share it. It is unsealed by default,
// or sealed by a master key given as a URL (MasterKeyURL): base64key://
// is built in; package keyring/kms adds the cloud KMS and Vault keepers of
// gocloud.dev/secrets in builds that import it.
//
// Open fails at once, changing nothing, when the master key is wrong or
// missing, the file is damaged or readable by others, or the file is
// missing and Config.Create is not set.
//
// Several nodes on one PostgreSQL database share one keyring file on a
// shared filesystem, as they share the blob store's root: the file is
// changed only under its lock file, from its latest contents, so two nodes'
// rotations never overwrite each other; each node calls Reload every few
// seconds (it costs a stat when nothing changed), and Unwrap reloads by
// itself on meeting an epoch newer than it knows. Epochs are not kept in
// the database, wrapped by the master key: there, every epoch key would
// linger in the WAL, dead tuples, replicas and backups, next to the data
// keys it wrapped, and destroying an epoch would remove nothing that the
// master key could not unwrap again from a backup; the guarantee would rest
// on destroying master key versions in the KMS instead, which not every KMS
// allows. A node that stopped reloading could still wrap under a retired
// epoch: destroy only epochs retired for far longer than the reload
// interval, and only after checking that no live data key is wrapped by
// them.
//
// What destroying an epoch relies on: that no copy of its key survives
// elsewhere. The replaced file is overwritten in place (best effort: a
// journaling or copy-on-write filesystem, an SSD or a snapshot may keep the
// old blocks), so do not back up the keyring beyond the retention, keep it
// off the database's disk, and prefer a master key held by a KMS, whose
// copies of old files are useless without it.
package keyring
