package symbl_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/symbl"
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
	fz := env.Fuzzer(func(s *convhttp.Server) { s.Mount("/", symbl.New(s)) })
	fz.Auth = func(h http.Header, key string) { h.Set("Authorization", "Bearer "+key) }
	fz.ErrorType = "application/json"
	fz.CheckError = checkError
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
			var body []byte
			if rt.body != "" {
				body = []byte(rt.body)
			}
			if r := fz.Check(t, rt.method, path, body, rt.key); r == nil {
				t.Fatalf("%s %q cannot be sent", rt.method, path)
			} else if r.Status < 300 && !json.Valid(r.Body) {
				t.Fatalf("%v: not JSON", r)
			}
		}
	})
}

// checkError fails unless r is Symbl's {"message": …} and nothing else.
func checkError(tb testing.TB, r *doortest.Response) {
	tb.Helper()
	var m map[string]any
	msg, isString := "", false
	if err := json.Unmarshal(r.Body, &m); err == nil {
		msg, isString = m["message"].(string)
	}
	if !isString || msg == "" || len(m) != 1 {
		tb.Fatalf("%v: not a Symbl error", r)
	}
}
