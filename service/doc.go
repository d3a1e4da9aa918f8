// Package service is convstore's service tier: the one implementation of
// convstore.Store, over any engine's driver.Driver. Every rule lives here,
// once, for every engine: validation (nil inputs included), ids, sequence
// numbers and the clock (injected through Options), caps, the upload
// protocol, receipts and audit entries for every destructive and
// administrative action, API-key authentication with its cache and the
// background recording of last use, and the background loops that remove
// attachment bytes and sweep expired tokens. A driver below only runs
// transactions and reads and writes rows.
//
// The doors depend on the convstore interfaces, which Service implements;
// cmd/convstore wires a Service over the engine it opens. Sealed content,
// purge, retention, holds, tombstones and the outbox belong here too, one
// file per entity or concern.
//
// # Authentication
//
// A successful Authenticate or AuthenticateAccessToken is remembered for
// at most Options.AuthCacheTTL (DefaultAuthCacheTTL, 5 seconds), by the
// SHA-256 of the secret. Revoking a key (DeleteKey) drops its entries on
// this node at once; on every other node sharing the database the key and
// its tokens stop authenticating within AuthCacheTTL. A cached access token
// is never accepted past its expiry.
//
// A key's last use is recorded in memory and written in the background, at
// most once per Options.KeyUseResolution (DefaultKeyUseResolution, one
// minute) per key, all keys in one write: authentication itself never
// writes. FindKeys shows the uses this node has not written yet.
//
// # Sealed content
//
// With Options.Keyring, every content field is sealed (package seal)
// before it reaches the driver and opened after it is read (seal.go,
// sealrow.go, sealblob.go): each value under its conversation's data key,
// bound to its tenant, conversation, table, column and row. A
// conversation's data key is drawn when it is created, stored wrapped by
// the keyring's current epoch, cached unwrapped for Options.KeyCacheTTL,
// and deleted with the conversation in the delete's transaction. Looked-up
// fields get blind indexes under the tenant's index key. A value that does
// not open is EINTEGRITY, logged with ids only. Rows stored before sealing
// read as they are, and RunSealUpgrade seals them in the background
// (sealupgrade.go). Open refuses a store sealed with another keyring.
//
// # Key rotation and restores
//
// RunSweeper also rotates a sealed store's keys (rotation.go): every
// Options.KeyEpoch a new epoch starts, every live data key is wrapped
// again under it in small batches (claimed with SKIP LOCKED across
// PostgreSQL nodes), and epochs retired longer than Options.KeyRetention
// are destroyed once no live key needs them, stamping shredded_at on the
// receipts they shred. A pass is resumable: the keys' epochs say what is
// left. RotateKeys runs one at once. A restore (restore.go) re-applies
// what the database being replaced deleted since the backup (receipts,
// message and artifact deletes, key revocations) and adopts its
// re-wrapped data keys.
//
// # Erasure jobs
//
// CreateErasure (erasure.go) counts what a selector matches through the
// blind indexes and records a job whose id is its snapshot; RunSweeper
// runs jobs on every node (erasurerun.go): each is claimed with a lease,
// its conversations deleted one by one through DeleteConversation (one
// receipt each, naming the job) in id order after its cursor, and its
// cursor, counts and lease committed every batch, so a job resumes on any
// node after a crash without deleting anything twice. A refusal by a rule
// (a legal hold) counts the conversation as held. The job keeps its
// selector sealed under a data key of its own, and drops both when it
// ends.
//
// # Deletes and the purge
//
// A conversation's delete is one short transaction whatever its size
// (conversation.go): the driver destroys its data key and marks it deleted,
// which every read and write then treats as missing, and the receipt, the
// audit entry and a purge job are written with it. RunSweeper's purger
// (purge.go) removes the rows and queues the bytes in bounded batches,
// each renewing a lease on the job (claimed with SKIP LOCKED across
// PostgreSQL nodes; a job whose purger died is resumed once its lease
// ends), as background writes that give way to every other write on
// SQLite's single writer (driver.WriteParams.Background), checkpointing
// its WAL, and stamps purged_at on the receipt when done.
//
// # Events
//
// Every deletion-related change writes its event to the outbox in its own
// transaction (event.go): deletes, purges, shreddings, restores, erasure
// jobs' ends, retention runs, holds and item deletes, unnumbered (no
// change waits for another on a tenant-wide lock). Committed events are
// numbered from the tenant's counter row, in commit order and without
// gaps on both engines, by FindEvents before it reads and by RunSweeper
// (NumberEvents), which also prunes them after Options.EventRetention.
// Payloads carry ids, counts and times, never content
// (api/events.schema.json). Delivery (webhooks, NATS) comes next.
package service
