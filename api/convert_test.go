package api_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func sec(t time.Time) time.Time { return t.Truncate(time.Second) }

func TestConversationRoundTrip(t *testing.T) {
	now := sec(time.Now().UTC())
	id := convstore.NewID()
	in := &convstore.Conversation{ID: id, Seq: convstore.NewSeq(id), AgentID: "bot", Title: "t",
		Metadata: convstore.Metadata{"a": "b"}, MessageCount: 3, CreatedAt: now, UpdatedAt: now}
	w := api.FromConversation(in)
	b, _ := json.Marshal(w)
	var back api.Conversation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	out := api.ToConversation(&back)
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed conversation:\n in %+v\nout %+v", in, out)
	}
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	if raw["user_id"] != nil || raw["object"] != "conversation" {
		t.Fatalf("empty user_id must be null and object set: %s", b)
	}
	if _, ok := raw["seq"].(string); !ok {
		t.Fatalf("seq must be a string (JavaScript-safe): %s", b)
	}
}

func TestMessageAndArtifactRoundTrip(t *testing.T) {
	now := sec(time.Now().UTC())
	start, end := 1500*time.Millisecond, 2500*time.Millisecond
	m := &convstore.Message{ID: convstore.NewID(), ConversationID: convstore.NewID(), Role: convstore.RoleAssistant,
		Content: "hi", Parts: json.RawMessage(`[{"type":"text"}]`), AuthorName: "Ada",
		StartOffset: &start, EndOffset: &end, Metadata: convstore.Metadata{}, CreatedAt: now}
	wm := api.FromMessage(m)
	if *wm.StartOffsetMS != 1500 || *wm.EndOffsetMS != 2500 {
		t.Fatalf("offsets not in ms: %+v", wm)
	}
	if got := api.ToMessage(&wm); !reflect.DeepEqual(m, got) {
		t.Fatalf("message round trip:\n in %+v\nout %+v", m, got)
	}
	score := 0.5
	a := &convstore.Artifact{ID: convstore.NewID(), ConversationID: m.ConversationID, Type: convstore.ArtifactTopic,
		Text: "pricing", MessageIDs: []convstore.ID{m.ID}, Score: &score, CreatedAt: now}
	wa := api.FromArtifact(a)
	if got := api.ToArtifact(&wa); !reflect.DeepEqual(a, got) {
		t.Fatalf("artifact round trip:\n in %+v\nout %+v", a, got)
	}
	if _, err := api.ToArtifactCreate(&api.ArtifactCreate{Type: "topic", MessageIDs: []string{"msg_bad"}}); convstore.ErrorField(err) != "message_ids[0]" {
		t.Fatalf("bad message id not reported on its field: %v", err)
	}
}

func TestDeletionHasNoContentFields(t *testing.T) {
	d := api.FromDeletion(&convstore.Deletion{ID: convstore.NewID(), ConversationID: convstore.NewID(), Messages: 2})
	b, _ := json.Marshal(d)
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	for k := range raw {
		switch k {
		case "id", "object", "conversation_id", "conversation_seq", "kind", "deleted_by", "door", "request_id", "client_request_id",
			"messages", "artifacts", "attachments", "attachment_bytes", "created_at", "key_epoch", "shredded_at", "policy", "purged_at", "erasure_id", "restorable_until", "restored_at",
			"confirmations", "complete":
		default:
			t.Errorf("receipt has unexpected field %q", k)
		}
	}
	if raw["deleted_by"] != nil || raw["client_request_id"] != nil {
		t.Fatalf("operator delete without a client request id must render deleted_by and client_request_id null: %s", b)
	}
	if v, ok := raw["key_epoch"]; !ok || v != nil {
		t.Fatalf("a receipt of an unsealed conversation must render key_epoch null: %s", b)
	}
	if v, ok := raw["shredded_at"]; !ok || v != nil {
		t.Fatalf("a receipt not yet shredded must render shredded_at null: %s", b)
	}
	if v, ok := raw["purged_at"]; !ok || v != nil {
		t.Fatalf("a receipt not yet purged must render purged_at null: %s", b)
	}
}

// TestDeletionKindRoundTrip checks kind both ways: "conversation" for a
// conversation's receipt, "end_user" for an end-user record's.
func TestDeletionKindRoundTrip(t *testing.T) {
	for _, kind := range []string{"", convstore.DeletionEndUser} {
		w := api.FromDeletion(&convstore.Deletion{ID: convstore.NewID(), ConversationID: convstore.NewID(), Kind: kind})
		want := "conversation"
		if kind != "" {
			want = kind
		}
		if w.Kind != want {
			t.Errorf("kind %q renders %q, want %q", kind, w.Kind, want)
		}
		if d := api.ToDeletion(&w); d.Kind != kind {
			t.Errorf("kind %q comes back %q", kind, d.Kind)
		}
	}
}

