package api

import (
	"encoding/json"
)

// TenantHeader is the response header by which every answer to an
// authenticated request of the native API names the caller's tenant
// (ten_…), so a client learns it without asking.
const TenantHeader = "X-Tenant-Id"

// Object names of the native API.
const (
	ObjectList                = "list"
	ObjectConversation        = "conversation"
	ObjectConversationDeleted = "conversation.deleted"
	ObjectMessage             = "message"
	ObjectMessageDeleted      = "message.deleted"
	ObjectArtifact            = "artifact"
	ObjectArtifactDeleted     = "artifact.deleted"
	ObjectAttachment          = "attachment"
	ObjectAttachmentDeleted   = "attachment.deleted"
	ObjectDeletion            = "deletion"
	ObjectRetention           = "retention"
	ObjectCORS                = "cors"
	ObjectRetentionPreview    = "retention.preview"
	ObjectAPIKey              = "api_key"
	ObjectAPIKeyDeleted       = "api_key.deleted"
	ObjectAuditEntry          = "audit_entry"
	ObjectIdentity            = "identity"
	ObjectConversationCount   = "conversation.count"
)

// List is every list response: {"object":"list","data":[…],"first_id","last_id","has_more"}.
type List[T any] struct {
	Object  string  `json:"object"`
	Data    []T     `json:"data"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
	HasMore bool    `json:"has_more"`
}

// Conversation is the wire form of a conversation. Timestamps are Unix
// seconds, as in OpenAI's APIs. Seq is a decimal string because it does not
// fit a JavaScript number.
type Conversation struct {
	ID           string            `json:"id"`
	Object       string            `json:"object"`
	Seq          string            `json:"seq"`
	AgentID      *string           `json:"agent_id"`
	UserID       *string           `json:"user_id"`
	ExternalID   *string           `json:"external_id"`
	Door         string            `json:"door"` // read-only: the door that created it
	Title        string            `json:"title"`
	Metadata     map[string]string `json:"metadata"`
	MessageCount int               `json:"message_count"`
	CreatedAt    int64             `json:"created_at"`
	UpdatedAt    int64             `json:"updated_at"`
}

// ConversationWithMessages is the 201 body of POST
// /v1/conversations?include=messages: the conversation with its initial
// messages as stored, so their ids are known without another call.
type ConversationWithMessages struct {
	Conversation
	Messages []Message `json:"messages"`
}

// ConversationCount is the body of GET /v1/conversations/count.
type ConversationCount struct {
	Object string `json:"object"`
	Count  int    `json:"count"`
}

// ConversationCreate is the body of POST /v1/conversations.
type ConversationCreate struct {
	AgentID    string            `json:"agent_id,omitempty"`
	UserID     string            `json:"user_id,omitempty"`
	ExternalID string            `json:"external_id,omitempty"`
	Title      string            `json:"title,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	Messages   []MessageCreate   `json:"messages,omitempty"`
}

// ConversationUpdate is the body of PATCH /v1/conversations/{id}. Absent
// fields are unchanged; metadata replaces the whole map.
type ConversationUpdate struct {
	AgentID  *string            `json:"agent_id,omitempty"`
	UserID   *string            `json:"user_id,omitempty"`
	Title    *string            `json:"title,omitempty"`
	Metadata *map[string]string `json:"metadata,omitempty"`
}

// ConversationDeleted is the body of a successful conversation delete.
type ConversationDeleted struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Deleted bool     `json:"deleted"`
	Receipt Deletion `json:"receipt"`
}

// Message is the wire form of a message. Offsets are milliseconds from the
// start of a voice call.
type Message struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	ConversationID string            `json:"conversation_id"`
	Role           string            `json:"role"`
	Content        string            `json:"content"`
	Parts          json.RawMessage   `json:"parts"`
	AuthorName     *string           `json:"author_name"`
	StartOffsetMS  *int64            `json:"start_offset_ms"`
	EndOffsetMS    *int64            `json:"end_offset_ms"`
	Metadata       map[string]string `json:"metadata"`
	CreatedAt      int64             `json:"created_at"`
}

// MessageCreate is one message to add.
type MessageCreate struct {
	Role          string            `json:"role"`
	Content       string            `json:"content,omitempty"`
	Parts         json.RawMessage   `json:"parts,omitempty"`
	AuthorName    string            `json:"author_name,omitempty"`
	StartOffsetMS *int64            `json:"start_offset_ms,omitempty"`
	EndOffsetMS   *int64            `json:"end_offset_ms,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
}

// MessagesCreate is the batch body of POST /v1/conversations/{id}/messages.
// A single MessageCreate object is accepted too.
type MessagesCreate struct {
	Messages []MessageCreate `json:"messages"`
}

// Deleted is the body of a successful message, artifact, attachment or key
// delete.
type Deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// Artifact is the wire form of derived data.
type Artifact struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	ConversationID string          `json:"conversation_id"`
	Type           string          `json:"type"`
	Text           string          `json:"text"`
	Data           json.RawMessage `json:"data"`
	MessageIDs     []string        `json:"message_ids"`
	Score          *float64        `json:"score"`
	CreatedAt      int64           `json:"created_at"`
}

// ArtifactCreate is the body of POST /v1/conversations/{id}/artifacts.
type ArtifactCreate struct {
	Type       string          `json:"type"`
	Text       string          `json:"text,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	MessageIDs []string        `json:"message_ids,omitempty"`
	Score      *float64        `json:"score,omitempty"`
}

// Attachment is the wire form of an attachment record.
type Attachment struct {
	ID             string `json:"id"`
	Object         string `json:"object"`
	ConversationID string `json:"conversation_id"`
	Name           string `json:"name"`
	ContentType    string `json:"content_type"`
	Size           int64  `json:"size"`
	SHA256         string `json:"sha256"`
	CreatedAt      int64  `json:"created_at"`
}

