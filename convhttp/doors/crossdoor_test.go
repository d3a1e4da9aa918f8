package doors_test

import (
	"bytes"
	"cmp"
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
)

// bot is the agent every conversation of the test belongs to: Botpress
// shows a conversation only to its own bot (x-bot-id), and Stammer's
// chatbots are UUIDs.
const bot = "6f1c2a7e-3b9d-4c1e-9a2f-0d8e7b6c5a41"

// world is the cross-door test's server: the native API at the root and
// every vendor door under /compat/<name>, over one store.
type world struct {
	t   testing.TB
	env *doortest.Env
	c   *doortest.Client
	key string
	ctx context.Context
	// listBytes is the size of the last list answer (listed).
	listBytes int
}

func newWorld(t *testing.T) *world {
	env := doortest.New(t)
	s := doors.NewMainServer(env.Config())
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &world{t: t, env: env, c: &doortest.Client{TB: t, URL: ts.URL, Server: s}, key: env.KeyA, ctx: context.Background()}
}

// door is one front door as the cross-door test drives it.
type door struct {
	name string
	// create makes a conversation through the door and returns its id in
	// the domain.
	create func(w *world, n int) convstore.ID
	// read fetches the conversation through the door and returns the
	// response, which must be 200 while it exists.
	read func(w *world, c *convstore.Conversation) *doortest.Response
	// del deletes it through the door (200 expected).
	del func(w *world, c *convstore.Conversation) *doortest.Response
	// gone checks the door's own not-found answer to a read.
	gone func(w *world, r *doortest.Response)
}

func (w *world) token(scheme string) string { return scheme + " " + w.key }

func (w *world) mustStatus(r *doortest.Response, status int) *doortest.Response {
	w.t.Helper()
	if r.Status != status {
		w.t.Fatalf("%v: want %d", r, status)
	}
	return r
}

func nativeID(t testing.TB, s string) convstore.ID {
	t.Helper()
	id, err := convstore.ParseID(convstore.PrefixConversation, "id", s)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	s, _ := v.(string)
	return s
}

// wantNotFound checks a 404 with the content type and a body fragment.
func wantNotFound(w *world, r *doortest.Response, contentType, bodyHas string) {
	w.t.Helper()
	doortest.Expect(w.t, r, 404, contentType)
	if !bytes.Contains(r.Body, []byte(bodyHas)) {
		w.t.Fatalf("%v: body lacks %q", r, bodyHas)
	}
}

