package doors_test

import (
	"strconv"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// lateWrite is one write that arrives after its conversation was deleted:
// through one door, naming the conversation the way that door names it.
type lateWrite struct {
	name string
	// make creates the conversation the late write will name, through
	// the door that names it that way.
	make func(w *world, n int) *convstore.Conversation
	// write sends the late write.
	write func(w *world, c *convstore.Conversation, n int) *doortest.Response
	// want checks the door's answer: its not-found, or its conflict.
	want func(w *world, r *doortest.Response)
}

func (w *world) conversation(id convstore.ID) *convstore.Conversation {
	w.t.Helper()
	c, err := w.env.Store.FindConversationByID(w.ctx, w.env.TenantA, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// inkeepLog logs a conversation through the Inkeep door under a client id.
func inkeepLog(w *world, id string) *doortest.Response {
	return w.c.Do("POST", "/compat/inkeep/conversations", map[string]any{"id": id, "type": "openai",
		"messages": []map[string]any{{"role": "user", "content": "late hello"}}}, "Authorization", w.token("Bearer"))
}

// botpressGetOrCreate asks the Botpress door for the conversation of one
// get-or-create key (channel web, discriminated by the tag user).
func botpressGetOrCreate(w *world, n int) *doortest.Response {
	return w.c.Do("POST", "/compat/botpress/v1/chat/conversations/get-or-create", map[string]any{"channel": "web",
		"tags": map[string]string{"user": "u" + strconv.Itoa(n)}, "discriminateByTags": []string{"user"}},
		"Authorization", w.token("Bearer"), "x-bot-id", bot)
}

// nativeImport creates a conversation with an external id through the
// native door.
func nativeImport(w *world, ext string) *doortest.Response {
	return w.c.Do("POST", "/v1/conversations", map[string]any{"agent_id": bot, "external_id": ext,
		"messages": []map[string]any{{"role": "user", "content": "imported"}}}, "Authorization", w.token("Bearer"))
}

var lateWrites = []lateWrite{
	{
		name: "inkeep log with its client id",
		make: func(w *world, n int) *convstore.Conversation {
			w.mustStatus(inkeepLog(w, "late-"+strconv.Itoa(n)), 200)
			c, err := w.env.Store.FindConversationByExternalID(w.ctx, w.env.TenantA, "inkeep:late-"+strconv.Itoa(n))
			if err != nil {
				w.t.Fatal(err)
			}
			return c
		},
		write: func(w *world, c *convstore.Conversation, n int) *doortest.Response {
			return inkeepLog(w, "late-"+strconv.Itoa(n))
		},
		want: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/problem+json", `"not_found"`) },
	},
	{
		name: "inkeep log with its native id",
		make: func(w *world, n int) *convstore.Conversation { return w.conversation(allDoors[0].create(w, n)) },
		write: func(w *world, c *convstore.Conversation, n int) *doortest.Response {
			return inkeepLog(w, c.ID.Format(convstore.PrefixConversation))
		},
		want: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/problem+json", `"not_found"`) },
	},
	{
		name: "symbl append",
		make: func(w *world, n int) *convstore.Conversation { return w.conversation(allDoors[2].create(w, n)) },
		write: func(w *world, c *convstore.Conversation, n int) *doortest.Response {
			return w.c.Do("PUT", "/compat/symbl/v1/process/text/"+strconv.FormatInt(c.Seq, 10), map[string]any{
				"messages": []map[string]any{{"payload": map[string]any{"content": "late"}}}}, "Authorization", w.token("Bearer"))
		},
		want: func(w *world, r *doortest.Response) {
			wantNotFound(w, r, "application/json", "The conversationId is either invalid or does not exist.")
		},
	},
	{
		name: "botpress get-or-create",
		make: func(w *world, n int) *convstore.Conversation {
			r := w.mustStatus(botpressGetOrCreate(w, n), 200)
			return w.conversation(nativeID(w.t, str(r.Map(w.t), "conversation", "id")))
		},
		write: func(w *world, c *convstore.Conversation, n int) *doortest.Response { return botpressGetOrCreate(w, n) },
		want:  func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/json", `"ResourceNotFound"`) },
	},
	{
		name: "botpress message",
		make: func(w *world, n int) *convstore.Conversation { return w.conversation(allDoors[4].create(w, n)) },
		write: func(w *world, c *convstore.Conversation, n int) *doortest.Response {
			return w.c.Do("POST", "/compat/botpress/v1/chat/messages", map[string]any{"conversationId": c.ID.Format(convstore.PrefixConversation),
				"userId": "user_1", "type": "text", "payload": map[string]any{"text": "late"}, "tags": map[string]string{}},
				"Authorization", w.token("Bearer"), "x-bot-id", bot)
		},
		want: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/json", `"ResourceNotFound"`) },
	},
	{
		name: "native append",
		make: func(w *world, n int) *convstore.Conversation { return w.conversation(allDoors[0].create(w, n)) },
		write: func(w *world, c *convstore.Conversation, n int) *doortest.Response {
			return w.c.Do("POST", "/v1/conversations/"+c.ID.Format(convstore.PrefixConversation)+"/messages", map[string]any{
				"messages": []map[string]any{{"role": "user", "content": "late"}}}, "Authorization", w.token("Bearer"))
		},
		want: func(w *world, r *doortest.Response) { wantNotFound(w, r, "application/problem+json", `"not_found"`) },
	},
	{
		name: "native import with its external id",
		make: func(w *world, n int) *convstore.Conversation {
			r := w.mustStatus(nativeImport(w, "crm-"+strconv.Itoa(n)), 201)
			return w.conversation(nativeID(w.t, str(r.Map(w.t), "id")))
		},
		write: func(w *world, c *convstore.Conversation, n int) *doortest.Response {
			return nativeImport(w, "crm-"+strconv.Itoa(n))
		},
		want: func(w *world, r *doortest.Response) {
			w.t.Helper()
			doortest.Expect(w.t, r, 409, "application/problem+json")
		},
	},
}

// TestTombstones deletes a conversation through every door in turn and
// sends every kind of late write naming it: each is refused in its door's
// format, and nothing is written (no conversation, no message).
func TestTombstones(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	n := 0
	for _, lw := range lateWrites {
		for _, deleter := range allDoors {
			n++
			c := lw.make(w, n)
			// Every door may delete it: Botpress deletes only its bot's.
			agent := bot
			if _, err := w.env.Store.UpdateConversation(w.ctx, w.env.TenantA, c.ID, &convstore.ConversationUpdate{AgentID: &agent}); err != nil {
				t.Fatal(err)
			}
			if r := deleter.del(w, c); r.Status != 200 {
				t.Fatalf("%s: delete through %s: %v", lw.name, deleter.name, r)
			}
			before := w.countConversations()
			r := lw.write(w, c, n)
			t.Run(lw.name+" after "+deleter.name+" delete", func(t *testing.T) {
				w.t = t
				defer func() { w.t = t }()
				lw.want(w, r)
				if after := w.countConversations(); after != before {
					t.Errorf("the late write made %d conversations", after-before)
				}
				if _, err := w.env.Store.FindConversationByID(w.ctx, w.env.TenantA, c.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
					t.Errorf("the deleted conversation reads back: %v", err)
				}
			})
			w.t = t
		}
	}
}

func (w *world) countConversations() int {
	w.t.Helper()
	n, err := w.env.Store.CountConversations(w.ctx, w.env.TenantA, convstore.ConversationFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}
