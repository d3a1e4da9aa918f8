package convstore

import (
	"context"
	"io"
	"mime"
	"time"
)

// Attachment bounds.
const (
	MaxAttachmentNameLen          = 255
	DefaultMaxAttachmentBytes     = 256 << 20
	DefaultAttachmentContentType  = "application/octet-stream"
	MaxAttachmentContentTypeLen   = 255
	MaxAttachmentsPerConversation = 1000
)

// Attachment is a recording or file of a conversation. Its bytes live in a
// BlobStore; the database holds the record with size and checksum.
type Attachment struct {
	ID             ID
	ConversationID ID
	Name           string // unique within the conversation
	ContentType    string
	Size           int64
	SHA256         string // hex
	CreatedAt      time.Time
}

// AttachmentPut is the input of AttachmentService.PutAttachment.
type AttachmentPut struct {
	Name        string
	ContentType string    // "" means DefaultAttachmentContentType
	Body        io.Reader // read to the end, at most MaxBytes
	MaxBytes    int64     // 0 means DefaultMaxAttachmentBytes
	// Actor says who puts, for the AuditAttachmentReplace entry written
	// when the put replaces an attachment of the same name.
	Actor DeleteParams
}

// Validate checks name and content type and applies defaults.
func (p *AttachmentPut) Validate() error {
	if err := ValidateAttachmentName(p.Name); err != nil {
		return err
	}
	if p.ContentType == "" {
		p.ContentType = DefaultAttachmentContentType
	}
	if len(p.ContentType) > MaxAttachmentContentTypeLen {
		return Invalidf("content_type", "content type must be at most %d bytes", MaxAttachmentContentTypeLen)
	}
	if _, _, err := mime.ParseMediaType(p.ContentType); err != nil {
		return Invalidf("content_type", "content type %q is not a valid media type", p.ContentType)
	}
	if p.MaxBytes <= 0 {
		p.MaxBytes = DefaultMaxAttachmentBytes
	}
	if p.Body == nil {
		return Invalidf("body", "attachment body is missing")
	}
	return nil
}

// ValidateAttachmentName checks that name is 1..255 characters of
// [A-Za-z0-9._-], not starting with a dot: safe in URLs and file systems.
func ValidateAttachmentName(name string) error {
	if name == "" || len(name) > MaxAttachmentNameLen || name[0] == '.' {
		return Invalidf("name", "attachment name must be 1 to %d characters and not start with a dot", MaxAttachmentNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return Invalidf("name", "attachment name may contain only letters, digits, '.', '_' and '-'")
		}
	}
	return nil
}

// AttachmentFilter selects a conversation's attachments. Default order: asc.
type AttachmentFilter struct {
	PageFilter
}

// AttachmentService manages attachments, scoped like MessageService.
type AttachmentService interface {
	// PutAttachment stores the body under name, replacing an attachment of
	// the same name (whose bytes are then removed; the replace writes an
	// AuditAttachmentReplace entry targeting the replaced attachment, with
	// actor p.Actor, in the transaction that swaps the records). ETOOLARGE past MaxBytes,
	// EINVALID for bad input, ENOTFOUND if the conversation is missing or
	// deleted concurrently; in every failure no record and no bytes remain.
	PutAttachment(ctx context.Context, tenantID, conversationID ID, p *AttachmentPut) (*Attachment, error)

	// FindAttachmentByName returns one attachment record.
	FindAttachmentByName(ctx context.Context, tenantID, conversationID ID, name string) (*Attachment, error)

	// FindAttachments returns a page of attachment records ordered by ID.
	FindAttachments(ctx context.Context, tenantID, conversationID ID, f AttachmentFilter) ([]*Attachment, bool, error)

	// OpenAttachment returns the record and a reader of its bytes, which the
	// caller must close.
	OpenAttachment(ctx context.Context, tenantID, conversationID ID, name string) (*Attachment, io.ReadCloser, error)

	// DeleteAttachment permanently deletes one attachment (record in the
	// transaction, bytes right after commit) and writes an AuditEntry.
	DeleteAttachment(ctx context.Context, tenantID, conversationID ID, name string, p DeleteParams) error
}

// BlobStore keeps attachment bytes outside the database, under keys chosen
// by the engine. Implementations must be safe for concurrent use.
type BlobStore interface {
	// Put writes r under key and returns its size and SHA-256. It fails with
	// ETOOLARGE once more than max bytes arrive, leaving nothing behind.
	Put(ctx context.Context, key string, r io.Reader, max int64) (size int64, sha256 []byte, err error)

	// Open returns a reader of the blob. ENOTFOUND if missing.
	Open(ctx context.Context, key string) (io.ReadCloser, error)

	// Delete removes the blob; a missing blob is not an error.
	Delete(ctx context.Context, key string) error

	// Keys calls fn with every stored key, for orphan sweeps.
	Keys(ctx context.Context, fn func(key string) error) error
}
