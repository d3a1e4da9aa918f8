package symbl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/http/doortest"
	"github.com/convstore/convstore/http/symbl"
)

const (
	msgNotFound     = "The conversationId is either invalid or does not exist."
	msgJobNotFound  = "The jobId is either invalid or does not exist."
	msgUnauthorized = "Unauthorized. Please generate a new access token."
	msgBadCreds     = "Unauthorized: invalid appId or appSecret."
)

// derived lists every GET route under a conversation.
var derived = []string{"", "/members", "/messages", "/topics", "/questions", "/action-items", "/follow-ups", "/insights", "/summary"}

// oldToken builds a token in the stateless format of earlier versions:
// "symbl." + base64url(8-byte expiry + key secret). It must be refused.
func oldToken(secret string, exp time.Time) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(exp.Unix()))
	return "symbl." + base64.RawURLEncoding.EncodeToString(append(b, secret...))
}

// generate calls the token route with appId, appSecret and optional
// extra fields.
func (f *fixture) generate(appID, appSecret string, extra ...any) *doortest.Response {
	body := map[string]any{"type": "application", "appId": appID, "appSecret": appSecret}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return f.own.Do("POST", "/oauth2/token:generate", body)
}

// tokenOf checks a token answer and returns the token and its expiresIn.
func tokenOf(t *testing.T, r *doortest.Response) (string, float64) {
	t.Helper()
	doortest.Expect(t, r, 200, "application/json")
	m := hasKeys(t, "token", r.Body, "accessToken", "expiresIn")
	tok, _ := m["accessToken"].(string)
	exp, _ := m["expiresIn"].(float64)
	if len(m) != 2 || !strings.HasPrefix(tok, convstore.AccessTokenPrefix) || len(tok) != convstore.AccessTokenLength {
		t.Fatalf("token: %s", r.Body)
	}
	return tok, exp
}

func TestTokenFlow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	appID := f.env.KeyAID.Format(convstore.PrefixKey)
	tok, exp := tokenOf(t, f.generate(appID, f.env.KeyA))
	if exp != 86400 {
		t.Fatalf("expiresIn %v, want 86400", exp)
	}
	// Opaque: nothing of the key is in it.
	if strings.Contains(tok, f.env.KeyA[convstore.KeyPrefixLength:]) || strings.Contains(tok, convstore.KeyPrefix(f.env.KeyA)) {
		t.Fatalf("token %q carries the key", tok)
	}
	// Bearer and the deprecated x-api-key both work, on every server over
	// the store (as on every node sharing a database).
	doortest.Expect(t, f.own.Do("GET", "/v1/conversations", nil, bearer(tok)...), 200, "application/json")
	doortest.Expect(t, f.own.Do("GET", "/v1/conversations", nil, "x-api-key", tok), 200, "application/json")
	doortest.Expect(t, f.main.Do("GET", "/compat/symbl/v1/conversations", nil, bearer(tok)...), 200, "application/json")
	// The token is for the Symbl door only.
	doortest.Expect(t, f.main.Do("GET", "/v1/conversations", nil, bearer(tok)...), 401, "application/problem+json")
	// A raw key secret is a token too.
	doortest.Expect(t, f.do("GET", "/v1/conversations", f.env.KeyA, nil), 200, "application/json")
	doortest.Expect(t, f.own.Do("GET", "/v1/conversations", nil, "x-api-key", f.env.KeyA), 200, "application/json")

	// Bad credentials are 401: the app id must be the secret's key id.
	for name, body := range map[string][2]string{
		"wrong secret":         {appID, f.env.KeyA + "x"},
		"key prefix as app id": {convstore.KeyPrefix(f.env.KeyA), f.env.KeyA},
		"old 12-character id":  {f.env.KeyA[:12], f.env.KeyA},
		"the secret as app id": {f.env.KeyA, f.env.KeyA},
		"another key's id":     {f.env.KeyAID.Format(convstore.PrefixKey), f.env.KeyB},
		"a missing key's id":   {"key_00000000000000000000000000", f.env.KeyA},
		"unknown everything":   {"abc", "def"},
		"a token as secret":    {appID, tok},
	} {
		r := f.generate(body[0], body[1])
		t.Run(name, func(t *testing.T) { expectError(t, r, 401, msgBadCreds) })
	}
	// Malformed requests are 400.
	for _, body := range []any{
		map[string]any{"appId": "a", "appSecret": "b"},
		map[string]any{"type": "user", "appId": "a", "appSecret": "b"},
		map[string]any{"type": "application", "appSecret": "b"},
		map[string]any{"type": "application", "appId": "a"},
		map[string]any{"type": "application", "appId": 5, "appSecret": "b"},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": 0},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": -60},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": 1.5},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": "60"},
		`{"type":`, `[]`, `{} {}`, ``,
	} {
		expectError(t, f.own.Do("POST", "/oauth2/token:generate", body), 400, "")
	}

	// Missing, wrong, malformed, hand-made and expired tokens are 401 with
	// one body.
	// A token that lived one microsecond, the store's resolution.
	_, expiredSecret, err := f.env.Store.CreateAccessToken(context.Background(), f.env.TenantA, f.env.KeyAID, time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	for name, hdr := range map[string][]string{
		"missing":                 nil,
		"wrong":                   bearer("csk_not_a_real_key_at_all_000000"),
		"malformed token":         bearer(convstore.AccessTokenPrefix + "!!!"),
		"empty token":             bearer(convstore.AccessTokenPrefix),
		"never issued":            bearer(convstore.NewAccessTokenSecret()),
		"token with a byte more":  bearer(tok + "0"),
		"expired":                 bearer(expiredSecret),
		"old format, far expiry":  bearer(oldToken(f.env.KeyA, time.Unix(0x7fffffff, 0))),
		"old format, next minute": bearer(oldToken(f.env.KeyA, time.Now().Add(time.Minute))),
		"old format x-api":        {"x-api-key", oldToken(f.env.KeyA, time.Unix(0x7fffffff, 0))},
		"wrong scheme":            {"Authorization", "Token " + f.env.KeyA},
	} {
		r := f.own.Do("GET", "/v1/conversations", nil, hdr...)
		t.Run(name, func(t *testing.T) {
			expectError(t, r, 401, msgUnauthorized)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%v: no WWW-Authenticate", r)
			}
		})
	}
}

