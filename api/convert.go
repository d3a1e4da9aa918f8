package api

import (
	"strconv"
	"time"

	"github.com/convstore/convstore"
)

// Unix returns t as Unix seconds.
func Unix(t time.Time) int64 { return t.Unix() }

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optID(id convstore.ID, prefix string) *string {
	if id.IsZero() {
		return nil
	}
	s := id.Format(prefix)
	return &s
}

func metadataOut(m convstore.Metadata) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// FromConversation converts a domain conversation to its wire form.
func FromConversation(c *convstore.Conversation) Conversation {
	return Conversation{
		ID:           c.ID.Format(convstore.PrefixConversation),
		Object:       ObjectConversation,
		Seq:          strconv.FormatInt(c.Seq, 10),
		AgentID:      optString(c.AgentID),
		UserID:       optString(c.UserID),
		ExternalID:   optString(c.ExternalID),
		Door:         c.Door,
		Title:        c.Title,
		Metadata:     metadataOut(c.Metadata),
		MessageCount: c.MessageCount,
		CreatedAt:    Unix(c.CreatedAt),
		UpdatedAt:    Unix(c.UpdatedAt),
	}
}

// ToConversation converts a wire conversation to the domain type; the
// client uses it. Malformed ids yield zero IDs.
func ToConversation(w *Conversation) *convstore.Conversation {
	id, _ := convstore.ParseID(convstore.PrefixConversation, "id", w.ID)
	seq, _ := strconv.ParseInt(w.Seq, 10, 64)
	c := &convstore.Conversation{
		ID: id, Seq: seq, Door: w.Door, Title: w.Title, Metadata: w.Metadata, MessageCount: w.MessageCount,
		CreatedAt: time.Unix(w.CreatedAt, 0).UTC(), UpdatedAt: time.Unix(w.UpdatedAt, 0).UTC(),
	}
	if w.AgentID != nil {
		c.AgentID = *w.AgentID
	}
	if w.UserID != nil {
		c.UserID = *w.UserID
	}
	if w.ExternalID != nil {
		c.ExternalID = *w.ExternalID
	}
	return c
}

func durationMS(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	ms := d.Milliseconds()
	return &ms
}

func msDuration(ms *int64) *time.Duration {
	if ms == nil {
		return nil
	}
	d := time.Duration(*ms) * time.Millisecond
	return &d
}

// FromMessage converts a domain message to its wire form.
func FromMessage(m *convstore.Message) Message {
	return Message{
		ID:             m.ID.Format(convstore.PrefixMessage),
		Object:         ObjectMessage,
		ConversationID: m.ConversationID.Format(convstore.PrefixConversation),
		Role:           string(m.Role),
		Content:        m.Content,
		Parts:          m.Parts,
		AuthorName:     optString(m.AuthorName),
		StartOffsetMS:  durationMS(m.StartOffset),
		EndOffsetMS:    durationMS(m.EndOffset),
		Metadata:       metadataOut(m.Metadata),
		CreatedAt:      Unix(m.CreatedAt),
	}
}

// ToMessage converts a wire message to the domain type.
func ToMessage(w *Message) *convstore.Message {
	id, _ := convstore.ParseID(convstore.PrefixMessage, "id", w.ID)
	cid, _ := convstore.ParseID(convstore.PrefixConversation, "conversation_id", w.ConversationID)
	m := &convstore.Message{
		ID: id, ConversationID: cid, Role: convstore.Role(w.Role), Content: w.Content, Parts: w.Parts,
		StartOffset: msDuration(w.StartOffsetMS), EndOffset: msDuration(w.EndOffsetMS),
		Metadata: w.Metadata, CreatedAt: time.Unix(w.CreatedAt, 0).UTC(),
	}
	if string(m.Parts) == "null" {
		m.Parts = nil
	}
	if w.AuthorName != nil {
		m.AuthorName = *w.AuthorName
	}
	return m
}

