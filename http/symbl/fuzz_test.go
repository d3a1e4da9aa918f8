package symbl_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
	"github.com/convstore/convstore/http/doortest"
	"github.com/convstore/convstore/http/symbl"
)

// FuzzSymblIDs sends arbitrary ids through every id-taking route of the
// real handler. Whatever the id, the answer is never a 500, and every error
// is Symbl's {"message": …} as application/json.
func FuzzSymblIDs(f *testing.F) {
	env := doortest.New(f)
	ctx := context.Background()
	mk := func(ten convstore.ID) (*convstore.Conversation, *convstore.Message) {
		c, msgs, err := env.Store.CreateConversation(ctx, ten, &convstore.ConversationCreate{
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
		if err != nil {
			f.Fatal(err)
		}
		if _, err := env.Store.CreateArtifact(ctx, ten, c.ID, &convstore.ArtifactCreate{
			Type: convstore.ArtifactTopic, Text: "t", Data: json.RawMessage(`{"parentRefs":5}`)}); err != nil {
			f.Fatal(err)
		}
		return c, msgs[0]
	}
	convA, msgA := mk(env.TenantA)
	convB, msgB := mk(env.TenantB)
	for _, s := range []string{
		strconv.FormatInt(convA.Seq, 10), strconv.FormatInt(convB.Seq, 10), msgA.ID.UUID(), msgB.ID.UUID(),
		decimal(msgA.ID), convA.ID.Format(convstore.PrefixConversation), "0", "00", "-1", "+1", "1e3", " 1",
		"9223372036854775807", "9223372036854775808", "18446744073709551616", "", ".", "..", "a/b", "%", "?x=1",
		"#", "\x00", "\xff", "00000000-0000-0000-0000-000000000000", strings.ToUpper(msgA.ID.UUID()),
		"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", strings.Repeat("9", 1000),
	} {
		f.Add(s)
	}
	s := convhttp.NewServer(env.Config())
	s.Mount("/", symbl.New(s))
	h := s.Handler()
	type route struct{ method, pattern, key, body string }
	routes := []route{
		{"PUT", "/v1/process/text/%s", env.KeyA, `{"messages":[]}`},
		{"GET", "/v1/job/%s", env.KeyA, ""},
		{"DELETE", "/v1/conversations/%s", env.KeyB, ""}, // tenant B's key: tenant A's fixtures survive
	}
	for _, sub := range derived {
		routes = append(routes, route{"GET", "/v1/conversations/%s" + sub, env.KeyA, ""})
	}
	f.Fuzz(func(t *testing.T, id string) {
		for _, rt := range routes {
			path := strings.Replace(rt.pattern, "%s", url.PathEscape(id), 1)
			req, err := http.NewRequest(rt.method, "http://symbl.test"+path, strings.NewReader(rt.body))
			if err != nil {
				t.Fatalf("%s %q: %v", rt.method, path, err)
			}
			req.Header.Set("Authorization", "Bearer "+rt.key)
			if rt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			checkAnswer(t, rt.method+" "+path, w)
		}
	})
}

// checkAnswer fails on a 500 and on an error body not in Symbl's format.
func checkAnswer(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	switch {
	case w.Code >= 500:
		t.Fatalf("%s → %d %s", what, w.Code, w.Body)
	case w.Code >= 300 && w.Code < 400:
		return // the mux's redirect to a cleaned path ("..", "//")
	case w.Code >= 400:
		var m map[string]any
		msg, isString := "", false
		if err := json.Unmarshal(w.Body.Bytes(), &m); err == nil {
			msg, isString = m["message"].(string)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" || !isString || msg == "" || len(m) != 1 {
			t.Fatalf("%s → %d %s %s: not a Symbl error", what, w.Code, ct, w.Body)
		}
	default:
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s → %d %s: not JSON", what, w.Code, w.Body)
		}
	}
}
