// Package driver is the interface every storage engine of convstore
// implements: a wide but dumb set of named, tenant-scoped operations on
// rows, run inside transactions the driver manages. The service tier
// (package service) holds every rule above it; a driver decides nothing.
//
// A driver does not validate input, enforce caps, draw ids or sequence
// numbers, read a clock, or write audit entries: every value it stores is
// given to it. What it owns is how its engine works: transactions and
// their durability, locking, retries, statement preparation, cascades
// done by the schema, and translating the engine's errors into domain
// errors at its edge:
//
//   - a missing row is ENOTFOUND (convstore.NotFound with the kind each
//     operation documents), never (nil, nil);
//   - a uniqueness conflict is ECONFLICT with the message of this
//     package's Err* constructors, found by the engine's error codes or by
//     INSERT … ON CONFLICT DO NOTHING and a row count, never by matching
//     error text;
//   - a wait the engine gave up (a lock, a statement, a pool connection)
//     is ETIMEOUT; an engine that cannot serve (closed, unreachable, busy
//     past its retries) is EUNAVAILABLE;
//   - context errors pass through, and so do the errors fn returns.
//
// Times are given in UTC at the microsecond, which both engines store
// exactly, and read back in UTC. Empty metadata, JSON values and id lists
// read back as nil; an empty external id is stored as none (NULL, which
// the unique index ignores).
//
// Every operation that touches tenant data takes the tenant and puts it in
// every WHERE clause: another tenant's row is missing, exactly like one
// that never existed. The two exceptions are named: KeyListByPrefix (finding
// the tenant of a secret is its purpose) and the blob-removal queue, whose
// keys are random and belong to no tenant.
//
// Where engines must differ (SQLite has one writer and commits in groups;
// PostgreSQL runs writers concurrently on many nodes and takes row locks,
// retries serialization failures and claims work with FOR UPDATE SKIP
// LOCKED), the difference stays inside the driver, explained where it
// happens. Package drivertest is the conformance suite every driver passes.
package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// Driver is a storage engine. Its methods are safe for concurrent use.
type Driver interface {
	// Name is the engine's name, "sqlite" or "postgres", for logs.
	Name() string

	// Read runs fn in a read-only transaction: every operation fn calls on
	// r sees one snapshot. fn must not keep r after it returns. Its error
	// is returned as is; the driver's own errors are translated.
	Read(ctx context.Context, fn func(ctx context.Context, r Reader) error) error

	// Write runs fn in a read-write transaction and returns once it has
	// committed durably (nil: a power loss after the return keeps it) or
	// failed (fn's error, or the driver's, translated); nothing of a
	// failed write remains.
	//
	// fn may run more than once: a driver runs it again when the
	// transaction failed in a way that leaves no trace and may well
	// succeed on a second try (a serialization failure, a deadlock, a
	// connection lost before COMMIT). So fn draws its ids and times inside,
	// assigns its results rather than appending to them, and has no
	// effect outside the transaction except idempotent ones (removing a
	// blob). The ids fn draws follow commit order on a driver with one
	// writer.
	//
	// The ctx given to fn is the driver's: pass it to every operation of
	// tx and to blob store calls made within (a driver may carry its
	// transaction in it, for a blob store in the same database to join).
	// It may outlive the caller's cancellation: a driver that runs
	// several callers' writes in one transaction (SQLite's group commit)
	// does not let one caller's cancellation roll back the others'. If
	// ctx ends before fn starts, fn never runs.
	Write(ctx context.Context, p WriteParams, fn func(ctx context.Context, tx Tx) error) error

	// Reads returns a Reader whose operations each run on their own,
	// outside any transaction: the cheapest way to run one statement. Two
	// calls may see different states of the database.
	Reads() Reader

	// Ping reports whether the engine can serve: EUNAVAILABLE if not.
	Ping(ctx context.Context) error

	// Close waits for the writes under way and releases the engine's
	// resources. Calls after Close fail with EUNAVAILABLE.
	Close() error
}