// ToMessageCreate converts a wire message input to the domain input.
func ToMessageCreate(w *MessageCreate) *convstore.MessageCreate {
	return &convstore.MessageCreate{
		Role: convstore.Role(w.Role), Content: w.Content, Parts: w.Parts, AuthorName: w.AuthorName,
		StartOffset: msDuration(w.StartOffsetMS), EndOffset: msDuration(w.EndOffsetMS), Metadata: w.Metadata,
	}
}

// FromMessageCreate converts a domain message input to the wire input.
func FromMessageCreate(c *convstore.MessageCreate) MessageCreate {
	return MessageCreate{
		Role: string(c.Role), Content: c.Content, Parts: c.Parts, AuthorName: c.AuthorName,
		StartOffsetMS: durationMS(c.StartOffset), EndOffsetMS: durationMS(c.EndOffset), Metadata: c.Metadata,
	}
}

// FromArtifact converts a domain artifact to its wire form.
func FromArtifact(a *convstore.Artifact) Artifact {
	ids := make([]string, len(a.MessageIDs))
	for i, id := range a.MessageIDs {
		ids[i] = id.Format(convstore.PrefixMessage)
	}
	return Artifact{
		ID:             a.ID.Format(convstore.PrefixArtifact),
		Object:         ObjectArtifact,
		ConversationID: a.ConversationID.Format(convstore.PrefixConversation),
		Type:           string(a.Type),
		Text:           a.Text,
		Data:           a.Data,
		MessageIDs:     ids,
		Score:          a.Score,
		CreatedAt:      Unix(a.CreatedAt),
	}
}

// ToArtifact converts a wire artifact to the domain type.
func ToArtifact(w *Artifact) *convstore.Artifact {
	id, _ := convstore.ParseID(convstore.PrefixArtifact, "id", w.ID)
	cid, _ := convstore.ParseID(convstore.PrefixConversation, "conversation_id", w.ConversationID)
	a := &convstore.Artifact{
		ID: id, ConversationID: cid, Type: convstore.ArtifactType(w.Type), Text: w.Text, Data: w.Data,
		Score: w.Score, CreatedAt: time.Unix(w.CreatedAt, 0).UTC(),
	}
	if string(a.Data) == "null" {
		a.Data = nil
	}
	for _, s := range w.MessageIDs {
		mid, _ := convstore.ParseID(convstore.PrefixMessage, "message_ids", s)
		a.MessageIDs = append(a.MessageIDs, mid)
	}
	return a
}

// ToArtifactCreate converts the wire input to the domain input; malformed
// message ids are an EINVALID error naming message_ids[i].
func ToArtifactCreate(w *ArtifactCreate) (*convstore.ArtifactCreate, error) {
	c := &convstore.ArtifactCreate{Type: convstore.ArtifactType(w.Type), Text: w.Text, Data: w.Data, Score: w.Score}
	for i, s := range w.MessageIDs {
		field := "message_ids[" + strconv.Itoa(i) + "]"
		id, err := convstore.ParseID(convstore.PrefixMessage, field, s)
		if err != nil {
			return nil, err
		}
		c.MessageIDs = append(c.MessageIDs, id)
	}
	return c, nil
}

// FromAttachment converts a domain attachment to its wire form.
func FromAttachment(a *convstore.Attachment) Attachment {
	return Attachment{
		ID:             a.ID.Format(convstore.PrefixAttachment),
		Object:         ObjectAttachment,
		ConversationID: a.ConversationID.Format(convstore.PrefixConversation),
		Name:           a.Name,
		ContentType:    a.ContentType,
		Size:           a.Size,
		SHA256:         a.SHA256,
		CreatedAt:      Unix(a.CreatedAt),
	}
}