// TestTokenLifetime checks that expiresIn asks for a shorter life and is
// cut to the maximum, and that the token expires when the answer says.
func TestTokenLifetime(t *testing.T) {
	t.Parallel()
	f := setup(t)
	appID := f.env.KeyAID.Format(convstore.PrefixKey)
	for _, c := range []struct {
		asked any
		want  float64
	}{{60, 60}, {3600, 3600}, {86400, 86400}, {86401, 86400}, {10_000_000_000, 86400}} {
		tok, exp := tokenOf(t, f.generate(appID, f.env.KeyA, "expiresIn", c.asked))
		if exp != c.want {
			t.Errorf("expiresIn %v: granted %v, want %v", c.asked, exp, c.want)
		}
		doortest.Expect(t, f.do("GET", "/v1/conversations", tok, nil), 200, "application/json")
	}
	// The door's token is the store's.
	tok, _ := tokenOf(t, f.generate(appID, f.env.KeyA, "expiresIn", 60))
	k, err := f.env.Store.AuthenticateAccessToken(context.Background(), tok)
	if err != nil || k.ID != f.env.KeyAID {
		t.Fatalf("the door's token in the store: %v, %v", k, err)
	}
}

// TestTokenDiesWithItsKey revokes a key through the native API: its
// tokens stop working at once, other keys' tokens do not.
func TestTokenDiesWithItsKey(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	k, err := f.env.Store.CreateKey(ctx, f.env.TenantA, &convstore.KeyCreate{Name: "symbl app", Scopes: []convstore.Scope{convstore.ScopeRead}},
		convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	doomed, _ := tokenOf(t, f.generate(k.ID.Format(convstore.PrefixKey), k.Secret))
	kept, _ := tokenOf(t, f.generate(f.env.KeyAID.Format(convstore.PrefixKey), f.env.KeyA))
	doortest.Expect(t, f.do("GET", "/v1/conversations", doomed, nil), 200, "application/json")
	doortest.Expect(t, f.main.Do("DELETE", "/v1/keys/"+k.ID.Format(convstore.PrefixKey), nil, bearer(f.env.KeyA)...), 200, "application/json")
	expectError(t, f.do("GET", "/v1/conversations", doomed, nil), 401, msgUnauthorized)
	expectError(t, f.generate(k.ID.Format(convstore.PrefixKey), k.Secret), 401, msgBadCreds)
	doortest.Expect(t, f.do("GET", "/v1/conversations", kept, nil), 200, "application/json")
}

func TestProcessText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := map[string]any{
		"name": "Business Meeting", "confidenceThreshold": 0.6, "detectPhrases": "true", "webhookUrl": "https://x",
		"trackers": []any{map[string]any{"name": "t"}}, "unknownOption": map[string]any{"a": 1},
		"messages": []any{
			map[string]any{
				"payload":  map[string]any{"content": "Hi Mike", "contentType": "text/plain"},
				"from":     map[string]any{"userId": "natalia@example.com", "name": "Natalia"},
				"duration": map[string]any{"startTime": "2020-07-21T16:02:19.01Z", "endTime": "2020-07-21T16:04:19.99Z"},
			},
			map[string]any{
				"payload":  map[string]any{"content": "Hey Natalia"},
				"from":     map[string]any{"userId": "natalia@example.com", "name": "Natalia"},
				"duration": map[string]any{"startTime": "2020-07-21T16:04:19.99Z", "endTime": "2020-07-21T16:04:20.99Z"},
			},
		},
	}
	r := f.do("POST", "/v1/process/text", f.env.KeyA, body)
	doortest.Expect(t, r, 201, "application/json")
	m := hasKeys(t, "create", r.Body, "conversationId", "jobId")
	cid, _ := m["conversationId"].(string)
	jid, _ := m["jobId"].(string)
	if _, ok := convstore.ParseUUID(jid); len(m) != 2 || !isDigits(cid) || !ok {
		t.Fatalf("create: %s", r.Body)
	}
	conv := f.conv(t, f.env.TenantA, cid)
	if conv.Title != "Business Meeting" || conv.UserID != "natalia@example.com" || conv.MessageCount != 2 ||
		conv.Metadata["symbl.baseTime"] != "2020-07-21T16:02:19.010Z" {
		t.Fatalf("conversation: %+v", conv)
	}
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	if len(msgs) != 2 || msgs[0].ID.UUID() != jid {
		t.Fatalf("messages %d, job %s", len(msgs), jid)
	}
	m0, m1 := msgs[0], msgs[1]
	if m0.Role != convstore.RoleUser || m0.Content != "Hi Mike" || m0.AuthorName != "Natalia" ||
		m0.Metadata["symbl.userId"] != "natalia@example.com" || m0.Metadata["symbl.startTime"] != "2020-07-21T16:02:19.010Z" ||
		m0.Metadata["symbl.endTime"] != "2020-07-21T16:04:19.990Z" || m0.StartOffset == nil || *m0.StartOffset != 0 ||
		m0.EndOffset == nil || *m0.EndOffset != 120980*time.Millisecond || m1.StartOffset == nil || *m1.StartOffset != 120980*time.Millisecond {
		t.Fatalf("message: %+v", m0)
	}

	// Minimal body: no name, from or duration.
	cid2, _ := f.create(t, f.env.KeyA, textBody("just text"))
	if c := f.conv(t, f.env.TenantA, cid2); c.Title != "" || c.UserID != "" || len(c.Metadata) != 0 {
		t.Fatalf("minimal: %+v", c)
	}

	// Validation: 400, nothing stored.
	before, _ := f.env.Store.CountConversations(context.Background(), f.env.TenantA, convstore.ConversationFilter{})
	long := strings.Repeat("x", convstore.MaxTitleLen+1)
	for name, b := range map[string]any{
		"no messages":     map[string]any{"name": "x"},
		"null messages":   map[string]any{"messages": nil},
		"empty messages":  map[string]any{"messages": []any{}},
		"messages object": map[string]any{"messages": map[string]any{}},
		"null message":    map[string]any{"messages": []any{nil}},
		"no payload":      map[string]any{"messages": []any{map[string]any{}}},
		"no content":      map[string]any{"messages": []any{map[string]any{"payload": map[string]any{}}}},
		"empty content":   textBody(""),
		"content number":  map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": 5}}}},
		"content type":    map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": "a", "contentType": "text/html"}}}},
		"second bad":      textBody("ok", ""),
		"bad start":       map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": "a"}, "duration": map[string]any{"startTime": "yesterday"}}}},
		"end before start": map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": "a"},
			"duration": map[string]any{"startTime": "2020-07-21T16:04:19Z", "endTime": "2020-07-21T16:04:18Z"}}}},
		"name too long": map[string]any{"name": long, "messages": textBody("a")["messages"]},
		"name number":   map[string]any{"name": 5, "messages": textBody("a")["messages"]},
		"NUL content":   textBody("a\x00b"),
		"not json":      `{"messages":`,
		"array":         `[]`,
		"trailing":      `{"messages":[{"payload":{"content":"a"}}]} x`,
		"empty body":    ``,
	} {
		r := f.do("POST", "/v1/process/text", f.env.KeyA, b)
		t.Run(name, func(t *testing.T) { expectError(t, r, 400, "") })
	}
	tooMany := make([]string, convstore.MaxMessageBatch+1)
	for i := range tooMany {
		tooMany[i] = "m"
	}
	expectError(t, f.do("POST", "/v1/process/text", f.env.KeyA, textBody(tooMany...)), 400, `"messages" must contain at most 1000 items`)
	expectError(t, f.do("POST", "/v1/process/text", f.env.KeyA, map[string]any{}), 400, `"messages" is required`)
	if after, _ := f.env.Store.CountConversations(context.Background(), f.env.TenantA, convstore.ConversationFilter{}); after != before {
		t.Fatalf("invalid requests stored conversations: %d → %d", before, after)
	}

	// Auth and scope.
	expectError(t, f.do("POST", "/v1/process/text", "", textBody("a")), 401, msgUnauthorized)
	expectError(t, f.do("POST", "/v1/process/text", "csk_wrongwrongwrongwrongwrong", textBody("a")), 401, msgUnauthorized)
	expectError(t, f.do("POST", "/v1/process/text", f.env.Scoped[convstore.ScopeRead], textBody("a")), 403, "")
	doortest.Expect(t, f.do("POST", "/v1/process/text", f.env.Scoped[convstore.ScopeWrite], textBody("a")), 201, "application/json")
}

