package botpress_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/botpress"
	"github.com/convstore/convstore/convhttp/doortest"
)

// FuzzBotpressIDs sends arbitrary ids through every id-taking route (path
// ids, user ids, conversationId in a query or body, nextToken cursors,
// participantIds), at the root
// and under /compat/botpress. Whatever the id, the answer is never a 500
// and every error is a Botpress error body.
func FuzzBotpressIDs(f *testing.F) {
	e := doortest.New(f)
	fz := e.Fuzzer(func(s *convhttp.Server) {
		s.Mount("/", botpress.New(s))
		s.Mount("/compat/botpress", botpress.New(s))
	})
	fz.Auth = func(h http.Header, key string) { h.Set("Authorization", "Bearer "+key) }
	fz.ErrorType = "application/json"
	fz.CheckError = func(tb testing.TB, r *doortest.Response) { checkErrorBody(tb, r.Body, r.Status, "", r.String()) }

	// Valid ids of tenant A's bot, tenant B's and another bot's.
	seed := func(key, botID string) (conv, msg, user string) {
		r := fz.Serve("POST", "/v1/chat/conversations", []byte(`{"channel":"c","tags":{}}`), key, "x-bot-id", botID)
		var c struct{ Conversation struct{ ID string } }
		_ = json.Unmarshal(r.Body, &c)
		r = fz.Serve("POST", "/v1/chat/messages", []byte(`{"conversationId":"`+c.Conversation.ID+`","userId":"u","type":"text","tags":{},"payload":{"text":"x"}}`), key, "x-bot-id", botID)
		var m struct{ Message struct{ ID string } }
		_ = json.Unmarshal(r.Body, &m)
		if c.Conversation.ID == "" || m.Message.ID == "" {
			f.Fatalf("seed failed: %s", r.Body)
		}
		r = fz.Serve("POST", "/v1/chat/users", []byte(`{"tags":{}}`), key, "x-bot-id", botID)
		var u struct{ User struct{ ID string } }
		_ = json.Unmarshal(r.Body, &u)
		r = fz.Serve("POST", "/v1/chat/conversations/"+c.Conversation.ID+"/participants", []byte(`{"userId":"`+u.User.ID+`"}`), key, "x-bot-id", botID)
		if u.User.ID == "" || r.Status != 200 {
			f.Fatalf("seed failed: %s", r.Body)
		}
		return c.Conversation.ID, m.Message.ID, u.User.ID
	}
	for _, k := range [][2]string{{e.KeyA, bot}, {e.KeyB, bot}, {e.KeyA, otherBot}} {
		conv, msg, user := seed(k[0], k[1])
		f.Add(conv)
		f.Add(msg)
		f.Add(user)
	}
	for _, s := range []string{
		"", "conv_", "msg_", "conv_00000000000000000000000000", "conv_7zzzzzzzzzzzzzzzzzzzzzzzzz", "conv_8zzzzzzzzzzzzzzzzzzzzzzzzz",
		"CONV_01J00000000000000000000000", "conv_01j0000000000000000000000u", "conv_01j000000000000000000000", "conv_01j0000000000000000000000000",
		"get-or-create", "..", ".", "%00", "a/b", "\x00", "\xff", "12345", "00000000-0000-0000-0000-000000000000",
		strings.Repeat("x", 500), convstore.NewID().Format("conv"), convstore.NewID().Format("msg"), "user_01j00000000000000000000000",
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, id string) {
		p, q := url.PathEscape(id), url.QueryEscape(id)
		jid, _ := json.Marshal(id)
		reqs := []struct{ method, target, body string }{
			{"GET", "/v1/chat/conversations/" + p, ""},
			{"PUT", "/v1/chat/conversations/" + p, `{"tags":{"k":"v"}}`},
			{"GET", "/v1/chat/messages/" + p, ""},
			{"GET", "/v1/chat/messages?conversationId=" + q, ""},
			{"GET", "/v1/chat/messages?conversationId=" + q + "&nextToken=" + q, ""},
			{"GET", "/v1/chat/conversations?nextToken=" + q + "&tags." + q + "=" + q, ""},
			{"POST", "/v1/chat/messages", `{"conversationId":` + string(jid) + `,"userId":"u","type":"text","tags":{},"payload":{"text":"x"}}`},
			{"POST", "/v1/chat/conversations/get-or-create", `{"channel":` + string(jid) + `,"tags":{` + string(jid) + `:"v"},"discriminateByTags":[` + string(jid) + `]}`},
			{"GET", "/v1/chat/conversations?sortField=updatedAt&nextToken=" + q + "&participantIds=" + q, ""},
			{"GET", "/v1/chat/users/" + p, ""},
			{"PUT", "/v1/chat/users/" + p, `{"name":"n"}`},
			{"GET", "/v1/chat/users?conversationId=" + q + "&nextToken=" + q, ""},
			{"GET", "/v1/chat/users?nextToken=" + q, ""},
			{"POST", "/v1/chat/conversations/" + p + "/participants", `{"userId":` + string(jid) + `}`},
			{"GET", "/v1/chat/conversations/" + p + "/participants?nextToken=" + q, ""},
			{"GET", "/v1/chat/conversations/" + p + "/participants/" + p, ""},
			{"PUT", "/v1/chat/messages/" + p, `{"tags":{"k":"v"}}`},
			{"POST", "/v1/chat/messages/get-or-create", `{"conversationId":` + string(jid) + `,"userId":"u","type":"text","tags":{"k":"v"},"payload":{"text":"x"}}`},
			{"POST", "/v1/chat/initialize-incoming-message", `{"userId":` + string(jid) + `,"conversationId":` + string(jid) + `}`},
			{"POST", "/v1/chat/messages/import-messages", `{"messages":[{"conversationId":` + string(jid) + `,"userId":"u","type":"text","tags":{},"payload":{"text":"x"},"createdAt":"2024-01-01T00:00:00Z"}]}`},
			{"GET", "/compat/botpress/v1/chat/conversations/" + p, ""},
			{"GET", "/compat/botpress/v1/chat/messages/" + p, ""},
			// Deletes last, so earlier requests still meet live records.
			{"DELETE", "/v1/chat/messages/" + p, "{}"},
			{"DELETE", "/v1/chat/conversations/" + p + "/participants/" + p, ""},
			{"DELETE", "/v1/chat/users/" + p, ""},
			{"DELETE", "/compat/botpress/v1/chat/conversations/" + p, "{}"},
		}
		for _, rq := range reqs {
			r := fz.Check(t, rq.method, rq.target, []byte(rq.body), e.KeyA, "x-bot-id", bot)
			if r != nil && r.Status < 300 && !json.Valid(r.Body) {
				t.Fatalf("%v: body is not JSON", r)
			}
		}
	})
}