// ToAttachment converts a wire attachment to the domain type.
func ToAttachment(w *Attachment) *convstore.Attachment {
	id, _ := convstore.ParseID(convstore.PrefixAttachment, "id", w.ID)
	cid, _ := convstore.ParseID(convstore.PrefixConversation, "conversation_id", w.ConversationID)
	return &convstore.Attachment{
		ID: id, ConversationID: cid, Name: w.Name, ContentType: w.ContentType, Size: w.Size,
		SHA256: w.SHA256, CreatedAt: time.Unix(w.CreatedAt, 0).UTC(),
	}
}

// FromDeletion converts a receipt to its wire form.
func FromDeletion(d *convstore.Deletion) Deletion {
	w := Deletion{
		ID:              d.ID.Format(convstore.PrefixDeletion),
		Object:          ObjectDeletion,
		ConversationID:  d.ConversationID.Format(convstore.PrefixConversation),
		ConversationSeq: strconv.FormatInt(d.ConversationSeq, 10),
		Kind:            "conversation",
		DeletedBy:       optID(d.ActorKeyID, convstore.PrefixKey),
		Door:            d.Door,
		RequestID:       d.RequestID,
		ClientRequestID: optString(d.ClientRequestID),
		Messages:        d.Messages,
		Artifacts:       d.Artifacts,
		Attachments:     d.Attachments,
		AttachmentBytes: d.AttachmentBytes,
		CreatedAt:       Unix(d.CreatedAt),
		Policy:          optString(d.Policy),
	}
	if d.KeyEpoch != 0 {
		e := d.KeyEpoch
		w.KeyEpoch = &e
	}
	if d.ShreddedAt != nil {
		at := Unix(*d.ShreddedAt)
		w.ShreddedAt = &at
	}
	if d.PurgedAt != nil {
		at := Unix(*d.PurgedAt)
		w.PurgedAt = &at
	}
	if d.Kind != "" {
		w.Kind = d.Kind
	}
	w.ErasureID = optID(d.ErasureID, convstore.PrefixErasure)
	w.RestorableUntil = optUnix(d.RestorableUntil)
	w.RestoredAt = optUnix(d.RestoredAt)
	w.Confirmations = fromConfirmations(d.Confirmations)
	w.Complete = d.Complete()
	return w
}

// ToDeletion converts a wire receipt to the domain type.
func ToDeletion(w *Deletion) *convstore.Deletion {
	id, _ := convstore.ParseID(convstore.PrefixDeletion, "id", w.ID)
	cid, _ := convstore.ParseID(convstore.PrefixConversation, "conversation_id", w.ConversationID)
	seq, _ := strconv.ParseInt(w.ConversationSeq, 10, 64)
	d := &convstore.Deletion{
		ID: id, ConversationID: cid, ConversationSeq: seq, Door: w.Door, RequestID: w.RequestID,
		Messages: w.Messages, Artifacts: w.Artifacts, Attachments: w.Attachments,
		AttachmentBytes: w.AttachmentBytes, CreatedAt: time.Unix(w.CreatedAt, 0).UTC(),
	}
	if w.DeletedBy != nil {
		d.ActorKeyID, _ = convstore.ParseID(convstore.PrefixKey, "deleted_by", *w.DeletedBy)
	}
	if w.ClientRequestID != nil {
		d.ClientRequestID = *w.ClientRequestID
	}
	if w.KeyEpoch != nil {
		d.KeyEpoch = *w.KeyEpoch
	}
	if w.ShreddedAt != nil {
		at := time.Unix(*w.ShreddedAt, 0).UTC()
		d.ShreddedAt = &at
	}
	if w.PurgedAt != nil {
		at := time.Unix(*w.PurgedAt, 0).UTC()
		d.PurgedAt = &at
	}
	if w.Policy != nil {
		d.Policy = *w.Policy
	}
	if w.ErasureID != nil {
		d.ErasureID, _ = convstore.ParseID(convstore.PrefixErasure, "erasure_id", *w.ErasureID)
	}
	if w.Kind == convstore.DeletionEndUser {
		d.Kind = w.Kind
	}
	d.RestorableUntil = fromUnix(w.RestorableUntil)
	d.RestoredAt = fromUnix(w.RestoredAt)
	d.Confirmations = toConfirmations(w.Confirmations)
	return d
}