func TestAppendText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, job1 := f.create(t, f.env.KeyA, map[string]any{"messages": []any{map[string]any{
		"payload": map[string]any{"content": "first"}, "duration": map[string]any{"startTime": "2021-01-01T10:00:00Z"}}}})
	r := f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, map[string]any{"name": "Renamed", "messages": []any{
		map[string]any{"payload": map[string]any{"content": "second"}, "from": map[string]any{"name": "Bob"},
			"duration": map[string]any{"startTime": "2021-01-01T10:00:05Z", "endTime": "2021-01-01T10:00:07Z"}},
		map[string]any{"payload": map[string]any{"content": "early"}, "duration": map[string]any{"startTime": "2020-01-01T10:00:00Z"}},
	}})
	doortest.Expect(t, r, 201, "application/json")
	m := hasKeys(t, "append", r.Body, "conversationId", "jobId")
	if len(m) != 2 || m["conversationId"] != cid || m["jobId"] == job1 {
		t.Fatalf("append: %s", r.Body)
	}
	conv := f.conv(t, f.env.TenantA, cid)
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	if conv.Title != "Renamed" || len(msgs) != 3 || msgs[1].ID.UUID() != m["jobId"] || msgs[1].AuthorName != "Bob" ||
		msgs[1].StartOffset == nil || *msgs[1].StartOffset != 5*time.Second || *msgs[1].EndOffset != 7*time.Second ||
		msgs[2].StartOffset != nil || msgs[2].Metadata["symbl.startTime"] != "2020-01-01T10:00:00.000Z" {
		t.Fatalf("after append: %+v %+v", conv, msgs)
	}

	// Unknown, foreign and malformed ids answer the same 404.
	cidB, _ := f.create(t, f.env.KeyB, textBody("b"))
	unknown := f.do("PUT", "/v1/process/text/1234567890", f.env.KeyA, textBody("x"))
	expectError(t, unknown, 404, msgNotFound)
	for _, id := range []string{cidB, "0" + cid, "-" + cid, "abc", "99999999999999999999", "1.5"} {
		r := f.do("PUT", "/v1/process/text/"+id, f.env.KeyA, textBody("x"))
		if !bytes.Equal(r.Body, unknown.Body) || r.Status != 404 {
			t.Fatalf("%v, want %s", r, unknown.Body)
		}
	}
	if n := f.conv(t, f.env.TenantB, cidB).MessageCount; n != 1 {
		t.Fatalf("tenant B's conversation changed: %d messages", n)
	}
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, map[string]any{"messages": []any{}}), 400, "")
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, `nope`), 400, "")
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, "", textBody("x")), 401, msgUnauthorized)
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, "csk_wrongwrongwrongwrongwrong", textBody("x")), 401, msgUnauthorized)
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.Scoped[convstore.ScopeRead], textBody("x")), 403, "")
}

