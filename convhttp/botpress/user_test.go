package botpress_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/service"
)

func TestCreateUser(t *testing.T) {
	e := setup(t)
	r := e.c.Do("POST", "/v1/chat/users", map[string]any{"tags": map[string]any{"email": "a@b.c", "gone": nil}, "name": "Ann", "pictureUrl": "https://x/y.png", "extra": 1}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	u := r.Map(t)["user"].(map[string]any)
	if id, _ := u["id"].(string); !strings.HasPrefix(id, "user_") || len(id) != 31 {
		t.Errorf("user id %v", u["id"])
	}
	if !isoTime.MatchString(u["createdAt"].(string)) || u["updatedAt"] != u["createdAt"] {
		t.Errorf("times %v %v", u["createdAt"], u["updatedAt"])
	}
	if tags := u["tags"].(map[string]any); len(tags) != 1 || tags["email"] != "a@b.c" {
		t.Errorf("tags %v", tags)
	}
	if u["name"] != "Ann" || u["pictureUrl"] != "https://x/y.png" {
		t.Errorf("user %v", u)
	}
	// Stored: GET answers the same object.
	got := e.c.Do("GET", "/v1/chat/users/"+u["id"].(string), nil, as(e.KeyA, bot)...)
	doortest.Expect(t, got, 200, "application/json")
	if doortest.Raw(t, got.Body, "user") != doortest.Raw(t, r.Body, "user") {
		t.Errorf("GET %s, created %s", got.Body, r.Body)
	}
	r2 := e.c.Do("POST", "/v1/chat/users", `{"tags":{}}`, as(e.KeyA, bot)...)
	if r2.Map(t)["user"].(map[string]any)["id"] == u["id"] {
		t.Error("two users share an id")
	}
	for _, body := range []string{`{}`, `{"tags":null}`, `{"tags":[]}`, `{"tags":{"a":1}}`, `{"tags":{},"name":5}`, `not json`, `[]`, ``,
		`{"tags":{"":"x"}}`, `{"tags":{},"pictureUrl":"` + strings.Repeat("p", 513) + `"}`, `{"tags":{},"properties":{"a":2}}`} {
		wantError(t, e.c.Do("POST", "/v1/chat/users", body, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
	// The user id space of the door: users are not conversations.
	sameNotFound(t, e.c.Do("GET", "/v1/chat/conversations/"+strings.Replace(u["id"].(string), "user_", "conv_", 1), nil, as(e.KeyA, bot)...),
		e.c.Do("GET", "/v1/chat/conversations/conv_00000000000000000000000000", nil, as(e.KeyA, bot)...))
	if convs := e.c.Do("GET", "/v1/chat/conversations", nil, as(e.KeyA, bot)...).Map(t)["conversations"].([]any); len(convs) != 0 {
		t.Errorf("users listed as conversations: %v", convs)
	}
}

// TestUserEmptyTagsPresent checks the exact JSON of a user's tags when it
// has none: {}, which the SDK's User type requires.
func TestUserEmptyTagsPresent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.c.Do("POST", "/v1/chat/users", map[string]any{"tags": map[string]string{}}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := doortest.Raw(t, r.Body, "user", "tags"); got != `{}` {
		t.Errorf("user tags %s, want {}", got)
	}
}

// TestUserIsolation: another tenant's or bot's user id, a deleted one, an
// unknown and a malformed one answer the same 404 on every user route, and
// change nothing.
func TestUserIsolation(t *testing.T) {
	e := setup(t)
	u := e.createUser(t, e.KeyA, bot, map[string]string{"k": "v"})["id"].(string)
	gone := e.createUser(t, e.KeyA, bot, nil)["id"].(string)
	doortest.Expect(t, e.c.Do("DELETE", "/v1/chat/users/"+gone, nil, as(e.KeyA, bot)...), 200, "application/json")
	type caller struct{ key, bot, id string }
	for _, c := range []caller{{e.KeyB, bot, u}, {e.KeyA, otherBot, u}, {e.KeyA, bot, gone}, {e.KeyA, bot, "user_00000000000000000000000000"}, {e.KeyA, bot, "nope"}} {
		var rs []*doortest.Response
		for _, req := range []struct {
			method string
			body   any
		}{{"GET", nil}, {"PUT", map[string]any{"name": "x"}}, {"DELETE", nil}} {
			rs = append(rs, e.c.Do(req.method, "/v1/chat/users/"+c.id, req.body, as(c.key, c.bot)...))
		}
		sameNotFound(t, rs...)
		if m := rs[0].Map(t); m["message"] != "User not found." {
			t.Errorf("message %v", m["message"])
		}
	}
	r := e.c.Do("GET", "/v1/chat/users/"+u, nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if m := r.Map(t)["user"].(map[string]any); m["name"] != "Ann" {
		t.Errorf("a refused PUT changed the user: %v", m)
	}
	for _, key := range []string{e.KeyB} {
		if us := e.c.Do("GET", "/v1/chat/users", nil, as(key, bot)...).Map(t)["users"].([]any); len(us) != 0 {
			t.Errorf("tenant B lists %v", us)
		}
	}
	if us := e.c.Do("GET", "/v1/chat/users", nil, as(e.KeyA, otherBot)...).Map(t)["users"].([]any); len(us) != 0 {
		t.Errorf("another bot lists %v", us)
	}
	// The reserved agent is no bot.
	wantError(t, e.c.Do("GET", "/v1/chat/conversations", nil, as(e.KeyA, "botpress.users")...), 400, "InvalidPayload")
}

// TestUpdateAndListUsers: PUT merges (null removes), get-or-create keys on
// the discriminating tags, listUsers filters and pages.
func TestUpdateAndListUsers(t *testing.T) {
	e := setup(t)
	u := e.createUser(t, e.KeyA, bot, map[string]string{"a": "1", "b": "2"})["id"].(string)
	r := e.c.Do("PUT", "/v1/chat/users/"+u, map[string]any{"name": nil, "tags": map[string]any{"a": nil, "c": "3"}, "attributes": map[string]string{"x": "y"}}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)["user"].(map[string]any)
	if _, has := m["name"]; has || len(m["tags"].(map[string]any)) != 2 || m["tags"].(map[string]any)["c"] != "3" || m["attributes"].(map[string]any)["x"] != "y" {
		t.Errorf("updated %v", m)
	}
	wantError(t, e.c.Do("PUT", "/v1/chat/users/"+u, `{"tags":{"a":5}}`, as(e.KeyA, bot)...), 400, "InvalidPayload")

	goc := func(body any) (map[string]any, bool) {
		r := e.c.Do("POST", "/v1/chat/users/get-or-create", body, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		return m["user"].(map[string]any), m["meta"].(map[string]any)["created"].(bool)
	}
	g1, c1 := goc(map[string]any{"tags": map[string]string{"phone": "1"}})
	g2, c2 := goc(map[string]any{"tags": map[string]string{"phone": "1"}, "name": "Z"})
	g3, c3 := goc(map[string]any{"tags": map[string]string{"phone": "2"}})
	if !c1 || c2 || c3 != true || g1["id"] != g2["id"] || g3["id"] == g1["id"] || g2["name"] != "Z" {
		t.Errorf("get-or-create: %v %v %v / %v %v %v", g1, g2, g3, c1, c2, c3)
	}
	// Another bot's get-or-create with the same tags is another user.
	r = e.c.Do("POST", "/v1/chat/users/get-or-create", map[string]any{"tags": map[string]string{"phone": "1"}}, as(e.KeyA, otherBot)...)
	if m := r.Map(t); m["user"].(map[string]any)["id"] == g1["id"] || m["meta"].(map[string]any)["created"] != true {
		t.Errorf("another bot's get-or-create: %v", m)
	}

	list := func(q string) ([]string, string) {
		t.Helper()
		r := e.c.Do("GET", "/v1/chat/users"+q, nil, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		var ids []string
		for _, u := range m["users"].([]any) {
			ids = append(ids, u.(map[string]any)["id"].(string))
		}
		next, _ := m["meta"].(map[string]any)["nextToken"].(string)
		return ids, next
	}
	if ids, _ := list(""); strings.Join(ids, ",") != strings.Join([]string{g3["id"].(string), g1["id"].(string), u}, ",") {
		t.Errorf("all users newest first: %v", ids)
	}
	if ids, _ := list("?tags.phone=1"); len(ids) != 1 || ids[0] != g1["id"] {
		t.Errorf("by tag: %v", ids)
	}
	p1, next := list("?pageSize=2&sortDirection=asc")
	p2, end := list("?pageSize=2&sortDirection=asc&nextToken=" + next)
	if len(p1) != 2 || p1[0] != u || len(p2) != 1 || p2[0] != g3["id"] || end != "" {
		t.Errorf("pages %v %q %v %q", p1, next, p2, end)
	}
	for _, q := range []string{"?sortField=updatedAt", "?rangeField=updatedAt", "?afterDate=x", "?nextToken=bad", "?conversationId=conv_00000000000000000000000000&nextToken=x"} {
		if r := e.c.Do("GET", "/v1/chat/users"+q, nil, as(e.KeyA, bot)...); r.Status != 400 && r.Status != 404 {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
}

// TestParticipants: add (idempotent), get, list (paged), remove; unknown
// users and another bot's are 404; the first participant becomes the
// conversation's end user, erased with it.
func TestParticipants(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	path := "/v1/chat/conversations/" + conv + "/participants"
	var users []string
	for range 3 {
		u := e.createUser(t, e.KeyA, bot, nil)["id"].(string)
		users = append(users, u)
		r := e.c.Do("POST", path, map[string]string{"userId": u}, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		if r.Map(t)["participant"].(map[string]any)["id"] != u {
			t.Errorf("added %s", r.Body)
		}
	}
	doortest.Expect(t, e.c.Do("POST", path, map[string]string{"userId": users[0]}, as(e.KeyA, bot)...), 200, "application/json")
	foreign := e.createUser(t, e.KeyA, otherBot, nil)["id"].(string)
	sameNotFound(t, e.c.Do("POST", path, map[string]string{"userId": foreign}, as(e.KeyA, bot)...),
		e.c.Do("POST", path, map[string]string{"userId": "user_00000000000000000000000000"}, as(e.KeyA, bot)...))
	wantError(t, e.c.Do("POST", path, `{}`, as(e.KeyA, bot)...), 400, "InvalidPayload")
	sameNotFound(t, e.c.Do("POST", path, map[string]string{"userId": users[1]}, as(e.KeyA, otherBot)...),
		e.c.Do("GET", path, nil, as(e.KeyB, bot)...), e.c.Do("GET", "/v1/chat/conversations/conv_00000000000000000000000000/participants", nil, as(e.KeyA, bot)...))

	r := e.c.Do("GET", path+"?pageSize=2", nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)
	next, _ := m["meta"].(map[string]any)["nextToken"].(string)
	r2 := e.c.Do("GET", path+"?pageSize=2&nextToken="+next, nil, as(e.KeyA, bot)...).Map(t)
	if len(m["participants"].([]any)) != 2 || next == "" || len(r2["participants"].([]any)) != 1 {
		t.Errorf("pages %v / %v", m, r2)
	}

	doortest.Expect(t, e.c.Do("GET", path+"/"+users[1], nil, as(e.KeyA, bot)...), 200, "application/json")
	doortest.Expect(t, e.c.Do("DELETE", path+"/"+users[1], nil, as(e.KeyA, bot)...), 200, "application/json")
	sameNotFound(t, e.c.Do("GET", path+"/"+users[1], nil, as(e.KeyA, bot)...), e.c.Do("DELETE", path+"/"+users[1], nil, as(e.KeyA, bot)...),
		e.c.Do("GET", path+"/"+foreign, nil, as(e.KeyA, bot)...))
	// A deleted user is no participant any more.
	doortest.Expect(t, e.c.Do("DELETE", "/v1/chat/users/"+users[2], nil, as(e.KeyA, bot)...), 200, "application/json")
	if ps := e.c.Do("GET", path, nil, as(e.KeyA, bot)...).Map(t)["participants"].([]any); len(ps) != 1 {
		t.Errorf("participants %v, want only the first", ps)
	}
	// A conversation full of tags has no room for a participant.
	tags := map[string]string{}
	for i := range 15 {
		tags["t"+strconv.Itoa(i)] = "v"
	}
	full := e.createConversation(t, e.KeyA, bot, tags)["id"].(string)
	r = e.c.Do("POST", "/v1/chat/conversations/"+full+"/participants", map[string]string{"userId": users[0]}, as(e.KeyA, bot)...)
	wantError(t, r, 400, "InvalidPayload")
	if !strings.Contains(r.Map(t)["message"].(string), "participant") {
		t.Errorf("full conversation: %s", r.Body)
	}
	if cs := e.c.Do("GET", "/v1/chat/conversations?participantIds="+users[0], nil, as(e.KeyA, bot)...).Map(t)["conversations"].([]any); len(cs) != 1 {
		t.Errorf("by participant: %v", cs)
	}
	id, _ := convstore.ParseID(convstore.PrefixConversation, "id", conv)
	c, err := e.Store.FindConversationByID(ctx, e.TenantA, id)
	if err != nil || c.UserID != users[0] {
		t.Errorf("conversation user %q, %v; want the first participant %s", c.UserID, err, users[0])
	}
}

// TestUserErasure: an end-user erasure by a Botpress user id erases the
// user's record and the conversation whose first participant it was, and
// leaves other users and conversations; a deleted get-or-create user's tags
// name a new user.
func TestUserErasure(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	ann := e.createUser(t, e.KeyA, bot, map[string]string{"email": "ann"})["id"].(string)
	bob := e.createUser(t, e.KeyA, bot, map[string]string{"email": "bob"})["id"].(string)
	annConv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	bobConv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	for conv, user := range map[string]string{annConv: ann, bobConv: bob} {
		doortest.Expect(t, e.c.Do("POST", "/v1/chat/conversations/"+conv+"/participants", map[string]string{"userId": user}, as(e.KeyA, bot)...), 200, "application/json")
		e.createMessage(t, e.KeyA, bot, conv, user, "my address is 1 Main St")
	}
	// A legal hold on Bob keeps his record from an erasure of Bob (and
	// from a delete), counted as held.
	hold, err := e.Store.CreateHold(ctx, e.TenantA, &convstore.HoldCreate{UserID: bob, Reason: "case 7"}, convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, e.c.Do("DELETE", "/v1/chat/users/"+bob, nil, as(e.KeyA, bot)...), 409, "ResourceLockedConflict")
	held, err := e.Store.CreateErasure(ctx, e.TenantA, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: bob}}, convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	job, err := e.Store.CreateErasure(ctx, e.TenantA, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: ann}}, convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.(*service.Service).RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	if held, err = e.Store.FindErasureByID(ctx, e.TenantA, held.ID); err != nil || held.State != convstore.ErasureSucceeded || held.Held != 2 || held.Done.Conversations != 0 {
		t.Fatalf("held erasure %+v, %v; want succeeded with the chat and the record held", held, err)
	}
	if err := e.Store.DeleteHold(ctx, e.TenantA, hold.ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	// The record is no conversation: the job's counts are the chat's; its
	// receipts hold the record's too.
	if job, err = e.Store.FindErasureByID(ctx, e.TenantA, job.ID); err != nil || job.State != convstore.ErasureSucceeded || job.Done.Conversations != 1 || job.Done.Messages != 1 {
		t.Fatalf("erasure %+v, %v; want 1 conversation, 1 message", job, err)
	}
	dels, _, err := e.Store.FindDeletions(ctx, e.TenantA, convstore.DeletionFilter{ErasureID: job.ID})
	if err != nil || len(dels) != 2 {
		t.Fatalf("the job's receipts %v, %v; want the chat's and the record's", dels, err)
	}
	kinds := map[string]int{}
	for _, d := range dels {
		kinds[d.Kind]++
		if d.Kind == convstore.DeletionEndUser && (d.PurgedAt == nil || d.Messages != 0 || d.KeyEpoch == 0) {
			t.Errorf("the record's receipt %+v: want purged, no messages, its key's epoch", d)
		}
	}
	if kinds[""] != 1 || kinds[convstore.DeletionEndUser] != 1 {
		t.Errorf("receipt kinds %v", kinds)
	}
	if us, _, err := e.Store.FindEndUsers(ctx, e.TenantA, convstore.EndUserFilter{}); err != nil || len(us) != 1 || us[0].UserID != bob {
		t.Errorf("records left %v, %v; want Bob's", us, err)
	}
	sameNotFound(t, e.c.Do("GET", "/v1/chat/conversations/"+annConv, nil, as(e.KeyA, bot)...),
		e.c.Do("GET", "/v1/chat/conversations/conv_00000000000000000000000000", nil, as(e.KeyA, bot)...))
	wantError(t, e.c.Do("GET", "/v1/chat/users/"+ann, nil, as(e.KeyA, bot)...), 404, "ResourceNotFound")
	doortest.Expect(t, e.c.Do("GET", "/v1/chat/users/"+bob, nil, as(e.KeyA, bot)...), 200, "application/json")
	doortest.Expect(t, e.c.Do("GET", "/v1/chat/conversations/"+bobConv, nil, as(e.KeyA, bot)...), 200, "application/json")

	// Get-or-create after a delete makes a new user.
	body := map[string]any{"tags": map[string]string{"phone": "1"}}
	first := e.c.Do("POST", "/v1/chat/users/get-or-create", body, as(e.KeyA, bot)...).Map(t)["user"].(map[string]any)["id"].(string)
	doortest.Expect(t, e.c.Do("DELETE", "/v1/chat/users/"+first, nil, as(e.KeyA, bot)...), 200, "application/json")
	again := e.c.Do("POST", "/v1/chat/users/get-or-create", body, as(e.KeyA, bot)...).Map(t)
	if again["user"].(map[string]any)["id"] == first || again["meta"].(map[string]any)["created"] != true {
		t.Errorf("get-or-create after delete: %v", again)
	}
}
