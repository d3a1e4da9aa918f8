package driver

import (
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// LockMode is how ConversationLock locks a conversation's row. On a
// driver with one writer, writes never interleave and every mode only
// checks that the row exists.
type LockMode int

// Lock modes, from weakest to strongest.
const (
	// LockShare is taken by writes to a conversation's children that may
	// run side by side (an artifact, a child's delete): it excludes only
	// ConversationDelete, so a child write either commits before a delete
	// (which then counts it) or finds the conversation gone.
	LockShare LockMode = iota + 1
	// LockUpdate excludes itself and ConversationDelete: writes that must
	// take turns (two puts of one attachment name). Row updates of the
	// conversation (ConversationUpdate, ConversationBumpMessages) lock
	// the row this way too.
	LockUpdate
)

// Page is one page of a list ordered by id.
type Page struct {
	After  convstore.ID // exclusive cursor; zero for the first page. Compared, not looked up.
	Desc   bool         // newest first
	Limit  int          // at most this many rows
	Offset int          // rows skipped after the cursor (the doors that page by offset)
}

// ConversationListParams selects a page of conversations. Of Filter the
// driver reads only the selection fields (AgentID, UserID, Seq,
// CreatedAfter, CreatedBefore), never its paging; Filter.Metadata is
// matched through MetaPairs.
type ConversationListParams struct {
	TenantID convstore.ID
	Filter   *convstore.ConversationFilter
	// UserIndex is the blind index of Filter.UserID: a conversation
	// matches by it, or (written before sealing, without an index) by its
	// plaintext user_id equal to Filter.UserID.
	UserIndex []byte
	// MetaPairs are the blind indexes of Filter.Metadata's pairs
	// (MetaIndex.Pair): a conversation matches if it has every one.
	MetaPairs [][]byte
	// UserIndexAlts and MetaPairAlts are the same filter's indexes under
	// the older index roots still live while a re-index runs: a
	// conversation matches under any of them. MetaPairAlts[i] are the
	// alternatives of MetaPairs[i] (nil, or one per older root).
	UserIndexAlts [][]byte
	MetaPairAlts  [][][]byte
	Page          Page // ignored by ConversationCount
	// Kept has ConversationList read each row's Kept (ignored by
	// ConversationCount, and with Filter.Deleted: a deleted
	// conversation's list shows none of its children).
	Kept bool
	// Now, with Filter.Deleted, keeps the deleted conversations whose
	// purge job is due after Now (still within their restore window).
	Now time.Time
}

// ConversationUpdateParams are the fields ConversationUpdate sets; nil
// fields stay as they are. Content fields are sealed (see ConversationRow).
type ConversationUpdateParams struct {
	TenantID, ID convstore.ID
	AgentID      *string
	UserID       *string
	UserIndex    []byte // with UserID: its blind index, nil for ""
	Title        *string
	// Meta, if set, replaces the metadata column (nil bytes: none) and
	// MetaIndex replaces the conversation's pair index rows.
	Meta      *[]byte
	MetaIndex []MetaIndex
	// ExternalID, if set, replaces the external id with its sealed form,
	// and ExternalIndex its blind index: only the sealing upgrade does
	// (an external id never changes otherwise).
	ExternalID    *string
	ExternalIndex []byte
	// UpdatedAt becomes the row's updated_at unless the stored one is
	// later (a node whose clock lags never moves it back).
	UpdatedAt time.Time
}

// ConversationBumpParams change a conversation's message count.
type ConversationBumpParams struct {
	TenantID, ID convstore.ID
	Delta        int
	UpdatedAt    time.Time // as ConversationUpdateParams.UpdatedAt
}

// ConversationDeleted is what ConversationDelete removed.
type ConversationDeleted struct {
	Seq             int64
	Messages        int
	Artifacts       int
	Attachments     int
	AttachmentBytes int64
	BlobKeys        []string // of its attachments, where the driver removed their records (none now: PurgeBatch does)
	KeyEpoch        uint32   // the epoch that wrapped its data key; 0 if it had none
}

// MessageListParams selects a page of a conversation's messages.
type MessageListParams struct {
	TenantID, ConversationID convstore.ID
	Page                     Page
}

// MessageListEndsParams select the ends of several conversations' message
// lists.
type MessageListEndsParams struct {
	TenantID        convstore.ID
	ConversationIDs []convstore.ID // at most convstore.MaxPageLimit
	First, Last     int            // messages from each end, at most convstore.MaxPageLimit each
}

// MessageEnds are the ends of one conversation's message list, each oldest
// first. A conversation with fewer than First+Last messages has some in
// both.
type MessageEnds struct {
	First []*MessageRow
	Last  []*MessageRow
}

// MessageRange is a page of one conversation's messages (Page.Offset is
// not used).
type MessageRange struct {
	ConversationID convstore.ID
	Page           Page
}

// MessageListRangesParams select pages of several conversations' messages.
type MessageListRangesParams struct {
	TenantID convstore.ID
	Ranges   []MessageRange // at most convstore.MaxBatchRanges; limits summing to a few times convstore.MaxBatchRows
}

// ArtifactRange is a page of one conversation's artifacts, of one type or
// all (Page.Offset is not used).
type ArtifactRange struct {
	ConversationID convstore.ID
	Type           convstore.ArtifactType // "" for all
	Page           Page
}

// ArtifactListRangesParams select pages of several conversations'
// artifacts.
type ArtifactListRangesParams struct {
	TenantID convstore.ID
	Ranges   []ArtifactRange // as MessageListRangesParams.Ranges
}

// ArtifactNewestParams select the newest artifact of each of several
// types in each of several conversations.
type ArtifactNewestParams struct {
	TenantID        convstore.ID
	ConversationIDs []convstore.ID           // at most convstore.MaxPageLimit
	Types           []convstore.ArtifactType // distinct, a few
}

// PendingAuthors names a conversation whose authors are pending (or, for
// MessageIDPendingClaim, whose messages' external ids are).
type PendingAuthors struct {
	TenantID, ConversationID convstore.ID
}

// ConversationDigestListParams select a page of conversations with, for
// each, the ends of its messages and its newest artifacts of some types.
type ConversationDigestListParams struct {
	List        ConversationListParams
	First, Last int                      // as MessageListEndsParams
	Types       []convstore.ArtifactType // as ArtifactNewestParams
	Authors     bool                     // with the authors and pending marks, as AuthorList and AuthorPendingIn
}

// ConversationDigestRows are a page of conversations with the ends of
// their messages (by conversation, as MessageListEnds returns them) and
// their newest artifacts (Newest[i] of Conversations[i], as
// ArtifactNewest returns them; nil without Types) and, with Authors,
// their author rows and those whose authors are pending (as AuthorList
// and AuthorPendingIn return them).
type ConversationDigestRows struct {
	Conversations []*ConversationRow
	Ends          map[convstore.ID]*MessageEnds
	Newest        [][]*convstore.Artifact
	Authors       map[convstore.ID][]*AuthorRow
	Pending       []convstore.ID
}

// MessageInsertManyParams are messages to store in one conversation.
type MessageInsertManyParams struct {
	TenantID, ConversationID convstore.ID
	Messages                 []*MessageRow // ConversationID as above
}

// ArtifactListParams select a page of a conversation's artifacts, or with a
// zero ConversationID of every live conversation of the tenant.
type ArtifactListParams struct {
	TenantID, ConversationID convstore.ID
	Type                     convstore.ArtifactType // "" for all
	Page                     Page
}

// AttachmentListParams select a page of a conversation's attachments.
type AttachmentListParams struct {
	TenantID, ConversationID convstore.ID
	Page                     Page
}

// AttachmentRow is an attachment record with what only storage sees. Name
// holds sealed bytes (see ConversationRow); NameIndex is its blind index,
// unique within the conversation (nil on rows written before sealing,
// whose plaintext name is unique instead).
type AttachmentRow struct {
	convstore.Attachment
	TenantID  convstore.ID
	BlobKey   string // where its bytes are in the blob store
	NameIndex []byte
}

// NameLookup finds an attachment by name: by its blind index, or (a row
// written before sealing, without one) by its plaintext name.
type NameLookup struct {
	Index []byte
	Plain string
}

// Sealed content. The service seals every content field before it reaches
// a driver (package seal), and opens it after: a driver stores and returns
// those fields unchanged, as bytes (BLOB, bytea), and never looks into
// them. The content string fields of the domain types (Conversation.Title,
// .UserID, .ExternalID; Message.Content, .AuthorName; Artifact.Text;
// Attachment.Name) and their JSON fields (Message.Parts, Artifact.Data)
// carry the sealed bytes as they are; metadata, which the domain holds as
// a map, travels as bytes in Meta. An empty value is stored empty (or
// NULL), unsealed: emptiness is not hidden.

// ConversationRow is a conversation as stored. Its embedded Metadata is
// unused (nil).
type ConversationRow struct {
	convstore.Conversation
	Meta          []byte // the metadata column (a sealed JSON object); nil when empty
	UserIndex     []byte // blind index of UserID; nil when UserID is ""
	ExternalIndex []byte // blind index of ExternalID, unique per tenant; nil when ""
	// MetaIndex are the metadata's pair index rows, written by
	// ConversationInsert; reads leave it nil.
	MetaIndex []MetaIndex
	// Kept is what the row keeps of the conversation's children, read
	// with ConversationListParams.Kept; nil otherwise.
	Kept *Kept
}

// KeptTypes are the artifact types whose newest artifact a conversation's
// row keeps a copy of (Kept.Newest[i] of KeptTypes[i]).
var KeptTypes = [2]convstore.ArtifactType{convstore.ArtifactSummary, convstore.ArtifactAnalysis}

// Kept is what a conversation's row keeps of its children as they are
// written (migration 0021), so that a list view reads only the page: the
// offsets of its newest message (by id; nil without messages, or
// without the offset) and its newest artifact of each of KeptTypes, as
// stored (sealed as the artifact row is: a copy of its values), nil for
// none. Every write of messages and artifacts in a driver keeps them
// equal to what MessageListEnds and ArtifactNewest would read.
type Kept struct {
	LastStartOffset, LastEndOffset *time.Duration
	Newest                         [len(KeptTypes)]*convstore.Artifact
}

// MetaIndex is one metadata pair's blind indexes: of its key, and of its
// key and value.
type MetaIndex struct {
	Key, Pair []byte
}

// MessageRow is a message as stored. Its embedded Metadata is unused.
type MessageRow struct {
	convstore.Message
	Meta []byte // the metadata column (a sealed JSON object); nil when empty
	// ExternalIndex is the blind index of the message's external id
	// (metadata convstore.MessageExternalIDKey), nil without one.
	// MessageInsertMany stores it (table message_external_ids, whose rows
	// go with their message); reads leave it nil.
	ExternalIndex []byte
}

// AuthorRow is the stored record of one distinct author of a
// conversation's messages (convstore.Author), by its first message; Name
// and UserID are sealed. Which messages start an author is decided above
// the driver (the values that tell authors apart are sealed).
type AuthorRow struct {
	MessageID convstore.ID
	Name      string
	UserID    string
}

// KeyRow is an API key with the SHA-256 of its secret.
type KeyRow struct {
	convstore.APIKey
	Hash []byte
}

// KeyUse is a key's use at a time, for KeyTouch.
type KeyUse struct {
	TenantID, KeyID convstore.ID
	At              time.Time
}

// AccessTokenRow is an access token with the SHA-256 of its secret.
type AccessTokenRow struct {
	convstore.AccessToken
	Hash []byte
}

// BlobRemovalQueueParams queue blob removals.
type BlobRemovalQueueParams struct {
	Keys  []string
	DueAt time.Time
	Now   time.Time // when they were queued
	// Upload marks the entries as intents of uploads this process is
	// making, due if the upload is abandoned: a driver with several nodes
	// records the node, so that BlobRemovalReclaimUploads can tell the
	// intents of nodes that are gone.
	Upload bool
}

// DeletionListParams select a page of receipts.
type DeletionListParams struct {
	TenantID       convstore.ID
	ConversationID convstore.ID // zero for all
	ErasureID      convstore.ID // zero for all
	Door, Policy   string       // "" for all
	// State is "" for all, else convstore.DeletionPending,
	// DeletionOverdue or DeletionComplete, as of Now.
	State string
	Now   time.Time
	Page  Page
}

// AuditListParams select a page of audit entries. Zero fields do not
// filter.
type AuditListParams struct {
	TenantID convstore.ID
	// Action is one action, or every action it prefixes when it ends in
	// a dot (a family: "erasure.").
	Action                               string
	ActorKeyID, ConversationID, TargetID convstore.ID
	Door                                 string
	CreatedAfter, CreatedBefore          *time.Time // exclusive
	Page                                 Page
}

// Filtered reports whether p filters beyond its tenant.
func (p *AuditListParams) Filtered() bool {
	return p.Action != "" || !p.ActorKeyID.IsZero() || !p.ConversationID.IsZero() || !p.TargetID.IsZero() ||
		p.Door != "" || p.CreatedAfter != nil || p.CreatedBefore != nil
}

// ActionFamily reports whether Action names a family (a prefix).
func (p *AuditListParams) ActionFamily() bool { return strings.HasSuffix(p.Action, ".") }

// ConversationKey is a conversation's data key, wrapped by a keyring epoch
// (keyring.Wrap, bound to its tenant and conversation). The store never
// holds the data key itself.
type ConversationKey struct {
	TenantID, ConversationID convstore.ID
	Epoch                    uint32 // the keyring epoch that wrapped it
	Wrapped                  []byte
	CreatedAt                time.Time
}

// MetaKeyringID names the store meta row holding the id of the keyring
// whose epochs wrap the store's data keys.
const MetaKeyringID = "keyring_id"

// EpochKeys is how many live wrapped data keys one epoch wrapped.
type EpochKeys struct {
	Epoch uint32
	Keys  int64
}

// ConversationKeyListParams select a page of wrapped data keys of every
// tenant, after the key of (AfterTenant, AfterConversation) (zero: from
// the first).
type ConversationKeyListParams struct {
	AfterTenant, AfterConversation convstore.ID
	Limit                          int
}

// ConversationKeyClaimParams select the wrapped data keys a rotation
// claims: those of epochs in [From, Before), at most Limit.
type ConversationKeyClaimParams struct {
	From, Before uint32
	Limit        int
}

// ConversationUserListParams selects a page of the users of the
// conversations List selects (List.Page is ignored). Users are ordered by
// their newest created_at, or with ByCount by their count, then by their
// newest conversation's id, all ascending or with Desc descending. With a
// nonzero After the page starts after the user whose newest conversation
// is After and whose sort key is AfterLast or AfterCount.
type ConversationUserListParams struct {
	List       ConversationListParams
	ByCount    bool
	Desc       bool
	After      convstore.ID
	AfterLast  time.Time
	AfterCount int
	Limit      int
}

// ConversationUserRow is one user of ConversationUserList: its newest
// conversation by id (whose user id names the group), and the group's
// count and oldest and newest created_at.
type ConversationUserRow struct {
	Latest      *ConversationRow
	Count       int
	First, Last time.Time
}