var allDoors = []door{
	{
		name: "native",
		create: func(w *world, n int) convstore.ID {
			r := w.mustStatus(w.c.Do("POST", "/v1/conversations", map[string]any{"agent_id": bot, "title": "native " + strconv.Itoa(n),
				"messages": []map[string]any{{"role": "user", "content": "hello from native"}}}, "Authorization", w.token("Bearer")), 201)
			return nativeID(w.t, str(r.Map(w.t), "id"))
		},
		read: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("GET", "/v1/conversations/"+c.ID.Format(convstore.PrefixConversation), nil, "Authorization", w.token("Bearer"))
		},
		del: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("DELETE", "/v1/conversations/"+c.ID.Format(convstore.PrefixConversation), nil, "Authorization", w.token("Bearer"))
		},
		gone: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/problem+json", `"not_found"`) },
	},
	{
		name: "stammer",
		create: func(w *world, n int) convstore.ID {
			r := w.mustStatus(w.c.Do("POST", "/compat/stammer/en/chatbot/api/v1/message/", map[string]any{
				"chatbot_uuid": bot, "query": "hello from stammer", "user_key": "user-" + strconv.Itoa(n)},
				"Authorization", w.token("Token")), 200)
			id, ok := convstore.ParseUUID(str(r.Map(w.t), "conversation_uuid"))
			if !ok {
				w.t.Fatalf("%v: no conversation_uuid", r)
			}
			return id
		},
		// Stammer has no get-one endpoint: a conversation is read by
		// listing and finding its uuid; a missing one is not listed, and
		// deactivating it answers 404.
		read: func(w *world, c *convstore.Conversation) *doortest.Response {
			r := w.c.Do("GET", "/compat/stammer/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false&chatbot_uuid="+bot,
				nil, "Authorization", w.token("Token"))
			if r.Status == 200 && !bytes.Contains(r.Body, []byte(c.ID.UUID())) {
				r.Status = 404 // not listed: the test treats it as missing
			}
			return r
		},
		del: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("POST", "/compat/stammer/en/chatbot/api/v1/conversation/"+c.ID.UUID()+"/deactivate/", nil, "Authorization", w.token("Token"))
		},
		gone: func(w *world, r *doortest.Response) {
			w.t.Helper()
			if r.Status != 404 {
				w.t.Fatalf("%v: a deleted conversation is still listed", r)
			}
		},
	},
	{
		name: "symbl",
		create: func(w *world, n int) convstore.ID {
			r := w.mustStatus(w.c.Do("POST", "/compat/symbl/v1/process/text", map[string]any{"name": "symbl " + strconv.Itoa(n),
				"messages": []map[string]any{{"payload": map[string]any{"content": "hello from symbl"}, "from": map[string]any{"name": "Ann"}}}},
				"Authorization", w.token("Bearer")), 201)
			seq, err := strconv.ParseInt(str(r.Map(w.t), "conversationId"), 10, 64)
			if err != nil {
				w.t.Fatalf("%v: conversationId: %v", r, err)
			}
			c, err := w.env.Store.FindConversationBySeq(w.ctx, w.env.TenantA, seq)
			if err != nil {
				w.t.Fatal(err)
			}
			return c.ID
		},
		read: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("GET", "/compat/symbl/v1/conversations/"+strconv.FormatInt(c.Seq, 10), nil, "Authorization", w.token("Bearer"))
		},
		del: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("DELETE", "/compat/symbl/v1/conversations/"+strconv.FormatInt(c.Seq, 10), nil, "Authorization", w.token("Bearer"))
		},
		gone: func(w *world, r *doortest.Response) {
			wantNotFound(w, r, "application/json", "The conversationId is either invalid or does not exist.")
		},
	},
	{
		name: "elevenlabs",
		// ElevenLabs has no REST create: its conversations arrive through
		// the native API (or any other door).
		create: func(w *world, n int) convstore.ID {
			r := w.mustStatus(w.c.Do("POST", "/v1/conversations", map[string]any{"agent_id": bot, "title": "voice " + strconv.Itoa(n),
				"messages": []map[string]any{{"role": "assistant", "content": "hello, how can I help?", "start_offset_ms": 0}}},
				"Authorization", w.token("Bearer")), 201)
			return nativeID(w.t, str(r.Map(w.t), "id"))
		},
		read: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("GET", "/compat/elevenlabs/v1/convai/conversations/"+c.ID.Format(convstore.PrefixConversation), nil, "xi-api-key", w.key)
		},
		del: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("DELETE", "/compat/elevenlabs/v1/convai/conversations/"+c.ID.Format(convstore.PrefixConversation), nil, "xi-api-key", w.key)
		},
		gone: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/json", `"detail"`) },
	},
	{
		name: "botpress",
		create: func(w *world, n int) convstore.ID {
			r := w.mustStatus(w.c.Do("POST", "/compat/botpress/v1/chat/conversations", map[string]any{"channel": "web", "tags": map[string]string{"n": strconv.Itoa(n)}},
				"Authorization", w.token("Bearer"), "x-bot-id", bot), 200)
			id := str(r.Map(w.t), "conversation", "id")
			w.mustStatus(w.c.Do("POST", "/compat/botpress/v1/chat/messages", map[string]any{"conversationId": id, "userId": "user_1", "type": "text",
				"payload": map[string]any{"text": "hello from botpress"}, "tags": map[string]string{}},
				"Authorization", w.token("Bearer"), "x-bot-id", bot), 200)
			return nativeID(w.t, id)
		},
		read: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("GET", "/compat/botpress/v1/chat/conversations/"+c.ID.Format(convstore.PrefixConversation), nil,
				"Authorization", w.token("Bearer"), "x-bot-id", bot)
		},
		del: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("DELETE", "/compat/botpress/v1/chat/conversations/"+c.ID.Format(convstore.PrefixConversation), map[string]any{},
				"Authorization", w.token("Bearer"), "x-bot-id", bot)
		},
		gone: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/json", `"ResourceNotFound"`) },
	},
	{
		name: "inkeep",
		create: func(w *world, n int) convstore.ID {
			w.mustStatus(w.c.Do("POST", "/compat/inkeep/conversations", map[string]any{"id": "xdoor-" + strconv.Itoa(n), "type": "openai",
				"messages": []map[string]any{{"role": "user", "content": "hello from inkeep"}, {"role": "assistant", "content": "hi"}}},
				"Authorization", w.token("Bearer")), 200)
			c, err := w.env.Store.FindConversationByExternalID(w.ctx, w.env.TenantA, "inkeep:xdoor-"+strconv.Itoa(n))
			if err != nil {
				w.t.Fatal(err)
			}
			return c.ID
		},
		read: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("GET", "/compat/inkeep/conversations/"+inkeepID(c), nil, "Authorization", w.token("Bearer"))
		},
		del: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("DELETE", "/compat/inkeep/conversations/"+inkeepID(c), nil, "Authorization", w.token("Bearer"))
		},
		gone: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/problem+json", `"not_found"`) },
	},
	{
		name: "openai",
		create: func(w *world, n int) convstore.ID {
			r := w.mustStatus(w.c.Do("POST", "/compat/openai/v1/conversations", map[string]any{"metadata": map[string]string{"n": strconv.Itoa(n)},
				"items": []map[string]any{{"type": "message", "role": "user", "content": "hello from openai"},
					{"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"}}},
				"Authorization", w.token("Bearer")), 200)
			return nativeID(w.t, str(r.Map(w.t), "id"))
		},
		// A conversation is read with its items, which every door's
		// messages are.
		read: func(w *world, c *convstore.Conversation) *doortest.Response {
			r := w.c.Do("GET", "/compat/openai/v1/conversations/"+c.ID.Format(convstore.PrefixConversation), nil, "Authorization", w.token("Bearer"))
			if r.Status != 200 {
				return r
			}
			items := w.c.Do("GET", "/compat/openai/v1/conversations/"+c.ID.Format(convstore.PrefixConversation)+"/items?order=asc", nil, "Authorization", w.token("Bearer"))
			if items.Status != 200 || !bytes.Contains(items.Body, []byte(`"type":"message"`)) {
				return items
			}
			return r
		},
		del: func(w *world, c *convstore.Conversation) *doortest.Response {
			return w.c.Do("DELETE", "/compat/openai/v1/conversations/"+c.ID.Format(convstore.PrefixConversation), nil, "Authorization", w.token("Bearer"))
		},
		gone: func(w *world, r *doortest.Response) {
			wantNotFound(w, r, "application/json", `"invalid_request_error"`)
		},
	},
}