func TestJob(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, job := f.create(t, f.env.KeyA, textBody("a"))
	r := f.do("GET", "/v1/job/"+job, f.env.Scoped[convstore.ScopeRead], nil)
	doortest.Expect(t, r, 200, "application/json")
	if string(r.Body) != fmt.Sprintf(`{"id":%q,"status":"completed"}`+"\n", job) {
		t.Fatalf("job: %s", r.Body)
	}
	doortest.Expect(t, f.do("GET", "/v1/job/"+strings.ToUpper(job), f.env.KeyA, nil), 200, "application/json")

	_, jobB := f.create(t, f.env.KeyB, textBody("b"))
	unknown := f.do("GET", "/v1/job/"+convstore.NewID().UUID(), f.env.KeyA, nil)
	expectError(t, unknown, 404, msgJobNotFound)
	for _, id := range []string{jobB, "not-a-uuid", "00000000-0000-0000-0000-000000000000", job + "0"} {
		if r := f.do("GET", "/v1/job/"+id, f.env.KeyA, nil); r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) {
			t.Fatalf("%v, want %s", r, unknown.Body)
		}
	}
	expectError(t, f.do("GET", "/v1/job/"+job, "", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/job/"+job, f.env.KeyB+"x", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/job/"+job, f.env.Scoped[convstore.ScopeDelete], nil), 403, "")
}

func TestConversationAndMembers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, _ := f.create(t, f.env.KeyA, map[string]any{"name": "Standup", "messages": []any{
		map[string]any{"payload": map[string]any{"content": "a"}, "from": map[string]any{"name": "John", "userId": "john@example.com"}},
		map[string]any{"payload": map[string]any{"content": "b"}, "from": map[string]any{"name": "Mary"}},
		map[string]any{"payload": map[string]any{"content": "c"}, "from": map[string]any{"name": "Johnny", "userId": "john@example.com"}},
		map[string]any{"payload": map[string]any{"content": "d"}},
	}})
	conv := f.conv(t, f.env.TenantA, cid)
	if _, err := f.env.Store.UpdateConversation(context.Background(), f.env.TenantA, conv.ID,
		&convstore.ConversationUpdate{Metadata: &convstore.Metadata{"label": "Business", "symbl.baseTime": "x"}}); err != nil {
		t.Fatal(err)
	}
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	r := f.do("GET", "/v1/conversations/"+cid, f.env.Scoped[convstore.ScopeRead], nil)
	doortest.Expect(t, r, 200, "application/json")
	var got struct {
		ID, Type, Name, StartTime, EndTime string
		Members                            []map[string]string
		Metadata                           map[string]string
	}
	hasKeys(t, "conversation", r.Body, "id", "type", "name", "startTime", "endTime", "members", "metadata")
	r.JSON(t, &got)
	st, err1 := time.Parse(time.RFC3339, got.StartTime)
	_, err2 := time.Parse(time.RFC3339, got.EndTime)
	wantMembers := []map[string]string{
		{"id": decimal(msgs[0].ID), "name": "John", "email": "john@example.com"},
		{"id": decimal(msgs[1].ID), "name": "Mary"},
	}
	if got.ID != cid || got.Type != "meeting" || got.Name != "Standup" || err1 != nil || err2 != nil ||
		!st.Equal(conv.CreatedAt.Truncate(time.Millisecond)) || fmt.Sprint(got.Members) != fmt.Sprint(wantMembers) ||
		fmt.Sprint(got.Metadata) != "map[label:Business]" {
		t.Fatalf("conversation: %s", r.Body)
	}
	r = f.do("GET", "/v1/conversations/"+cid+"/members", f.env.KeyA, nil)
	doortest.Expect(t, r, 200, "application/json")
	var mem struct{ Members []map[string]string }
	r.JSON(t, &mem)
	if fmt.Sprint(mem.Members) != fmt.Sprint(wantMembers) {
		t.Fatalf("members: %s", r.Body)
	}

	// A nameless conversation is named by its id; members and metadata are never null.
	cid2, _ := f.create(t, f.env.KeyA, textBody("x"))
	r = f.do("GET", "/v1/conversations/"+cid2, f.env.KeyA, nil)
	if !bytes.Contains(r.Body, []byte(`"name":"`+cid2+`"`)) || !bytes.Contains(r.Body, []byte(`"members":[]`)) ||
		!bytes.Contains(r.Body, []byte(`"metadata":{}`)) {
		t.Fatalf("nameless: %s", r.Body)
	}
}