// WriteParams says what a write transaction changes, for the drivers that
// order writes by it.
type WriteParams struct {
	// TenantID and ConversationID name the one conversation the write
	// changes (its row or its children), or are zero. A driver may let
	// writes to one conversation take turns before they take a
	// connection (PostgreSQL: so that writes queued on one row lock hold
	// one pooled connection, not the pool); waiting too long for the turn
	// is ETIMEOUT.
	TenantID, ConversationID convstore.ID
	// Background marks work that can wait (the purge's batches). A driver
	// with one writer (SQLite) runs it only when no other write is queued,
	// in a transaction of its own, reports Tx.Busy when a write arrives or
	// a read runs, and commits it without waiting for the disk: a
	// background write may be lost to a power failure until a later
	// commit makes it durable, so it must be one that is redone if lost.
	// PostgreSQL runs it as any write, committed with synchronous_commit
	// off (the same trade: no wait for the WAL's flush) unless it ran
	// beside the foreground (Tx.Busy): then its commit flushes its own
	// WAL, so that the requests' next commits do not.
	Background bool
}

// OnConversation returns the WriteParams of a write to one conversation.
func OnConversation(tenantID, conversationID convstore.ID) WriteParams {
	return WriteParams{TenantID: tenantID, ConversationID: conversationID}
}

