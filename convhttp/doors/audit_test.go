package doors_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// auditCase is one delete path of one door: what it sets up, the request
// that deletes, and the audit entry it must leave.
type auditCase struct {
	name   string
	door   string          // the door the entry must name
	action string          // its action
	scope  convstore.Scope // the scope of the key that deletes ("" for the admin key)
	// run creates what the request deletes (through the store, or through
	// the door for Inkeep's re-log) and sends the request with header
	// pairs auth and hdr; it returns the answer, the conversation the
	// entry must name (zero for a key) and its target (zero for a
	// conversation delete: the target is then the receipt).
	run func(w *world, auth func(scheme string) []string, hdr []string) (r *doortest.Response, conv, target convstore.ID)
}

// fixture is a conversation of the bot in tenant A with two messages, a
// summary and an attachment.
type fixture struct {
	conv *convstore.Conversation
	msgs []*convstore.Message
	art  *convstore.Artifact
	att  *convstore.Attachment
}

func (w *world) fixture() *fixture {
	w.t.Helper()
	ctx, ten := w.ctx, w.env.TenantA
	c, msgs, err := w.env.Store.CreateConversation(ctx, ten, &convstore.ConversationCreate{AgentID: bot, Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "hello"}, {Role: convstore.RoleAssistant, Content: "hi"}}})
	if err != nil {
		w.t.Fatal(err)
	}
	art, err := w.env.Store.CreateArtifact(ctx, ten, c.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "a greeting"})
	if err != nil {
		w.t.Fatal(err)
	}
	att, err := w.env.Store.PutAttachment(ctx, ten, c.ID, &convstore.AttachmentPut{Name: "call.wav", ContentType: "audio/wav", Body: strings.NewReader("RIFF")})
	if err != nil {
		w.t.Fatal(err)
	}
	return &fixture{conv: c, msgs: msgs, art: art, att: att}
}

func nativePath(f *fixture, tail string) string {
	return "/v1/conversations/" + f.conv.ID.Format(convstore.PrefixConversation) + tail
}