func TestListConversations(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	var ids []string
	for i := range 105 {
		c, _, err := f.env.Store.CreateConversation(ctx, f.env.TenantA, &convstore.ConversationCreate{Title: fmt.Sprint("c", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fmt.Sprint(c.Seq))
	}
	f.create(t, f.env.KeyB, textBody("other tenant"))
	list := func(q string) []string {
		t.Helper()
		r := f.do("GET", "/v1/conversations"+q, f.env.Scoped[convstore.ScopeRead], nil)
		doortest.Expect(t, r, 200, "application/json")
		var out struct{ Conversations []map[string]any }
		hasKeys(t, "list", r.Body, "conversations")
		r.JSON(t, &out)
		var got []string
		for _, c := range out.Conversations {
			hasKeys(t, "listed", c, "id", "type", "name", "startTime", "endTime", "members", "metadata")
			got = append(got, c["id"].(string))
		}
		return got
	}
	if got := list(""); fmt.Sprint(got) != fmt.Sprint(ids[:20]) {
		t.Fatalf("default page: %v", got)
	}
	if got := list("?limit=103&offset=1"); fmt.Sprint(got) != fmt.Sprint(ids[1:104]) {
		t.Fatalf("limit 103 offset 1: %d ids", len(got))
	}
	if got := list("?limit=65536&order=desc&sort=conversation.startTime"); len(got) != 105 || got[0] != ids[104] || got[104] != ids[0] {
		t.Fatalf("desc: %d ids", len(got))
	}
	if got := list("?limit=0"); len(got) != 0 {
		t.Fatalf("limit 0: %v", got)
	}
	old := time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if got := list("?endTime=" + old); len(got) != 0 {
		t.Fatalf("old window: %v", got)
	}
	if got := list("?startTime=2020-01-01&limit=200"); len(got) != 105 {
		t.Fatalf("date-only start: %d", len(got))
	}
	if got := list("?startTime=" + old + "&limit=200"); len(got) != 105 {
		t.Fatalf("wide window: %d", len(got))
	}
	for _, q := range []string{"?limit=-1", "?limit=65537", "?limit=x", "?offset=-1", "?offset=100001", "?order=up",
		"?sort=conversation.name", "?filter=conversation.name==x", "?startTime=yesterday", "?endTime=2021",
		"?startTime=2021-02-01T00:00:00Z&endTime=2021-01-01T00:00:00Z", "?limit=%zz"} {
		expectError(t, f.do("GET", "/v1/conversations"+q, f.env.KeyA, nil), 400, "")
	}
	expectError(t, f.do("GET", "/v1/conversations", "", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/conversations", "csk_wrongwrongwrongwrongwrong", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/conversations", f.env.Scoped[convstore.ScopeWrite], nil), 403, "")
}

// decimal renders an id as the door does.
func decimal(id convstore.ID) string {
	return new(big.Int).SetBytes(id[:]).String()
}

func TestMessages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, _ := f.create(t, f.env.KeyA, map[string]any{"messages": []any{
		map[string]any{"payload": map[string]any{"content": "Best package"}, "from": map[string]any{"name": "Roger", "userId": "roger@example.com"},
			"duration": map[string]any{"startTime": "2020-07-10T11:16:21.024Z", "endTime": "2020-07-10T11:16:26.724Z"}},
		map[string]any{"payload": map[string]any{"content": "Okay"}, "from": map[string]any{"name": "John"},
			"duration": map[string]any{"startTime": "2020-07-10T11:16:27.024Z"}},
		map[string]any{"payload": map[string]any{"content": "Again"}, "from": map[string]any{"name": "Roger2", "userId": "roger@example.com"}},
	}})
	conv := f.conv(t, f.env.TenantA, cid)
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	r := f.do("GET", "/v1/conversations/"+cid+"/messages?verbose=true&sentiment=true", f.env.KeyA, nil)
	doortest.Expect(t, r, 200, "application/json")
	var out struct{ Messages []json.RawMessage }
	hasKeys(t, "messages", r.Body, "messages")
	r.JSON(t, &out)
	if len(out.Messages) != 3 {
		t.Fatalf("messages: %s", r.Body)
	}
	first := hasKeys(t, "message", []byte(out.Messages[0]), "id", "text", "from", "startTime", "endTime", "timeOffset",
		"duration", "conversationId", "phrases", "words")
	roger := decimal(msgs[0].ID)
	want := fmt.Sprintf(`{"id":%q,"text":"Best package","from":{"id":%q,"name":"Roger","userId":"roger@example.com"},`+
		`"startTime":"2020-07-10T11:16:21.024Z","endTime":"2020-07-10T11:16:26.724Z","timeOffset":0,"duration":5.7,`+
		`"conversationId":%q,"phrases":[],"words":[]}`, roger, roger, cid)
	if string(out.Messages[0]) != want || first["id"] != roger {
		t.Fatalf("message 0:\n%s\nwant\n%s", out.Messages[0], want)
	}
	second := hasKeys(t, "message", []byte(out.Messages[1]))
	if second["timeOffset"] != 6.0 || second["duration"] != 0.0 || second["endTime"] != "2020-07-10T11:16:27.024Z" ||
		second["from"].(map[string]any)["id"] != decimal(msgs[1].ID) {
		t.Fatalf("message 1: %s", out.Messages[1])
	}
	third := hasKeys(t, "message", []byte(out.Messages[2]))
	if third["from"].(map[string]any)["id"] != roger || third["from"].(map[string]any)["name"] != "Roger2" {
		t.Fatalf("message 2: %s", out.Messages[2])
	}
}

func TestInsights(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	cid, _ := f.create(t, f.env.KeyA, textBody("Vikram you need to work on a plan", "What is the Bahamas?"))
	conv := f.conv(t, f.env.TenantA, cid)
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	score := 0.94
	add := func(typ convstore.ArtifactType, text, data string, sc *float64) string {
		a, err := f.env.Store.CreateArtifact(ctx, f.env.TenantA, conv.ID, &convstore.ArtifactCreate{
			Type: typ, Text: text, Data: json.RawMessage(data), MessageIDs: []convstore.ID{msgs[0].ID}, Score: sc})
		if err != nil {
			t.Fatal(err)
		}
		return decimal(a.ID)
	}
	topic := add(convstore.ArtifactTopic, "interns", `{"parentRefs":[{"type":"topic","text":"hiring"}],"sentiment":{"suggested":"positive"}}`, &score)
	action := add(convstore.ArtifactActionItem, "Vikram plan", `{"symbl":{"assignee":{"name":"Vikram"},"definitive":true,"dueBy":"2020-07-11T07:00:00.000Z","entities":"bad"}}`, &score)
	question := add(convstore.ArtifactQuestion, "Bahamas?", ``, nil)
	follow := add(convstore.ArtifactFollowUp, "call David", `[1,2]`, nil)
	sum := add(convstore.ArtifactSummary, "They planned.", ``, nil)
	add(convstore.ArtifactEntity, "not listed", ``, nil)
	m0 := decimal(msgs[0].ID)

	get := func(path, key string) []json.RawMessage {
		t.Helper()
		r := f.do("GET", "/v1/conversations/"+cid+path, f.env.Scoped[convstore.ScopeRead], nil)
		doortest.Expect(t, r, 200, "application/json")
		var out map[string][]json.RawMessage
		r.JSON(t, &out)
		if len(out) != 1 || out[key] == nil {
			t.Fatalf("%s: %s", path, r.Body)
		}
		return out[key]
	}
	check := func(path, key string, want ...string) {
		t.Helper()
		got := get(path, key)
		if len(got) != len(want) {
			t.Fatalf("%s: %s", path, got)
		}
		for i := range want {
			if string(got[i]) != want[i] {
				t.Fatalf("%s[%d]:\n%s\nwant\n%s", path, i, got[i], want[i])
			}
		}
	}
	wantTopic := fmt.Sprintf(`{"id":%q,"text":"interns","type":"topic","score":0.94,"messageIds":[%q],"sentiment":{"suggested":"positive"},"parentRefs":[{"type":"topic","text":"hiring"}]}`, topic, m0)
	wantAction := fmt.Sprintf(`{"id":%q,"text":"Vikram plan","type":"action_item","score":0.94,"messageIds":[%q],"entities":[],"phrases":[],"from":{},"definitive":true,"assignee":{"name":"Vikram"},"dueBy":"2020-07-11T07:00:00.000Z"}`, action, m0)
	wantQuestion := fmt.Sprintf(`{"id":%q,"text":"Bahamas?","type":"question","score":1,"messageIds":[%q],"from":{}}`, question, m0)
	wantFollow := fmt.Sprintf(`{"id":%q,"text":"call David","type":"follow_up","score":1,"messageIds":[%q],"entities":[],"phrases":[],"from":{},"definitive":false,"assignee":{}}`, follow, m0)
	check("/topics", "topics", wantTopic)
	check("/action-items", "actionItems", wantAction)
	check("/questions", "questions", wantQuestion)
	check("/follow-ups", "followUps", wantFollow)
	wantQuestionInsight := fmt.Sprintf(`{"id":%q,"text":"Bahamas?","type":"question","score":1,"messageIds":[%q],"entities":[],"phrases":[],"from":{},"definitive":false,"assignee":{}}`, question, m0)
	check("/insights", "insights", wantAction, wantQuestionInsight, wantFollow)
	check("/summary", "summary", fmt.Sprintf(`{"id":%q,"text":"They planned.","messageRefs":[{"id":%q}]}`, sum, m0))

	// Empty lists are [], never null.
	cid2, _ := f.create(t, f.env.KeyA, textBody("x"))
	for path, key := range map[string]string{"/topics": "topics", "/questions": "questions", "/action-items": "actionItems",
		"/follow-ups": "followUps", "/insights": "insights", "/summary": "summary"} {
		r := f.do("GET", "/v1/conversations/"+cid2+path, f.env.KeyA, nil)
		if string(r.Body) != `{"`+key+`":[]}`+"\n" {
			t.Fatalf("%s: %s", path, r.Body)
		}
	}
}

// TestNotFound checks every conversation route: unknown, tenant B's and
// malformed ids answer byte-for-byte the same 404, and auth comes first.
func TestNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, _ := f.create(t, f.env.KeyA, textBody("a"))
	cidB, _ := f.create(t, f.env.KeyB, textBody("b"))
	for _, sub := range append(derived, "DELETE") {
		method, path := "GET", sub
		if sub == "DELETE" {
			method, path = "DELETE", ""
		}
		unknown := f.do(method, "/v1/conversations/4549300882243584"+path, f.env.KeyA, nil)
		expectError(t, unknown, 404, msgNotFound)
		for _, id := range []string{cidB, "abc", "0", "01", "-1", "%20", "9223372036854775808", "1e5", strings.Repeat("9", 40)} {
			r := f.do(method, "/v1/conversations/"+id+path, f.env.KeyA, nil)
			if r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) || r.ContentType() != "application/json" {
				t.Fatalf("%v, want %s", r, unknown.Body)
			}
		}
		if method == "GET" {
			doortest.Expect(t, f.do(method, "/v1/conversations/"+cid+path, f.env.KeyA, nil), 200, "application/json")
			expectError(t, f.do(method, "/v1/conversations/"+cid+path, f.env.Scoped[convstore.ScopeWrite], nil), 403, "")
		} else {
			expectError(t, f.do(method, "/v1/conversations/"+cid, f.env.Scoped[convstore.ScopeRead], nil), 403, "")
		}
		expectError(t, f.do(method, "/v1/conversations/"+cid+path, "", nil), 401, msgUnauthorized)
		expectError(t, f.do(method, "/v1/conversations/"+cid+path, "csk_wrongwrongwrongwrongwrong", nil), 401, msgUnauthorized)
	}
	// Tenant B's conversation is untouched.
	doortest.Expect(t, f.do("GET", "/v1/conversations/"+cidB, f.env.KeyB, nil), 200, "application/json")
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	cid, job := f.create(t, f.env.KeyA, textBody("a", "b"))
	r := f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, textBody("c"))
	doortest.Expect(t, r, 201, "application/json")
	var appended struct{ JobID string }
	r.JSON(t, &appended)
	conv := f.conv(t, f.env.TenantA, cid)
	for _, typ := range []convstore.ArtifactType{convstore.ArtifactTopic, convstore.ArtifactSummary} {
		if _, err := f.env.Store.CreateArtifact(ctx, f.env.TenantA, conv.ID, &convstore.ArtifactCreate{Type: typ, Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.env.Store.PutAttachment(ctx, f.env.TenantA, conv.ID, &convstore.AttachmentPut{Name: "call.wav", Body: strings.NewReader("wav!")}); err != nil {
		t.Fatal(err)
	}

	r = f.own.Do("DELETE", "/v1/conversations/"+cid, nil, append(bearer(f.env.Scoped[convstore.ScopeDelete]), "X-Request-Id", "erase-7")...)
	doortest.Expect(t, r, 200, "application/json")
	if string(r.Body) != `{"message":"successfully deleted the conversation"}`+"\n" {
		t.Fatalf("delete: %s", r.Body)
	}
	dels, _, err := f.env.Store.FindDeletions(ctx, f.env.TenantA, convstore.DeletionFilter{ConversationID: conv.ID})
	if err != nil || len(dels) != 1 {
		t.Fatalf("receipts: %v %v", dels, err)
	}
	d := dels[0]
	if d.Door != symbl.DoorName || d.Messages != 3 || d.Artifacts != 2 || d.Attachments != 1 || d.AttachmentBytes != 4 ||
		d.RequestID != r.Header.Get("X-Request-Id") || d.ConversationSeq != conv.Seq || d.ActorKeyID.IsZero() {
		t.Fatalf("receipt: %+v", d)
	}

	// Nothing is left, through the store and through the door.
	if _, err := f.env.Store.FindConversationByID(ctx, f.env.TenantA, conv.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("conversation: %v", err)
	}
	for _, id := range []string{job, appended.JobID} {
		mid, _ := convstore.ParseUUID(id)
		if _, err := f.env.Store.FindMessageByID(ctx, f.env.TenantA, convstore.ID{}, mid); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Fatalf("message: %v", err)
		}
		expectError(t, f.do("GET", "/v1/job/"+id, f.env.KeyA, nil), 404, msgJobNotFound)
	}
	if _, _, err := f.env.Store.FindArtifacts(ctx, f.env.TenantA, conv.ID, convstore.ArtifactFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("artifacts: %v", err)
	}
	if _, _, err := f.env.Store.FindAttachments(ctx, f.env.TenantA, conv.ID, convstore.AttachmentFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("attachments: %v", err)
	}
	for _, sub := range derived {
		expectError(t, f.do("GET", "/v1/conversations/"+cid+sub, f.env.KeyA, nil), 404, msgNotFound)
	}
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, textBody("late")), 404, msgNotFound)
	expectError(t, f.do("DELETE", "/v1/conversations/"+cid, f.env.KeyA, nil), 404, msgNotFound)
	r = f.do("GET", "/v1/conversations?limit=100", f.env.KeyA, nil)
	if string(r.Body) != `{"conversations":[]}`+"\n" {
		t.Fatalf("listed after delete: %s", r.Body)
	}
}

