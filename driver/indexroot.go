package driver

import (
	"context"

	"github.com/convstore/convstore"
)

// IndexRootReader reads which index root a conversation's blind indexes
// are under (conversations.index_root): the re-index after a rotation of
// the keyring's index root resumes from it.
type IndexRootReader interface {
	// ConversationIndexRoot returns the index root the conversation's
	// indexes are under (the oldest, if writes mixed roots). ENOTFOUND
	// "conversation".
	ConversationIndexRoot(ctx context.Context, tenantID, id convstore.ID) (uint32, error)
	// ConversationIndexRootBelow counts the live conversations of every
	// tenant whose indexes are under a root older than root. Deleted ones
	// are not counted: a purged one never needs its indexes again, and a
	// hidden one (restore window) is re-indexed when it is restored.
	ConversationIndexRootBelow(ctx context.Context, root uint32) (int64, error)
}

// IndexRootTx writes index roots and recomputed indexes.
type IndexRootTx interface {
	// ConversationIndexRootSet records root as the conversation's index
	// root; with lower, only if the recorded one is newer (a write that
	// put indexes under root beside others). A missing conversation is
	// skipped.
	ConversationIndexRootSet(ctx context.Context, tenantID, id convstore.ID, root uint32, lower bool) error
	// ConversationReindex replaces every blind index of a conversation
	// (user_idx, external_idx, the pair index rows, the named attachments'
	// name_idx, its messages' external indexes) and records p.Root. ENOTFOUND "conversation"; ECONFLICT
	// ErrExternalIDTaken if another conversation holds the external
	// index.
	ConversationReindex(ctx context.Context, p *ConversationReindexParams) error
}

// ConversationReindexParams are a conversation's blind indexes recomputed
// under one index root. Nil indexes are for empty values.
type ConversationReindexParams struct {
	TenantID, ID  convstore.ID
	Root          uint32
	UserIndex     []byte
	ExternalIndex []byte
	MetaIndex     []MetaIndex
	Attachments   []AttachmentIndex
	// Messages are the external-id indexes of the conversation's
	// messages that have one: they replace all the conversation's rows of
	// message_external_ids.
	Messages []MessageIndex
}

// MessageIndex is a message's external-id index, by the message's id.
type MessageIndex struct {
	ID            convstore.ID
	ExternalIndex []byte
}

// AttachmentIndex is an attachment's name index, by the attachment's id.
type AttachmentIndex struct {
	ID        convstore.ID
	NameIndex []byte
}