// TestDeletionPurgedRoundTrip checks purged_at both ways.
func TestDeletionPurgedRoundTrip(t *testing.T) {
	at := time.Unix(1764500041, 0).UTC()
	w := api.FromDeletion(&convstore.Deletion{ID: convstore.NewID(), ConversationID: convstore.NewID(), PurgedAt: &at})
	if w.PurgedAt == nil || *w.PurgedAt != at.Unix() {
		t.Fatalf("purged_at = %v, want %d", w.PurgedAt, at.Unix())
	}
	if d := api.ToDeletion(&w); d.PurgedAt == nil || !d.PurgedAt.Equal(at) {
		t.Fatalf("back: purged_at = %v, want %v", d.PurgedAt, at)
	}
}

// TestDeletionShreddingRoundTrip checks key_epoch and shredded_at both ways.
func TestDeletionShreddingRoundTrip(t *testing.T) {
	at := time.Unix(1796024770, 0).UTC()
	d := &convstore.Deletion{ID: convstore.NewID(), ConversationID: convstore.NewID(), ConversationSeq: 7, KeyEpoch: 3,
		ShreddedAt: &at, CreatedAt: at.Add(-time.Hour)}
	w := api.FromDeletion(d)
	if w.KeyEpoch == nil || *w.KeyEpoch != 3 || w.ShreddedAt == nil || *w.ShreddedAt != at.Unix() {
		t.Fatalf("wire receipt: %+v", w)
	}
	if got := api.ToDeletion(&w); !reflect.DeepEqual(d, got) {
		t.Fatalf("receipt round trip:\n in %+v\nout %+v", d, got)
	}
}

// TestAuditEntryOfKeyActions checks the wire form of an administrative
// entry: no conversation (null), the target with its kind's prefix, and
// the client's request id beside the server's, in both directions.
func TestAuditEntryOfKeyActions(t *testing.T) {
	key := convstore.NewID()
	for action, prefix := range map[string]string{
		convstore.AuditKeyCreate: "key_", convstore.AuditKeyRevoke: "key_", convstore.AuditTenantCreate: "ten_",
		convstore.AuditAttachmentReplace: "att_",
	} {
		w := api.FromAuditEntry(&convstore.AuditEntry{ID: convstore.NewID(), Action: action, TargetID: key,
			RequestID: "req_1", ClientRequestID: "mine"})
		if w.ConversationID != nil || w.TargetID != prefix+key.Base32() || w.ClientRequestID == nil || *w.ClientRequestID != "mine" {
			t.Errorf("%s: %+v", action, w)
		}
	}
	d := &convstore.Deletion{ID: convstore.NewID(), ConversationID: convstore.NewID(), RequestID: "req_2", ClientRequestID: "req_1",
		CreatedAt: time.Unix(1, 0).UTC()}
	w := api.FromDeletion(d)
	if got := api.ToDeletion(&w); !reflect.DeepEqual(got, d) {
		t.Errorf("receipt round trip:\n in %+v\nout %+v", d, got)
	}
}

func TestErasureRoundTrip(t *testing.T) {
	now := time.Unix(1700000000, 0).UTC()
	before := now.Add(-time.Hour)
	e := &convstore.Erasure{ID: convstore.NewID(), State: convstore.ErasureRunning, IncludeNew: true,
		Selector:   convstore.ErasureSummary{AgentID: "agent", CreatedBefore: &before, UserID: true, ExternalIDs: 2, MetadataPairs: 1},
		SnapshotAt: now, Total: convstore.ErasureCounts{Conversations: 3, Messages: 4, Artifacts: 5, Attachments: 6, Bytes: 7},
		Done: convstore.ErasureCounts{Conversations: 1}, Held: 1, CancelRequested: true, Error: "why",
		ActorKeyID: convstore.NewID(), Door: "native", RequestID: "req", ClientRequestID: "client",
		CreatedAt: now, UpdatedAt: now, FinishedAt: &now}
	w := api.FromErasure(e)
	if got := api.ToErasure(&w); !reflect.DeepEqual(e, got) {
		t.Fatalf("erasure round trip:\n in %+v\nout %+v", e, got)
	}
	b, _ := json.Marshal(w)
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	if _, ok := raw["selector"].(map[string]any)["user_id"]; ok {
		t.Fatalf("the job's wire form has a user_id: %s", b)
	}
}