// TestCompatMount runs the door under /compat/symbl beside the native door.
func TestCompatMount(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const base = "/compat/symbl"
	r := f.main.Do("POST", base+"/oauth2/token:generate", map[string]any{"type": "application",
		"appId": f.env.KeyAID.Format(convstore.PrefixKey), "appSecret": f.env.KeyA})
	doortest.Expect(t, r, 200, "application/json")
	var tok struct{ AccessToken string }
	r.JSON(t, &tok)
	r = f.main.Do("POST", base+"/v1/process/text", textBody("hello"), bearer(tok.AccessToken)...)
	doortest.Expect(t, r, 201, "application/json")
	var created struct{ ConversationID, JobID string }
	r.JSON(t, &created)
	for _, sub := range derived {
		doortest.Expect(t, f.main.Do("GET", base+"/v1/conversations/"+created.ConversationID+sub, nil, bearer(tok.AccessToken)...), 200, "application/json")
	}
	doortest.Expect(t, f.main.Do("GET", base+"/v1/job/"+created.JobID, nil, bearer(tok.AccessToken)...), 200, "application/json")
	// The same conversation, seen by the native door.
	conv := f.conv(t, f.env.TenantA, created.ConversationID)
	doortest.Expect(t, f.main.Do("GET", "/v1/conversations/"+conv.ID.Format(convstore.PrefixConversation), nil, bearer(f.env.KeyA)...), 200, "application/json")
	// Errors under the mount are Symbl's; outside it, native problems.
	expectError(t, f.main.Do("GET", base+"/v1/conversations/1", nil, bearer(tok.AccessToken)...), 404, msgNotFound)
	expectError(t, f.main.Do("GET", base+"/v1/nothing-here", nil, bearer(tok.AccessToken)...), 404, "")
	expectError(t, f.main.Do("GET", base+"/v1/conversations", nil), 401, msgUnauthorized)
	r = f.main.Do("PATCH", base+"/v1/conversations/"+created.ConversationID, nil, bearer(tok.AccessToken)...)
	expectError(t, r, 405, "")
	if r.Header.Get("Allow") == "" {
		t.Fatalf("405 without Allow: %v", r)
	}
	doortest.Expect(t, f.main.Do("GET", "/v1/conversations/conv_x", nil, bearer(f.env.KeyA)...), 400, "application/problem+json")
	r = f.main.Do("DELETE", base+"/v1/conversations/"+created.ConversationID, nil, bearer(tok.AccessToken)...)
	doortest.Expect(t, r, 200, "application/json")
	expectError(t, f.main.Do("GET", base+"/v1/conversations/"+created.ConversationID, nil, bearer(tok.AccessToken)...), 404, msgNotFound)

	// The own listener answers unknown paths and methods in Symbl's format too.
	expectError(t, f.own.Do("GET", "/nope", nil), 404, "")
	expectError(t, f.own.Do("GET", "/oauth2/token:generate", nil), 405, "")
}