// Deletion is the wire form of a deletion receipt. It never holds content.
type Deletion struct {
	ID              string  `json:"id"`
	Object          string  `json:"object"`
	ConversationID  string  `json:"conversation_id"`
	ConversationSeq string  `json:"conversation_seq"`
	Kind            string  `json:"kind"`       // "conversation", or "end_user" for an end-user record (its id in conversation_id)
	DeletedBy       *string `json:"deleted_by"` // key id, null for operators
	Door            string  `json:"door"`
	RequestID       string  `json:"request_id"`        // the server's, always
	ClientRequestID *string `json:"client_request_id"` // the client's X-Request-Id, null if none
	Messages        int     `json:"messages"`
	Artifacts       int     `json:"artifacts"`
	Attachments     int     `json:"attachments"`
	AttachmentBytes int64   `json:"attachment_bytes"`
	CreatedAt       int64   `json:"created_at"`
	KeyEpoch        *uint32 `json:"key_epoch"`   // the keyring epoch that wrapped the data key; null if never sealed
	ShreddedAt      *int64  `json:"shredded_at"` // when that epoch was destroyed; null until then
	PurgedAt        *int64  `json:"purged_at"`   // when the last row was removed; null while the purge runs
	Policy          *string `json:"policy"`      // the retention policy that erased it; null for a delete someone asked for
	ErasureID       *string `json:"erasure_id"`  // the erasure job that deleted it; null for a delete asked directly
	// RestorableUntil is when the tenant's restore window ends: until then
	// POST /v1/conversations/{id}/restore brings it back. Null for a
	// delete that was final at once.
	RestorableUntil *int64 `json:"restorable_until"`
	RestoredAt      *int64 `json:"restored_at"` // when it was restored; null if not
	// Confirmations are the downstream processors' confirmations, by
	// processor name: one per processor registered when it was deleted.
	Confirmations []Confirmation `json:"confirmations"`
	// Complete is true when every confirmation required is recorded
	// (true when none is).
	Complete bool `json:"complete"`
}

// AuditEntry is the wire form of an audit log entry.
type AuditEntry struct {
	ID              string  `json:"id"`
	Object          string  `json:"object"`
	Action          string  `json:"action"`
	ActorKeyID      *string `json:"actor_key_id"`
	Door            string  `json:"door"`
	RequestID       string  `json:"request_id"`        // the server's, always
	ClientRequestID *string `json:"client_request_id"` // the client's X-Request-Id, null if none
	ConversationID  *string `json:"conversation_id"`   // null for key and tenant actions
	TargetID        string  `json:"target_id"`
	CreatedAt       int64   `json:"created_at"`
	Policy          *string `json:"policy"` // the retention policy that erased the target, if one did
}

// APIKey is the wire form of an API key; Secret is set only in the response
// to its creation.
type APIKey struct {
	ID         string   `json:"id"`
	Object     string   `json:"object"`
	Name       string   `json:"name"`
	Prefix     string   `json:"prefix"`
	Scopes     []string `json:"scopes"`
	CreatedAt  int64    `json:"created_at"`
	LastUsedAt *int64   `json:"last_used_at"`
	Processor  *string  `json:"processor"` // the processor a confirm key confirms for; null for other keys
	Secret     string   `json:"secret,omitempty"`
}

// Identity is the body of GET /v1/me: the calling key and its tenant.
type Identity struct {
	Object   string `json:"object"`
	TenantID string `json:"tenant_id"`
	Key      APIKey `json:"key"`
}

// KeyCreate is the body of POST /v1/keys.
type KeyCreate struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	Processor string   `json:"processor,omitempty"` // required with (and only with) the confirm scope
}

// Retention is the wire form of a tenant's retention policies (GET and
// PUT /v1/retention).
// CORS is the web origins a tenant allows to call the doors from a
// browser (GET and PUT /v1/cors).
type CORS struct {
	Object         string   `json:"object"` // "cors"
	AllowedOrigins []string `json:"allowed_origins"`
}

type Retention struct {
	Object   string            `json:"object"` // "retention"
	Policies []RetentionPolicy `json:"policies"`
	// RestoreWindowDays keeps deleted conversations restorable that many
	// days (0..365; 0, the default, makes deletes final at once). A PUT
	// without it sets 0: the PUT replaces the whole object.
	RestoreWindowDays int `json:"restore_window_days"`
}

// RetentionPolicy is one policy: the tenant's default (agent_id null) or
// an agent's override. A null rule keeps that kind (default) or inherits
// the default's rule (agent).
type RetentionPolicy struct {
	AgentID       *string        `json:"agent_id"`
	Conversations *RetentionRule `json:"conversations"`
	Attachments   *RetentionRule `json:"attachments"`
	Artifacts     *RetentionRule `json:"artifacts"`
	UpdatedAt     int64          `json:"updated_at,omitempty"` // answers only
}

// RetentionRule is how long one kind of data is kept.
type RetentionRule struct {
	AfterDays int    `json:"after_days"`
	Since     string `json:"since,omitempty"` // conversations: "created" (default) or "last_activity"
}

// RetentionPreview is what the next retention run would erase.
type RetentionPreview struct {
	Object          string `json:"object"` // "retention.preview"
	AsOf            int64  `json:"as_of"`
	Conversations   int    `json:"conversations"`
	Messages        int    `json:"messages"`
	Attachments     int    `json:"attachments"`
	AttachmentBytes int64  `json:"attachment_bytes"`
	Artifacts       int    `json:"artifacts"`
	Held            int    `json:"held"`
}