// Reader is the read operations. Each list returns at most Page.Limit rows
// (the service asks for one more than it shows, to tell whether more
// follow) and an empty slice, not nil, when nothing matches.
type Reader interface {
	// TenantGet returns a tenant. ENOTFOUND "tenant".
	TenantGet(ctx context.Context, id convstore.ID) (*convstore.Tenant, error)
	// TenantList returns every tenant, oldest first (by id).
	TenantList(ctx context.Context) ([]*convstore.Tenant, error)

	// KeyListByPrefix returns every key whose stored prefix is prefix,
	// with its hash, of any tenant: the one key lookup without a tenant,
	// since finding it is the purpose.
	KeyListByPrefix(ctx context.Context, prefix string) ([]*KeyRow, error)
	// KeyList returns the tenant's keys, oldest first (by id).
	KeyList(ctx context.Context, tenantID convstore.ID) ([]*convstore.APIKey, error)
	// AccessTokenKey returns the key that the access token with this hash
	// was issued for, and when the token expires, if it was issued for
	// audience, expires after now and the key still exists, in one
	// statement. ENOTFOUND "access token" otherwise.
	AccessTokenKey(ctx context.Context, hash []byte, audience string, now time.Time) (*convstore.APIKey, time.Time, error)

	// ConversationGetByID returns a conversation. ENOTFOUND "conversation".
	ConversationGetByID(ctx context.Context, tenantID, id convstore.ID) (*ConversationRow, error)
	// ConversationGetBySeq returns a conversation by its sequence number.
	// ENOTFOUND "conversation".
	ConversationGetBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*ConversationRow, error)
	// ConversationGetByExternalID returns the conversation stored with
	// that (non-empty) external id: by its blind index, or (a row written
	// before sealing, without one) by the plaintext. ENOTFOUND
	// "conversation".
	ConversationGetByExternalID(ctx context.Context, tenantID convstore.ID, externalIndex []byte, externalID string) (*ConversationRow, error)
	// ConversationList returns a page of the conversations p.Filter
	// selects, ordered by id as p.Page says.
	ConversationList(ctx context.Context, p *ConversationListParams) ([]*ConversationRow, error)
	// ConversationDigestList is ConversationList(p.List) with, for the
	// conversations listed, MessageListEnds(p.First, p.Last) and
	// ArtifactNewest(p.Types), all of one snapshot, also outside a
	// transaction (Reads), where a server engine reads them in one round
	// trip, its transaction's BEGIN and COMMIT included.
	ConversationDigestList(ctx context.Context, p *ConversationDigestListParams) (*ConversationDigestRows, error)
	// ConversationCount counts the conversations p selects, ignoring
	// p.Page.
	ConversationCount(ctx context.Context, p *ConversationListParams) (int, error)
	// ConversationUserList returns a page of the users of the
	// conversations p.List selects (its Page ignored): the conversations
	// with a user id grouped by its blind index (a row without one, stored
	// before sealing, by its plaintext), each group with its count, its
	// oldest and newest created_at and its newest conversation by id, in
	// one query, ordered as p says.
	ConversationUserList(ctx context.Context, p *ConversationUserListParams) ([]*ConversationUserRow, error)

	// MessageGet returns one message of the conversation, or of any of the
	// tenant's conversations if conversationID is zero. ENOTFOUND
	// "message".
	MessageGet(ctx context.Context, tenantID, conversationID, id convstore.ID) (*MessageRow, error)
	// MessageGetByExternalIndex returns the tenant's newest message, of a
	// live conversation, stored with ExternalIndex idx. ENOTFOUND
	// "message".
	MessageGetByExternalIndex(ctx context.Context, tenantID convstore.ID, idx []byte) (*MessageRow, error)
	// MessageList returns a page of the conversation's messages. It does
	// not tell a missing conversation from an empty one.
	MessageList(ctx context.Context, p *MessageListParams) ([]*MessageRow, error)
	// MessageCountIn counts how many of ids (distinct, as the caller
	// guarantees) are messages of the conversation.
	MessageCountIn(ctx context.Context, tenantID, conversationID convstore.ID, ids []convstore.ID) (int, error)
	// MessageListEnds returns the first p.First and last p.Last messages
	// of each conversation in p.ConversationIDs, in a number of queries
	// that does not grow with them (for list views). Conversations
	// without messages, missing or another tenant's are absent from the
	// map.
	MessageListEnds(ctx context.Context, p *MessageListEndsParams) (map[convstore.ID]*MessageEnds, error)
	// MessageListRanges returns a page of messages for each of p.Ranges
	// (the i-th for the i-th range, each as MessageList would return it)
	// in one statement, for list views. A missing conversation or another
	// tenant's has an empty page.
	MessageListRanges(ctx context.Context, p *MessageListRangesParams) ([][]*MessageRow, error)

	// AuthorList returns the author rows of each of conversationIDs,
	// each conversation's ordered by first message id. Conversations
	// without any, missing or another tenant's are absent from the map.
	AuthorList(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) (map[convstore.ID][]*AuthorRow, error)
	// AuthorPendingIn returns those of conversationIDs whose author rows
	// are incomplete: conversations stored before the rows were kept.
	AuthorPendingIn(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) ([]convstore.ID, error)

	// ArtifactGet returns one artifact of the conversation, or of any of
	// the tenant's conversations if conversationID is zero. ENOTFOUND
	// "artifact".
	ArtifactGet(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Artifact, error)
	// ArtifactList returns a page of the conversation's artifacts, or with
	// a zero p.ConversationID of all live conversations of the tenant.
	ArtifactList(ctx context.Context, p *ArtifactListParams) ([]*convstore.Artifact, error)
	// ArtifactListRanges is MessageListRanges for artifacts.
	ArtifactListRanges(ctx context.Context, p *ArtifactListRangesParams) ([][]*convstore.Artifact, error)
	// ArtifactNewest returns the newest artifact of each of p.Types in
	// each of p.ConversationIDs (out[i][k]: the i-th conversation's of the
	// k-th type, nil for none), in a number of queries that does not grow
	// with them (for list views). A missing conversation or another
	// tenant's has none.
	ArtifactNewest(ctx context.Context, p *ArtifactNewestParams) ([][]*convstore.Artifact, error)

	// AttachmentGetByName returns an attachment with its blob key.
	// ENOTFOUND "attachment".
	AttachmentGetByName(ctx context.Context, tenantID, conversationID convstore.ID, name NameLookup) (*AttachmentRow, error)
	// AttachmentList returns a page of the conversation's attachments.
	AttachmentList(ctx context.Context, p *AttachmentListParams) ([]*convstore.Attachment, error)
	// AttachmentCount counts the conversation's attachments.
	AttachmentCount(ctx context.Context, tenantID, conversationID convstore.ID) (int, error)

	// BlobKeysKnown returns those of keys that an attachment refers to or
	// the removal queue holds (for the orphan sweep).
	BlobKeysKnown(ctx context.Context, keys []string) ([]string, error)
	// BlobRemovalStats counts the queued blob removals, and those due at
	// now.
	BlobRemovalStats(ctx context.Context, now time.Time) (due, total int64, err error)

	// DeletionGet returns a deletion receipt. ENOTFOUND "deletion".
	DeletionGet(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error)
	// DeletionList returns a page of receipts.
	DeletionList(ctx context.Context, p *DeletionListParams) ([]*convstore.Deletion, error)
	// RestoreWindowGet returns the tenant's restore window in days; 0
	// if never set.
	RestoreWindowGet(ctx context.Context, tenantID convstore.ID) (int, error)
	// CORSOriginsGet returns the tenant's allowed origins, sorted.
	CORSOriginsGet(ctx context.Context, tenantID convstore.ID) ([]string, error)
	// CORSOriginAllowed reports whether any tenant allows origin (given
	// normalized).
	CORSOriginAllowed(ctx context.Context, origin string) (bool, error)
	// PurgeJobCount counts the queued purge jobs of every tenant (for
	// the backlog metric).
	PurgeJobCount(ctx context.Context) (int64, error)
	// WebhookDeliveryBacklog counts the webhook deliveries of every
	// tenant not finished yet, pending or delivering (for metrics).
	WebhookDeliveryBacklog(ctx context.Context) (int64, error)
	// AuditGet returns an audit entry. ENOTFOUND "audit entry".
	AuditGet(ctx context.Context, tenantID, id convstore.ID) (*convstore.AuditEntry, error)
	// AuditList returns a page of audit entries.
	AuditList(ctx context.Context, p *AuditListParams) ([]*convstore.AuditEntry, error)

	// ConversationKeyGet returns a conversation's wrapped data key.
	// ENOTFOUND "conversation key" (also once the conversation is
	// deleted: the delete removes the key first).
	ConversationKeyGet(ctx context.Context, tenantID, conversationID convstore.ID) (*ConversationKey, error)
	// ConversationKeyGetMany returns the wrapped data keys of the
	// conversations in ids (distinct, at most convstore.MaxBatchRanges) in
	// one query, in no order: a list view opens a page's keys at once.
	// Conversations without a key, missing or another tenant's are absent.
	ConversationKeyGetMany(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) ([]*ConversationKey, error)
	// StoreMetaGet returns the value of a store meta row (see
	// MetaKeyringID). ENOTFOUND "store meta".
	StoreMetaGet(ctx context.Context, name string) (string, error)

	// ConversationKeyEpochs counts the live wrapped data keys of every
	// tenant by the epoch that wrapped them, oldest epoch first (a system
	// job: epochs belong to no tenant). Epochs without keys are absent.
	ConversationKeyEpochs(ctx context.Context) ([]EpochKeys, error)
	// ConversationKeyList returns a page of the wrapped data keys of every
	// tenant, ordered by (tenant, conversation), after p's position (a
	// system job: a restore carries the live keys into a backup).
	ConversationKeyList(ctx context.Context, p *ConversationKeyListParams) ([]*ConversationKey, error)
	IndexRootReader
	HoldReader
	EndUserReader
	TagReader
	RetentionReader
	ErasureReader
	EventReader
	WebhookReader
	ConfirmationReader
}