// auditTargetPrefix is the native prefix of an audit entry's target id.
var auditTargetPrefix = map[string]string{
	convstore.AuditConversationDelete:  convstore.PrefixDeletion,
	convstore.AuditConversationRestore: convstore.PrefixDeletion,
	convstore.AuditEndUserDelete:       convstore.PrefixDeletion,
	convstore.AuditMessageDelete:       convstore.PrefixMessage,
	convstore.AuditArtifactDelete:      convstore.PrefixArtifact,
	convstore.AuditAttachmentDelete:    convstore.PrefixAttachment,
	convstore.AuditAttachmentReplace:   convstore.PrefixAttachment,
	convstore.AuditKeyCreate:           convstore.PrefixKey,
	convstore.AuditKeyRevoke:           convstore.PrefixKey,
	convstore.AuditTenantCreate:        convstore.PrefixTenant,
	convstore.AuditHoldCreate:          convstore.PrefixHold,
	convstore.AuditHoldRelease:         convstore.PrefixHold,
	convstore.AuditRetentionUpdate:     convstore.PrefixTenant,
	convstore.AuditErasureCreate:       convstore.PrefixErasure,
	convstore.AuditErasureCancel:       convstore.PrefixErasure,
	convstore.AuditErasureFinish:       convstore.PrefixErasure,
	convstore.AuditProcessorCreate:     convstore.PrefixProcessor,
	convstore.AuditProcessorUpdate:     convstore.PrefixProcessor,
	convstore.AuditProcessorDelete:     convstore.PrefixProcessor,
	convstore.AuditDeletionConfirm:     convstore.PrefixDeletion,
	convstore.AuditWebhookCreate:       convstore.PrefixWebhook,
	convstore.AuditWebhookUpdate:       convstore.PrefixWebhook,
	convstore.AuditWebhookDelete:       convstore.PrefixWebhook,
	convstore.AuditWebhookRotate:       convstore.PrefixWebhook,
	convstore.AuditCORSUpdate:          convstore.PrefixTenant,
	convstore.AuditTagDelete:           convstore.PrefixTag,
}

// FromAuditEntry converts an audit entry to its wire form.
func FromAuditEntry(e *convstore.AuditEntry) AuditEntry {
	prefix, ok := auditTargetPrefix[e.Action]
	if !ok {
		prefix = "obj"
	}
	return AuditEntry{
		ID:              e.ID.Format(convstore.PrefixAudit),
		Object:          ObjectAuditEntry,
		Action:          e.Action,
		ActorKeyID:      optID(e.ActorKeyID, convstore.PrefixKey),
		Door:            e.Door,
		RequestID:       e.RequestID,
		ClientRequestID: optString(e.ClientRequestID),
		ConversationID:  optID(e.ConversationID, convstore.PrefixConversation),
		TargetID:        e.TargetID.Format(prefix),
		CreatedAt:       Unix(e.CreatedAt),
		Policy:          optString(e.Policy),
	}
}

// FromAPIKey converts a key to its wire form (without secret).
func FromAPIKey(k *convstore.APIKey) APIKey {
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	w := APIKey{
		ID: k.ID.Format(convstore.PrefixKey), Object: ObjectAPIKey, Name: k.Name, Prefix: k.Prefix,
		Scopes: scopes, CreatedAt: Unix(k.CreatedAt), Processor: optString(k.Processor),
	}
	if k.LastUsedAt != nil {
		t := Unix(*k.LastUsedAt)
		w.LastUsedAt = &t
	}
	return w
}

// FromIdentity converts an authenticated key to the body of GET /v1/me.
func FromIdentity(k *convstore.APIKey) Identity {
	return Identity{Object: ObjectIdentity, TenantID: k.TenantID.Format(convstore.PrefixTenant), Key: FromAPIKey(k)}
}

