package v1_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// fixture holds the wire ids that fill a route's path parameters.
type fixture struct {
	conv, msg, art, name, del, key, hold, erasure string
	hook, delivery                                string // a webhook and its test delivery
	proc                                          string // a processor's name
	seq                                           string // the conversation's seq, for GET /v1/conversations/lookup
}

// randomFixture returns ids that never existed in any tenant.
func randomFixture() *fixture {
	return &fixture{
		conv:     convstore.NewID().Format(convstore.PrefixConversation),
		msg:      convstore.NewID().Format(convstore.PrefixMessage),
		art:      convstore.NewID().Format(convstore.PrefixArtifact),
		name:     "nope.wav", // as long as the fixture's "call.wav"
		del:      convstore.NewID().Format(convstore.PrefixDeletion),
		key:      convstore.NewID().Format(convstore.PrefixKey),
		hold:     convstore.NewID().Format(convstore.PrefixHold),
		erasure:  convstore.NewID().Format(convstore.PrefixErasure),
		hook:     convstore.NewID().Format(convstore.PrefixWebhook),
		delivery: convstore.NewID().Format(convstore.PrefixWebhookDelivery),
		proc:     "missing-proc", // as long as the fixture's "fixture-proc"
		seq:      strconv.FormatInt(convstore.NewSeq(convstore.NewID()), 10),
	}
}

// path fills the path parameters of a route pattern.
func (f *fixture) path(p string) string {
	return strings.NewReplacer(
		"{conversation_id}", f.conv, "{message_id}", f.msg, "{artifact_id}", f.art,
		"{name}", f.name, "{deletion_id}", f.del, "{key_id}", f.key,
		"{hold_id}", f.hold,
		"{erasure_id}", f.erasure, "{processor}", f.proc,
		"{webhook_id}", f.hook, "{delivery_id}", f.delivery,
	).Replace(p)
}

// populate creates, through the API with tenant A's admin key, a
// conversation with two messages, an artifact and an attachment, a second
// conversation that is deleted (for a receipt), and a spare key.
func (e *env) populate() *fixture {
	e.TB.Helper()
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{
		"title": "fixture", "agent_id": "agent-1", "user_id": "user-1", "metadata": map[string]string{"k": "v"},
		"messages": []map[string]any{{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}},
	}, &conv)
	var msgs api.List[api.Message]
	e.must(200, "GET", "/v1/conversations/"+conv.ID+"/messages", e.KeyA, nil, &msgs)
	var art api.Artifact
	e.must(201, "POST", "/v1/conversations/"+conv.ID+"/artifacts", e.KeyA,
		map[string]any{"type": "summary", "text": "a greeting", "message_ids": []string{msgs.Data[0].ID}}, &art)
	r := e.do("PUT", "/v1/conversations/"+conv.ID+"/attachments/call.wav", e.KeyA, "RIFF-audio-bytes", "Content-Type", "audio/wav")
	if r.Status != 201 {
		e.TB.Fatalf("%v", r)
	}
	// A webhook with a test delivery (audited before the actions the
	// audit test reads first).
	var hook api.Webhook
	e.must(201, "POST", "/v1/webhooks", e.KeyA, map[string]any{"url": "https://example.com/hook"}, &hook)
	var delivery api.WebhookDelivery
	e.must(202, "POST", "/v1/webhooks/"+hook.ID+"/test", e.KeyA, nil, &delivery)
	// A hold on an agent no conversation of the fixture has: it holds
	// nothing the other tests delete.
	var hold api.Hold
	e.must(201, "POST", "/v1/holds", e.KeyA, map[string]any{"agent_id": "held-agent", "reason": "fixture matter"}, &hold)
	// A processor registered before the delete below: its receipt
	// requires a confirmation from it.
	e.must(201, "POST", "/v1/processors", e.KeyA, map[string]any{"name": "fixture-proc"}, nil)
	var gone api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": "to delete"}, &gone)
	var deleted api.ConversationDeleted
	e.must(200, "DELETE", "/v1/conversations/"+gone.ID, e.KeyA, nil, &deleted)
	var key api.APIKey
	e.must(201, "POST", "/v1/keys", e.KeyA, map[string]any{"name": "spare", "scopes": []string{"read"}}, &key)
	var erasure api.Erasure // a dry run: it deletes nothing
	e.must(201, "POST", "/v1/erasures", e.KeyA, map[string]any{"selector": map[string]any{"user_id": "user-1"}, "dry_run": true}, &erasure)
	return &fixture{conv: conv.ID, msg: msgs.Data[1].ID, art: art.ID, name: "call.wav", del: deleted.Receipt.ID, key: key.ID,
		hold: hold.ID, erasure: erasure.ID, seq: conv.Seq, hook: hook.ID, delivery: delivery.ID,
		proc: "fixture-proc"}
}

// routes returns the native door's routes as the server registered them.
func (e *env) routes() []convhttp.RouteInfo {
	var out []convhttp.RouteInfo
	for _, r := range e.srv.Routes() {
		if r.Door == v1.DoorName {
			out = append(out, r)
		}
	}
	return out
}