// Tx is the operations of a write transaction: every read, and the writes.
// Writes report what they found (ENOTFOUND, ECONFLICT) without deciding
// what it means: the service does.
type Tx interface {
	Reader
	IndexRootTx
	HoldTx
	EndUserTx
	TagTx
	TombstoneTx
	IdempotencyTx
	RetentionTx
	ErasureTx
	EventTx
	WebhookTx
	ConfirmationTx

	// Busy reports, in a background write (WriteParams.Background), that
	// the foreground is busy beside it, so work done in steps ends the
	// transaction after the current step: on a single-writer engine
	// (OneWriter) a foreground write waits for the writer or a read is
	// under way; on one with concurrent writers, foreground transactions
	// began on this node since the write did, or run now. False in a
	// foreground write.
	Busy() bool

	// TenantInsert stores a tenant. ECONFLICT ErrTenantNameTaken.
	TenantInsert(ctx context.Context, t *convstore.Tenant) error
	// TenantLock locks the tenant's row until the transaction ends, so
	// that writes checking a rule across the tenant's keys (its last
	// admin key) take turns, on every node. ENOTFOUND "tenant".
	TenantLock(ctx context.Context, id convstore.ID) error

	// KeyInsert stores a key with the hash of its secret. ECONFLICT
	// ErrKeyTaken if some key has that hash; ENOTFOUND "tenant" if the
	// tenant is missing.
	KeyInsert(ctx context.Context, k *KeyRow) error
	// KeyLock locks the key's row against deletion until the transaction
	// ends (writes that refer to the key). ENOTFOUND "key".
	KeyLock(ctx context.Context, tenantID, id convstore.ID) error
	// KeyDelete deletes a key and, by the schema's cascade, its access
	// tokens. ENOTFOUND "key".
	KeyDelete(ctx context.Context, tenantID, id convstore.ID) error
	// KeyTouch sets each key's last use to the use's time where that is
	// later than the stored one (or none is stored). Keys that are gone
	// are skipped.
	KeyTouch(ctx context.Context, uses []KeyUse) error

	// AccessTokenInsert stores an access token. ECONFLICT ErrTokenTaken
	// on a hash collision; ENOTFOUND "key" if the key is missing.
	AccessTokenInsert(ctx context.Context, t *AccessTokenRow) error
	// AccessTokenTrim deletes the key's tokens beyond the keep most
	// recently created, returning how many it deleted.
	AccessTokenTrim(ctx context.Context, tenantID, keyID convstore.ID, keep int) (int, error)
	// AccessTokenDeleteExpired deletes at most limit tokens that expire at
	// or before now, returning how many. A driver with several nodes
	// skips rows another transaction holds.
	AccessTokenDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
	// AccessTokenDelete deletes the token with this hash (a sign-out),
	// reporting whether there was one.
	AccessTokenDelete(ctx context.Context, hash []byte) (bool, error)

	// ConversationInsert stores a conversation as given (id, seq, counts
	// and times included). ENOTFOUND "tenant" if the tenant is missing;
	// ECONFLICT ErrExternalIDTaken if the tenant has a
	// conversation with that external id; ErrSeqTaken if the sequence
	// number (unique across tenants) is taken, after which the
	// transaction is still usable and the caller draws another.
	ConversationInsert(ctx context.Context, c *ConversationRow) error
	// ConversationLock locks the conversation's row until the transaction
	// ends, as mode says, and reports it missing as ENOTFOUND of kind
	// (the service names what the caller asked for: a child's delete
	// reports the child).
	ConversationLock(ctx context.Context, tenantID, id convstore.ID, mode LockMode, kind string) error
	// ConversationUpdate changes the set fields and returns the row.
	// ENOTFOUND "conversation".
	ConversationUpdate(ctx context.Context, p *ConversationUpdateParams) (*ConversationRow, error)
	// ConversationBumpMessages adds p.Delta to the message count, moves
	// updated_at as ConversationUpdate does, and returns the new count.
	// It locks the row as LockUpdate does. ENOTFOUND "conversation".
	ConversationBumpMessages(ctx context.Context, p *ConversationBumpParams) (int, error)
	// ConversationDelete deletes a conversation in time that does not
	// grow with it: it deletes its wrapped data key (from the commit on no
	// path can open its content), marks its row deleted (every read of the
	// conversation and of its children treats it as missing from the
	// commit on, and its external id is free again) and drops its
	// metadata index rows. Its messages, artifacts and attachment records
	// stay, invisible, until PurgeBatch removes them. It reports what the
	// conversation holds: its sequence number, its message count (the
	// row's counter, which every write keeps exact), and its artifacts,
	// attachments and their bytes counted by index, under a lock that
	// excludes every write to the conversation, so they are exactly what
	// the purge will remove. BlobKeys is empty: PurgeBatch returns them as
	// it removes their records. ENOTFOUND "conversation" (also for one
	// already deleted).
	ConversationDelete(ctx context.Context, tenantID, id convstore.ID) (*ConversationDeleted, error)

	// ConversationHide is ConversationDelete under a restore window: it
	// marks the row deleted and counts what it holds as ConversationDelete
	// does, but keeps its data key, metadata index rows and external id,
	// so ConversationRestore can bring it back. KeyEpoch is 0.
	// ENOTFOUND "conversation" (also for one already deleted).
	ConversationHide(ctx context.Context, tenantID, id convstore.ID) (*ConversationDeleted, error)
	// ConversationRestore unmarks a conversation ConversationHide marked,
	// if its purge job is due after now and not leased: it removes the
	// job and the conversation's tombstone, and sets restored_at = now on
	// the job's receipt, whose id it returns. ENOTFOUND "conversation"
	// otherwise (unknown, live, past its window).
	ConversationRestore(ctx context.Context, tenantID, id convstore.ID, now time.Time) (convstore.ID, error)
	// PurgeJobExpire ends the restore window of a job with a DueAt: it
	// destroys the conversation's data key, drops its metadata index rows
	// and frees its external id (what ConversationDelete does at once),
	// records the key's epoch on the receipt, and clears the job's DueAt.
	// Doing it again is harmless.
	PurgeJobExpire(ctx context.Context, j *PurgeJob) error
	// PurgeJobLockWindowed locks the purge job of a conversation hidden
	// within its restore window whose data key is not destroyed yet (the
	// job still has a DueAt), as ConversationLock with LockUpdate does a
	// live conversation's row: for a hold placed on it, which must be
	// seen by, or wait for, the PurgeJobExpire of that job. ENOTFOUND
	// "conversation" otherwise.
	PurgeJobLockWindowed(ctx context.Context, tenantID, conversationID convstore.ID) error
	// RestoreWindowSet sets the tenant's restore window in days (0: off).
	RestoreWindowSet(ctx context.Context, tenantID convstore.ID, days int) error
	// CORSOriginsSet replaces the tenant's allowed origins.
	CORSOriginsSet(ctx context.Context, tenantID convstore.ID, origins []string) error

	// PurgeJobInsert queues the purge of a conversation ConversationDelete
	// marked deleted, in the same transaction.
	PurgeJobInsert(ctx context.Context, j *PurgeJob) error
	// PurgeJobClaim leases to p.Owner until p.Until up to p.Limit purge
	// jobs of any tenant (a system job) whose lease is free or ended at
	// p.Now, oldest first, and returns them: a driver with several nodes
	// skips jobs another transaction holds (FOR UPDATE SKIP LOCKED), so
	// two purgers never claim one job, and a purger that died leaves a
	// lease that ends, after which another resumes the job.
	PurgeJobClaim(ctx context.Context, p *PurgeJobClaimParams) ([]*PurgeJob, error)
	// PurgeJobRenew extends owner's lease on the conversation's job until
	// until. ENOTFOUND "purge job" if the job is gone or leased to another
	// purger (this one's lease ended and the job was claimed again): the
	// caller stops, so no two purgers work on one job.
	PurgeJobRenew(ctx context.Context, conversationID, owner convstore.ID, until time.Time) error
	// PurgeBatch removes up to p.Limit rows of a conversation marked
	// deleted: attachment records first (their blob keys returned, for the
	// caller to queue for removal in the same transaction), then
	// artifacts, then messages. In the call that finds fewer than p.Limit
	// left it also removes the conversation's row and reports Done. A conversation
	// that is not marked deleted is left alone: ENOTFOUND "conversation".
	// One that is gone altogether reports Done.
	PurgeBatch(ctx context.Context, p *PurgeBatchParams) (*PurgeBatchResult, error)
	// PurgeJobFinish removes the job and sets purged_at on its receipt.
	// A job that is gone is no error (another purger finished it).
	PurgeJobFinish(ctx context.Context, j *PurgeJob, at time.Time) error

	// MessageInsertMany stores messages, each as given (ids, times), of
	// p.ConversationID.
	MessageInsertMany(ctx context.Context, p *MessageInsertManyParams) error
	// MessageDelete deletes one message of the conversation. ENOTFOUND
	// "message".
	MessageDelete(ctx context.Context, tenantID, conversationID, id convstore.ID) error

	// AuthorInsert stores author rows of the conversation; one of a
	// message that has one is skipped.
	AuthorInsert(ctx context.Context, tenantID, conversationID convstore.ID, rows []*AuthorRow) error
	// AuthorDelete deletes the conversation's author row whose first
	// message is messageID, reporting whether there was one.
	AuthorDelete(ctx context.Context, tenantID, conversationID, messageID convstore.ID) (bool, error)
	// AuthorPendingClaim returns at most limit conversations, not
	// deleted, whose authors are pending (stored before their rows were
	// kept), in key order, each locked against the writes to it (as
	// LockUpdate) until the transaction ends; an engine of several writers
	// skips those another transaction holds.
	AuthorPendingClaim(ctx context.Context, limit int) ([]PendingAuthors, error)
	// AuthorBackfill replaces the conversation's author rows (those its
	// appends since kept, partial) by rows, and ends its pending state.
	AuthorBackfill(ctx context.Context, tenantID, conversationID convstore.ID, rows []*AuthorRow) error
	// MessageIDPendingClaim returns at most limit conversations, not
	// deleted, whose messages' external ids are pending (stored before
	// migration 0025), in key order, each locked as AuthorPendingClaim
	// locks them (an engine of several writers skips those another
	// transaction holds).
	MessageIDPendingClaim(ctx context.Context, limit int) ([]PendingAuthors, error)
	// MessageIDBackfill replaces the conversation's rows of
	// message_external_ids by rows and ends its pending state.
	MessageIDBackfill(ctx context.Context, tenantID, conversationID convstore.ID, rows []MessageIndex) error

	// ArtifactInsert stores an artifact of a's conversation.
	ArtifactInsert(ctx context.Context, tenantID convstore.ID, a *convstore.Artifact) error
	// ArtifactDelete deletes one artifact of the conversation. ENOTFOUND
	// "artifact".
	ArtifactDelete(ctx context.Context, tenantID, conversationID, id convstore.ID) error

	// AttachmentInsert stores an attachment record. ECONFLICT
	// ErrAttachmentNameTaken if the conversation has one of that name.
	AttachmentInsert(ctx context.Context, a *AttachmentRow) error
	// AttachmentDeleteByName deletes an attachment record and returns it
	// with its blob key. ENOTFOUND "attachment".
	AttachmentDeleteByName(ctx context.Context, tenantID, conversationID convstore.ID, name NameLookup) (*AttachmentRow, error)

	// BlobRemovalQueue records that p.Keys' blobs are to be removed at
	// p.DueAt; a key already queued keeps the earlier due time.
	BlobRemovalQueue(ctx context.Context, p *BlobRemovalQueueParams) error
	// BlobRemovalForget deletes the queue entries of keys, returning how
	// many there were.
	BlobRemovalForget(ctx context.Context, keys []string) (int, error)
	// BlobRemovalClaimDue claims up to limit entries due at now, oldest due
	// first, until the transaction ends: a driver with several nodes skips
	// entries another transaction holds (FOR UPDATE SKIP LOCKED), so two
	// never claim one entry.
	BlobRemovalClaimDue(ctx context.Context, now time.Time, limit int) ([]string, error)
	// BlobRemovalClaim claims the queued entries among keys, skipping
	// those another transaction holds, and returns the keys claimed.
	BlobRemovalClaim(ctx context.Context, keys []string) ([]string, error)
	// BlobRemovalReschedule makes keys' entries due at due.
	BlobRemovalReschedule(ctx context.Context, keys []string, due time.Time) error
	// BlobRemovalReclaimUploads makes due at now the upload intents whose
	// uploader is gone, returning how many: on a driver with several
	// nodes, those of nodes that died mid-upload (never a live node's).
	// A driver whose uploads all belong to one process has none.
	BlobRemovalReclaimUploads(ctx context.Context, now time.Time) (int, error)

	// ConversationKeyInsert stores a conversation's wrapped data key.
	// ECONFLICT ErrConversationKeyTaken if the conversation has one (the
	// transaction stays usable: the caller reads the one stored);
	// ENOTFOUND "conversation" if the conversation is missing.
	ConversationKeyInsert(ctx context.Context, k *ConversationKey) error
	// ConversationKeyClaim claims up to p.Limit wrapped data keys of any
	// tenant wrapped by an epoch from p.From up to (not including)
	// p.Before, oldest epoch first, until the transaction ends: a driver
	// with several nodes skips keys another transaction holds (FOR UPDATE
	// SKIP LOCKED), so two nodes re-wrapping at once never claim one key,
	// and a delete of a claimed key's conversation waits for the claim's
	// transaction.
	ConversationKeyClaim(ctx context.Context, p *ConversationKeyClaimParams) ([]*ConversationKey, error)
	// ConversationKeyRewrap replaces the epoch and wrapped key of each of
	// keys, found by tenant and conversation, and returns how many it
	// found (a key whose conversation is gone is skipped).
	ConversationKeyRewrap(ctx context.Context, keys []*ConversationKey) (int, error)
	// StoreMetaInsert stores a store meta row unless one of that name
	// exists, and returns the value stored under name afterwards (the
	// given one, or the one found).
	StoreMetaInsert(ctx context.Context, name, value string) (string, error)

	// MessageReseal rewrites the content fields (content, parts,
	// author_name, metadata) of messages of the conversation, by id: the
	// sealing upgrade of rows stored before sealing. Messages that are
	// gone are skipped.
	MessageReseal(ctx context.Context, tenantID, conversationID convstore.ID, rows []*MessageRow) error
	// ArtifactReseal rewrites an artifact's text and data, by id (the
	// sealing upgrade); one that is gone is skipped.
	ArtifactReseal(ctx context.Context, tenantID convstore.ID, a *convstore.Artifact) error
	// AttachmentReseal rewrites an attachment record's name, name index
	// and blob key, by id, if its blob key is still oldBlobKey (the
	// sealing upgrade). ENOTFOUND "attachment" if it is gone or its bytes
	// were replaced meanwhile.
	AttachmentReseal(ctx context.Context, row *AttachmentRow, oldBlobKey string) error

	// DeletionInsert stores a deletion receipt.
	DeletionInsert(ctx context.Context, d *convstore.Deletion) error
	// DeletionMarkShredded sets shredded_at to at on every receipt of any
	// tenant whose key epoch is at most throughEpoch and that has none yet,
	// returning those receipts (a system job: epochs belong to no tenant),
	// for their conversation.shredded events.
	DeletionMarkShredded(ctx context.Context, throughEpoch uint32, at time.Time) ([]ShreddedReceipt, error)
	// AuditInsert stores an audit entry.
	AuditInsert(ctx context.Context, e *convstore.AuditEntry) error
}

// ShreddedReceipt is a receipt DeletionMarkShredded marked.
type ShreddedReceipt struct {
	TenantID, ID, ConversationID convstore.ID
	KeyEpoch                     uint32
}
