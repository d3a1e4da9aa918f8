package botpress_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/botpress"
	"github.com/convstore/convstore/convhttp/doortest"
)

// Bots of the tests: x-bot-id values.
const (
	bot      = "bot_alpha"
	otherBot = "bot_beta"
)

// env is one test's world: the shared harness and a client of a server with
// the door mounted at the root.
type env struct {
	*doortest.Env
	c *doortest.Client
}

func setup(t *testing.T) *env {
	t.Helper()
	e := doortest.New(t)
	c := e.Serve(func(s *convhttp.Server) { s.Mount("/", botpress.New(s)) })
	return &env{Env: e, c: c}
}

// as returns the headers of a request with key and bot ("" omits either).
func as(key, botID string, extra ...string) []string {
	h := []string{"x-bot-id", botID}
	if key != "" {
		h = append(h, "Authorization", "Bearer "+key)
	}
	return append(h, extra...)
}

var (
	isoTime        = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	conversationID = regexp.MustCompile(`^conv_[0-9a-z]{26}$`)
	messageID      = regexp.MustCompile(`^msg_[0-9a-z]{26}$`)
)

// wantError checks a Botpress error answer: status, Content-Type
// application/json and exactly the members id ("err_…"), code (the
// status), type and a non-empty message.
func wantError(t testing.TB, r *doortest.Response, status int, typ string) {
	t.Helper()
	doortest.Expect(t, r, status, "application/json")
	checkErrorBody(t, r.Body, status, typ, r.String())
}

func checkErrorBody(t testing.TB, body []byte, status int, typ, what string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: error body is not JSON: %v", what, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"code", "id", "message", "type"}) {
		t.Fatalf("%s: error members %v, want code, id, message, type", what, keys)
	}
	if id, _ := m["id"].(string); !strings.HasPrefix(id, "err_") || len(id) < 8 {
		t.Fatalf("%s: error id %v", what, m["id"])
	}
	if code, _ := m["code"].(float64); int(code) != status {
		t.Fatalf("%s: code %v, want %d", what, m["code"], status)
	}
	if typ != "" && m["type"] != typ {
		t.Fatalf("%s: type %v, want %s", what, m["type"], typ)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Fatalf("%s: empty message", what)
	}
}

// withoutID returns an error body without its unique id, for comparing
// two not-found answers byte for byte.
func withoutID(t testing.TB, body []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "id")
	b, _ := json.Marshal(m)
	return b
}

// sameNotFound checks that every response is the same 404 ResourceNotFound
// apart from its error id and request id.
func sameNotFound(t testing.TB, rs ...*doortest.Response) {
	t.Helper()
	for _, r := range rs {
		wantError(t, r, 404, "ResourceNotFound")
	}
	first := withoutID(t, rs[0].Body)
	for _, r := range rs[1:] {
		if b := withoutID(t, r.Body); !bytes.Equal(b, first) {
			t.Fatalf("not-found bodies differ:\n%s\n%s", first, b)
		}
	}
}

// createConversation creates a conversation of botID through the door and
// returns its wire object.
func (e *env) createConversation(t testing.TB, key, botID string, tags map[string]string) map[string]any {
	t.Helper()
	if tags == nil {
		tags = map[string]string{}
	}
	r := e.c.Do("POST", "/v1/chat/conversations", map[string]any{"channel": "channel", "tags": tags}, as(key, botID)...)
	doortest.Expect(t, r, 200, "application/json")
	return r.Map(t)["conversation"].(map[string]any)
}

// createMessage posts a text message and returns its wire object.
func (e *env) createMessage(t testing.TB, key, botID, convID, userID, text string) map[string]any {
	t.Helper()
	r := e.c.Do("POST", "/v1/chat/messages", map[string]any{
		"conversationId": convID, "userId": userID, "type": "text", "tags": map[string]string{},
		"payload": map[string]any{"text": text},
	}, as(key, botID)...)
	doortest.Expect(t, r, 200, "application/json")
	return r.Map(t)["message"].(map[string]any)
}

// createUser creates a user with tags and returns the user object.
func (e *env) createUser(t testing.TB, key, botID string, tags map[string]string) map[string]any {
	t.Helper()
	if tags == nil {
		tags = map[string]string{}
	}
	r := e.c.Do("POST", "/v1/chat/users", map[string]any{"tags": tags, "name": "Ann"}, as(key, botID)...)
	doortest.Expect(t, r, 200, "application/json")
	return r.Map(t)["user"].(map[string]any)
}