// auditCases are every path by which a door deletes one thing.
var auditCases = []auditCase{
	{name: "native conversation", door: "native", action: convstore.AuditConversationDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("DELETE", nativePath(f, ""), nil, append(auth("Bearer"), hdr...)...), f.conv.ID, convstore.ID{}
		}},
	{name: "native message", door: "native", action: convstore.AuditMessageDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			m := f.msgs[1]
			return w.c.Do("DELETE", nativePath(f, "/messages/"+m.ID.Format(convstore.PrefixMessage)), nil, append(auth("Bearer"), hdr...)...), f.conv.ID, m.ID
		}},
	{name: "native artifact", door: "native", action: convstore.AuditArtifactDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("DELETE", nativePath(f, "/artifacts/"+f.art.ID.Format(convstore.PrefixArtifact)), nil, append(auth("Bearer"), hdr...)...), f.conv.ID, f.art.ID
		}},
	{name: "native attachment", door: "native", action: convstore.AuditAttachmentDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("DELETE", nativePath(f, "/attachments/call.wav"), nil, append(auth("Bearer"), hdr...)...), f.conv.ID, f.att.ID
		}},
	{name: "native attachment replaced", door: "native", action: convstore.AuditAttachmentReplace, scope: convstore.ScopeWrite,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			h := append(append(auth("Bearer"), "Content-Type", "audio/wav"), hdr...)
			return w.c.Do("PUT", nativePath(f, "/attachments/call.wav"), "second take", h...), f.conv.ID, f.att.ID
		}},
	{name: "native key", door: "native", action: convstore.AuditKeyRevoke,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			k, err := w.env.Store.CreateKey(w.ctx, w.env.TenantA, &convstore.KeyCreate{Name: "spare", Scopes: []convstore.Scope{convstore.ScopeRead}}, convstore.DeleteParams{Door: "test"})
			if err != nil {
				w.t.Fatal(err)
			}
			return w.c.Do("DELETE", "/v1/keys/"+k.ID.Format(convstore.PrefixKey), nil, append(auth("Bearer"), hdr...)...), convstore.ID{}, k.ID
		}},
	{name: "stammer conversation", door: "stammer", action: convstore.AuditConversationDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("POST", "/compat/stammer/en/chatbot/api/v1/conversation/"+f.conv.ID.UUID()+"/deactivate/", nil, append(auth("Token"), hdr...)...), f.conv.ID, convstore.ID{}
		}},
	{name: "symbl conversation", door: "symbl", action: convstore.AuditConversationDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("DELETE", "/compat/symbl/v1/conversations/"+strconv.FormatInt(f.conv.Seq, 10), nil, append(auth("Bearer"), hdr...)...), f.conv.ID, convstore.ID{}
		}},
	{name: "elevenlabs conversation", door: "elevenlabs", action: convstore.AuditConversationDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("DELETE", "/compat/elevenlabs/v1/convai/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), nil, append(auth("xi-api-key"), hdr...)...), f.conv.ID, convstore.ID{}
		}},
	{name: "botpress conversation", door: "botpress", action: convstore.AuditConversationDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			h := append(append(auth("Bearer"), "x-bot-id", bot), hdr...)
			return w.c.Do("DELETE", "/compat/botpress/v1/chat/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), map[string]any{}, h...), f.conv.ID, convstore.ID{}
		}},
	{name: "botpress message", door: "botpress", action: convstore.AuditMessageDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			m := f.msgs[0]
			h := append(append(auth("Bearer"), "x-bot-id", bot), hdr...)
			return w.c.Do("DELETE", "/compat/botpress/v1/chat/messages/"+m.ID.Format(convstore.PrefixMessage), map[string]any{}, h...), f.conv.ID, m.ID
		}},
	{name: "inkeep conversation", door: "inkeep", action: convstore.AuditConversationDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("DELETE", "/compat/inkeep/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), nil, append(auth("Bearer"), hdr...)...), f.conv.ID, convstore.ID{}
		}},
	{name: "openai conversation", door: "openai", action: convstore.AuditConversationDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			return w.c.Do("DELETE", "/compat/openai/v1/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), nil, append(auth("Bearer"), hdr...)...), f.conv.ID, convstore.ID{}
		}},
	{name: "openai item", door: "openai", action: convstore.AuditMessageDelete, scope: convstore.ScopeDelete,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			f := w.fixture()
			m := f.msgs[1]
			return w.c.Do("DELETE", "/compat/openai/v1/conversations/"+f.conv.ID.Format(convstore.PrefixConversation)+"/items/"+m.ID.Format(convstore.PrefixMessage),
				nil, append(auth("Bearer"), hdr...)...), f.conv.ID, m.ID
		}},
	{name: "inkeep re-log replacing its fields", door: "inkeep", action: convstore.AuditArtifactDelete, scope: convstore.ScopeWrite,
		run: func(w *world, auth func(string) []string, hdr []string) (*doortest.Response, convstore.ID, convstore.ID) {
			body := func(source string) map[string]any {
				return map[string]any{"id": "relog", "type": "openai", "properties": map[string]any{"source": source},
					"messages": []map[string]any{{"role": "user", "content": "hello"}}}
			}
			w.mustStatus(w.c.Do("POST", "/compat/inkeep/conversations", body("web"), "Authorization", "Bearer "+w.env.KeyA), 200)
			c, err := w.env.Store.FindConversationByExternalID(w.ctx, w.env.TenantA, "inkeep:relog")
			if err != nil {
				w.t.Fatal(err)
			}
			arts, _, err := w.env.Store.FindArtifacts(w.ctx, w.env.TenantA, c.ID, convstore.ArtifactFilter{PageFilter: convstore.PageFilter{Limit: 10}})
			if err != nil || len(arts) != 1 {
				w.t.Fatalf("the logged conversation's field artifacts: %d, %v", len(arts), err)
			}
			return w.c.Do("POST", "/compat/inkeep/conversations", body("app"), append(auth("Bearer"), hdr...)...), c.ID, arts[0].ID
		}},
}