// TestDeleteKeepsTheClientsRequestIDApart deletes with an X-Request-Id
// equal to an earlier receipt's request id: the new receipt and audit
// entry carry a fresh server id, and the client's value apart.
func TestDeleteKeepsTheClientsRequestIDApart(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	del := func(clientID string) (*doortest.Response, *convstore.Deletion) {
		t.Helper()
		cid, _ := f.create(t, f.env.KeyA, textBody("hello"))
		conv := f.conv(t, f.env.TenantA, cid)
		hdr := bearer(f.env.KeyA)
		if clientID != "" {
			hdr = append(hdr, "X-Request-Id", clientID)
		}
		r := f.own.Do("DELETE", "/v1/conversations/"+cid, nil, hdr...)
		doortest.Expect(t, r, 200, "application/json")
		dels, _, err := f.env.Store.FindDeletions(ctx, f.env.TenantA, convstore.DeletionFilter{ConversationID: conv.ID})
		if err != nil || len(dels) != 1 {
			t.Fatalf("receipts of %s: %v, %v", cid, dels, err)
		}
		return r, dels[0]
	}
	_, first := del("")
	r, second := del(first.RequestID)
	if second.Door != symbl.DoorName || second.RequestID == first.RequestID || second.RequestID != r.Header.Get("X-Request-Id") ||
		second.ClientRequestID != first.RequestID {
		t.Fatalf("receipt of a delete sent with X-Request-Id %q: %+v", first.RequestID, second)
	}
	entries, _, err := f.env.Store.FindAuditEntries(ctx, f.env.TenantA, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Action == convstore.AuditConversationDelete && e.TargetID == second.ID {
			found = e.RequestID == second.RequestID && e.ClientRequestID == first.RequestID && e.Door == symbl.DoorName
		}
	}
	if !found {
		t.Fatalf("no audit entry of the second delete with the server's and the client's request ids")
	}
}