// ToIdentity converts the body of GET /v1/me to the key it describes,
// tenant included.
func ToIdentity(w *Identity) *convstore.APIKey {
	k := &ToAPIKey(&w.Key).APIKey
	k.TenantID, _ = convstore.ParseID(convstore.PrefixTenant, "tenant_id", w.TenantID)
	return k
}

// ToAPIKey converts a wire key to the domain type.
func ToAPIKey(w *APIKey) *convstore.NewKey {
	id, _ := convstore.ParseID(convstore.PrefixKey, "id", w.ID)
	k := &convstore.NewKey{Secret: w.Secret}
	k.ID, k.Name, k.Prefix, k.CreatedAt = id, w.Name, w.Prefix, time.Unix(w.CreatedAt, 0).UTC()
	if w.Processor != nil {
		k.Processor = *w.Processor
	}
	for _, s := range w.Scopes {
		k.Scopes = append(k.Scopes, convstore.Scope(s))
	}
	if w.LastUsedAt != nil {
		t := time.Unix(*w.LastUsedAt, 0).UTC()
		k.LastUsedAt = &t
	}
	return k
}

// FromRetention converts a tenant's policies to their wire form.
func FromRetention(policies []*convstore.RetentionPolicy) Retention {
	w := Retention{Object: ObjectRetention, Policies: make([]RetentionPolicy, len(policies))}
	for i, p := range policies {
		w.Policies[i] = RetentionPolicy{
			AgentID:       optString(p.AgentID),
			Conversations: fromRetentionRule(p.Conversations),
			Attachments:   fromRetentionRule(p.Attachments),
			Artifacts:     fromRetentionRule(p.Artifacts),
			UpdatedAt:     Unix(p.UpdatedAt),
		}
	}
	return w
}

func fromRetentionRule(r *convstore.RetentionRule) *RetentionRule {
	if r == nil {
		return nil
	}
	return &RetentionRule{AfterDays: r.Days, Since: string(r.Since)}
}

// ToRetention converts wire policies to the domain type.
func ToRetention(w []RetentionPolicy) []*convstore.RetentionPolicy {
	out := make([]*convstore.RetentionPolicy, len(w))
	for i, p := range w {
		out[i] = &convstore.RetentionPolicy{
			Conversations: toRetentionRule(p.Conversations),
			Attachments:   toRetentionRule(p.Attachments),
			Artifacts:     toRetentionRule(p.Artifacts),
			UpdatedAt:     time.Unix(p.UpdatedAt, 0).UTC(),
		}
		if p.AgentID != nil {
			out[i].AgentID = *p.AgentID
		}
	}
	return out
}

func toRetentionRule(r *RetentionRule) *convstore.RetentionRule {
	if r == nil {
		return nil
	}
	return &convstore.RetentionRule{Days: r.AfterDays, Since: convstore.RetentionSince(r.Since)}
}

// FromRetentionPreview converts a preview to its wire form.
func FromRetentionPreview(p *convstore.RetentionPreview) RetentionPreview {
	return RetentionPreview{
		Object: ObjectRetentionPreview, AsOf: Unix(p.At), Conversations: p.Conversations, Messages: p.Messages,
		Attachments: p.Attachments, AttachmentBytes: p.AttachmentBytes, Artifacts: p.Artifacts, Held: p.Held,
	}
}

// ToRetentionPreview converts a wire preview to the domain type.
func ToRetentionPreview(w *RetentionPreview) *convstore.RetentionPreview {
	return &convstore.RetentionPreview{At: time.Unix(w.AsOf, 0).UTC(), RetentionCounts: convstore.RetentionCounts{
		Conversations: w.Conversations, Messages: w.Messages, Attachments: w.Attachments,
		AttachmentBytes: w.AttachmentBytes, Artifacts: w.Artifacts, Held: w.Held}}
}