// TestAuditOfEveryDelete deletes one thing through every delete path of
// every door, with a key of the path's scope and a request id of the
// client's, and checks the one audit entry the request left: its door,
// action, acting key, the server's and the client's request ids, the
// conversation and the target (a conversation delete's target is its
// receipt, which names the same door, key and request ids).
func TestAuditOfEveryDelete(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i, tc := range auditCases {
		secret, keyID := w.env.KeyA, w.env.KeyAID
		if tc.scope != "" {
			secret, keyID = w.env.Scoped[tc.scope], w.env.ScopedIDs[tc.scope]
		}
		auth := func(scheme string) []string {
			if scheme == "xi-api-key" {
				return []string{"xi-api-key", secret}
			}
			return []string{"Authorization", scheme + " " + secret}
		}
		clientID := "client-" + strconv.Itoa(i)
		r, conv, target := tc.run(w, auth, []string{"X-Request-Id", clientID})
		if r.Status != 200 {
			t.Errorf("%s: %v", tc.name, r)
			continue
		}
		reqID := r.Header.Get("X-Request-Id")
		if reqID == "" || reqID == clientID {
			t.Errorf("%s: response request id %q", tc.name, reqID)
			continue
		}
		if tc.action == convstore.AuditConversationDelete {
			dels, _, err := w.env.Store.FindDeletions(w.ctx, w.env.TenantA, convstore.DeletionFilter{ConversationID: conv})
			if err != nil || len(dels) != 1 {
				t.Errorf("%s: receipts %+v, %v", tc.name, dels, err)
				continue
			}
			d := dels[0]
			if d.Door != tc.door || d.ActorKeyID != keyID || d.RequestID != reqID || d.ClientRequestID != clientID {
				t.Errorf("%s: receipt by door %s, key %s, request ids %s and %s;\nwant door %s, key %s, request ids %s and %s", tc.name,
					d.Door, d.ActorKeyID.Base32(), d.RequestID, d.ClientRequestID, tc.door, keyID.Base32(), reqID, clientID)
			}
			target = d.ID
		}
		var mine []*convstore.AuditEntry
		for _, a := range w.audit() {
			if a.RequestID == reqID {
				mine = append(mine, a)
			}
		}
		if len(mine) != 1 {
			t.Errorf("%s: %d audit entries carry the request id, want 1", tc.name, len(mine))
			continue
		}
		a := mine[0]
		if a.Action != tc.action || a.Door != tc.door || a.ActorKeyID != keyID || a.ClientRequestID != clientID ||
			a.ConversationID != conv || a.TargetID != target || a.TenantID != w.env.TenantA {
			t.Errorf("%s: audit entry %s\nwant                  %s", tc.name,
				describe(a.Action, a.Door, a.ActorKeyID, a.ClientRequestID, a.ConversationID, a.TargetID),
				describe(tc.action, tc.door, keyID, clientID, conv, target))
		}
	}
}

// audit returns every audit entry of tenant A.
func (w *world) audit() []*convstore.AuditEntry {
	w.t.Helper()
	var all []*convstore.AuditEntry
	f := convstore.AuditFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit}}
	for {
		page, more, err := w.env.Store.FindAuditEntries(w.ctx, w.env.TenantA, f)
		if err != nil {
			w.t.Fatal(err)
		}
		all = append(all, page...)
		if !more || len(page) == 0 {
			return all
		}
		f.After = page[len(page)-1].ID
	}
}

// describe renders what the test compares of an audit entry.
func describe(action, door string, key convstore.ID, clientID string, conv, target convstore.ID) string {
	return fmt.Sprintf("action %s door %s key %s client request %q conversation %s target %s",
		action, door, key.Base32(), clientID, conv.Base32(), target.Base32())
}