// inkeepID is the id the Inkeep door shows: the client's own id for
// conversations it logged with one, the native id otherwise.
func inkeepID(c *convstore.Conversation) string {
	if id, ok := strings.CutPrefix(c.ExternalID, "inkeep:"); ok {
		return id
	}
	return c.ID.Format(convstore.PrefixConversation)
}

// TestCrossDoor creates a conversation through each door (native and the
// six vendors'), reads every one through every door, then deletes each
// through the next door in turn and checks that every door answers its not-found, the native receipts list
// the delete with the deleting door, and no row or file is left.
func TestCrossDoor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if len(allDoors) != len(doors.All())+1 {
		t.Fatalf("the test drives %d doors, the server has %d vendor doors plus native", len(allDoors), len(doors.All()))
	}
	convs := make([]*convstore.Conversation, len(allDoors))
	for i, d := range allDoors {
		id := d.create(w, i)
		// Every conversation belongs to the bot, whichever door made it,
		// and carries derived data and an attachment so the delete has
		// everything to cascade over.
		agent := bot
		c, err := w.env.Store.UpdateConversation(w.ctx, w.env.TenantA, id, &convstore.ConversationUpdate{AgentID: &agent})
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		// Each records the door that made it (ElevenLabs has no create
		// call: the test makes its conversations through the native API).
		if want := cmp.Or(map[string]string{"elevenlabs": "native"}[d.name], d.name); c.Door != want {
			t.Errorf("a conversation made through %s has door %q, want %q", d.name, c.Door, want)
		}
		if _, err := w.env.Store.CreateArtifact(w.ctx, w.env.TenantA, id, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "made by " + d.name}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.env.Store.PutAttachment(w.ctx, w.env.TenantA, id, &convstore.AttachmentPut{
			Name: "audio.mp3", ContentType: "audio/mpeg", Body: strings.NewReader("ID3 " + d.name)}); err != nil {
			t.Fatal(err)
		}
		convs[i] = c
	}
	if n := len(w.env.BlobFiles()); n != len(allDoors) {
		t.Fatalf("%d attachment files, want %d", n, len(allDoors))
	}

	for i, c := range convs {
		for _, d := range allDoors {
			if r := d.read(w, c); r.Status != 200 {
				t.Errorf("conversation made by %s, read through %s: %v", allDoors[i].name, d.name, r)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	for i, c := range convs {
		deleter := allDoors[(i+1)%len(allDoors)]
		if r := deleter.del(w, c); r.Status != 200 {
			t.Fatalf("delete of %s's conversation through %s: %v", allDoors[i].name, deleter.name, r)
		}
		for _, d := range allDoors {
			d.gone(w, d.read(w, c))
		}
		dels, _, err := w.env.Store.FindDeletions(w.ctx, w.env.TenantA, convstore.DeletionFilter{ConversationID: c.ID})
		if err != nil || len(dels) != 1 {
			t.Fatalf("receipts of %s: %+v, %v", c.ID.UUID(), dels, err)
		}
		if d := dels[0]; d.Door != deleter.name || d.Messages < 1 || d.Artifacts < 1 || d.Attachments != 1 || d.ConversationSeq != c.Seq {
			t.Errorf("receipt %+v, want door %s, ≥1 message and artifact, 1 attachment", d, deleter.name)
		}
		r := w.mustStatus(w.c.Do("GET", "/v1/deletions?conversation_id="+c.ID.Format(convstore.PrefixConversation), nil, "Authorization", w.token("Bearer")), 200)
		if !bytes.Contains(r.Body, []byte(`"door":"`+deleter.name+`"`)) {
			t.Errorf("native receipts of %s: %s, want door %s", c.ID.UUID(), r.Body, deleter.name)
		}
		for table, n := range w.env.ConversationRows(c.ID) {
			if n != 0 {
				t.Errorf("after the %s delete, %s holds %d rows of the conversation", deleter.name, table, n)
			}
		}
		if n := len(w.env.BlobFiles()); n != len(allDoors)-i-1 {
			t.Errorf("after %d deletes, %d attachment files are left, want %d", i+1, n, len(allDoors)-i-1)
		}
	}
}