// validBody returns a well-formed body (and content type) for a route, so
// that a request gets past decoding to the store.
func validBody(rt convhttp.RouteInfo) (body any, hdr []string) {
	switch rt.Method + " " + rt.Path {
	case "POST /v1/conversations":
		return map[string]any{"title": "new"}, nil
	case "PATCH /v1/conversations/{conversation_id}":
		return map[string]any{"title": "changed"}, nil
	case "POST /v1/conversations/{conversation_id}/messages":
		return map[string]any{"role": "user", "content": "more"}, nil
	case "POST /v1/conversations/{conversation_id}/artifacts":
		return map[string]any{"type": "topic", "text": "weather"}, nil
	case "PUT /v1/conversations/{conversation_id}/attachments/{name}":
		return "new-bytes", []string{"Content-Type", "audio/wav"}
	case "POST /v1/keys":
		return map[string]any{"name": "k", "scopes": []string{"read"}}, nil
	case "POST /v1/holds":
		return map[string]any{"agent_id": "another-held-agent", "reason": "r"}, nil
	case "POST /v1/webhooks":
		return map[string]any{"url": "https://example.com/another"}, nil
	case "PATCH /v1/webhooks/{webhook_id}":
		return map[string]any{"description": "changed"}, nil
	case "POST /v1/webhooks/{webhook_id}/rotate_secret":
		return map[string]any{"overlap_seconds": 60}, nil
	case "PUT /v1/cors":
		return map[string]any{"allowed_origins": []string{"https://app.example.com"}}, nil
	case "PUT /v1/retention":
		return map[string]any{"policies": []any{}}, nil
	case "POST /v1/retention/preview":
		return map[string]any{"policies": []any{map[string]any{"conversations": map[string]any{"after_days": 30}}}}, nil
	case "POST /v1/processors":
		return map[string]any{"name": "new-proc", "deadline": "24h"}, nil
	case "PATCH /v1/processors/{processor}":
		return map[string]any{"deadline": "48h"}, nil
	case "POST /v1/deletions/{deletion_id}/confirmations":
		return map[string]any{"processor": "fixture-proc", "note": "purged"}, nil
	}
	return nil, nil
}

// hasKeys fails unless the JSON object has exactly the given members.
func hasKeys(tb testing.TB, what string, raw []byte, want ...string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("%s: %v: %s", what, err, raw)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		tb.Fatalf("%s: members %v, want %v: %s", what, got, want, raw)
	}
	return m
}

// Member sets of the wire objects.
var (
	conversationKeys = []string{"id", "object", "seq", "agent_id", "user_id", "external_id", "door", "title", "metadata", "message_count", "created_at", "updated_at"}
	messageKeys      = []string{"id", "object", "conversation_id", "role", "content", "parts", "author_name", "start_offset_ms", "end_offset_ms", "metadata", "created_at"}
	artifactKeys     = []string{"id", "object", "conversation_id", "type", "text", "data", "message_ids", "score", "created_at"}
	attachmentKeys   = []string{"id", "object", "conversation_id", "name", "content_type", "size", "sha256", "created_at"}
	deletionKeys     = []string{"id", "object", "conversation_id", "conversation_seq", "kind", "deleted_by", "door", "request_id", "client_request_id", "messages", "artifacts", "attachments", "attachment_bytes", "created_at", "key_epoch", "shredded_at", "purged_at", "policy", "erasure_id", "restorable_until", "restored_at", "confirmations", "complete"}
	holdKeys         = []string{"id", "object", "kind", "conversation_id", "agent_id", "reason", "created_by", "created_at"}
	auditKeys        = []string{"id", "object", "action", "actor_key_id", "door", "request_id", "client_request_id", "conversation_id", "target_id", "created_at", "policy"}
	keyKeys          = []string{"id", "object", "name", "prefix", "scopes", "created_at", "last_used_at", "processor"}
	listKeys         = []string{"object", "data", "first_id", "last_id", "has_more"}
	deletedKeys      = []string{"id", "object", "deleted"}
)

// checkList checks a list body's shape, its items' members and its ids.
func checkList(tb testing.TB, r *doortest.Response, itemKeys []string, wantIDs []string, hasMore bool) {
	tb.Helper()
	m := hasKeys(tb, r.String(), r.Body, listKeys...)
	var l api.List[json.RawMessage]
	if err := json.Unmarshal(r.Body, &l); err != nil {
		tb.Fatal(err)
	}
	if m["object"] != "list" || l.HasMore != hasMore || l.Data == nil {
		tb.Fatalf("%v: want list with has_more %v", r, hasMore)
	}
	var ids []string
	for _, it := range l.Data {
		obj := hasKeys(tb, r.String(), it, itemKeys...)
		ids = append(ids, obj["id"].(string))
	}
	if !slices.Equal(ids, wantIDs) && (len(ids) != 0 || len(wantIDs) != 0) {
		tb.Fatalf("%v: ids %v, want %v", r, ids, wantIDs)
	}
	if len(ids) == 0 {
		if l.FirstID != nil || l.LastID != nil {
			tb.Fatalf("%v: empty list with first/last id", r)
		}
	} else if *l.FirstID != ids[0] || *l.LastID != ids[len(ids)-1] {
		tb.Fatalf("%v: first_id/last_id do not match data", r)
	}
}

// allScopes lists the scopes a single-scope key can have.
var allScopes = []convstore.Scope{convstore.ScopeRead, convstore.ScopeWrite, convstore.ScopeDelete, convstore.ScopeAdmin}

// statusOK reports whether status is a 2xx.
func statusOK(status int) bool { return status >= http.StatusOK && status < 300 }
