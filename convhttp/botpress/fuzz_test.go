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
// ids, conversationId in a query or body, nextToken cursors), at the root
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
	seed := func(key, botID string) (conv, msg string) {
		r := fz.Serve("POST", "/v1/chat/conversations", []byte(`{"channel":"c","tags":{}}`), key, "x-bot-id", botID)
		var c struct{ Conversation struct{ ID string } }
		_ = json.Unmarshal(r.Body, &c)
		r = fz.Serve("POST", "/v1/chat/messages", []byte(`{"conversationId":"`+c.Conversation.ID+`","userId":"u","type":"text","tags":{},"payload":{"text":"x"}}`), key, "x-bot-id", botID)
		var m struct{ Message struct{ ID string } }
		_ = json.Unmarshal(r.Body, &m)
		if c.Conversation.ID == "" || m.Message.ID == "" {
			f.Fatalf("seed failed: %s", r.Body)
		}
		return c.Conversation.ID, m.Message.ID
	}
	for _, k := range [][2]string{{e.KeyA, bot}, {e.KeyB, bot}, {e.KeyA, otherBot}} {
		conv, msg := seed(k[0], k[1])
		f.Add(conv)
		f.Add(msg)
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
			{"GET", "/compat/botpress/v1/chat/conversations/" + p, ""},
			{"GET", "/compat/botpress/v1/chat/messages/" + p, ""},
			// Deletes last, so earlier requests still meet live records.
			{"DELETE", "/v1/chat/messages/" + p, "{}"},
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
