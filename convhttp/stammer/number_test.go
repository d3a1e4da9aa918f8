package stammer_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/stammer"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// TestConversationNumberExactInJavaScript checks that every new
// conversation's conversation_number is at most 2^53-1, so a JavaScript
// client's res.json() keeps it exact, and that the exact number filters
// the list to that conversation.
func TestConversationNumberExactInJavaScript(t *testing.T) {
	f := setupRoot(t)
	for i := range 20 {
		f.message(f.KeyA, bot1, "user-"+strconv.Itoa(i), "hello")
	}
	r := f.do("GET", pathConversations+"?onlyDeletedConversations=false&page_size=100", nil, f.KeyA)
	doortest.Expect(t, r, 200, "application/json")
	var page struct {
		Results []struct {
			UUID   string      `json:"uuid"`
			Number json.Number `json:"conversation_number"`
		} `json:"results"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&page); err != nil || len(page.Results) != 20 {
		t.Fatalf("%v: %v", r, err)
	}
	for _, c := range page.Results {
		n, err := strconv.ParseInt(c.Number.String(), 10, 64)
		if err != nil || n < 1 || n > convstore.MaxSeq || int64(float64(n)) != n {
			t.Fatalf("%s: conversation_number %s is not an integer exact in a double", c.UUID, c.Number)
		}
		stored, err := f.conversation(f.TenantA, c.UUID)
		if err != nil || stored.Seq != n {
			t.Fatalf("%s: number %d, stored %+v (%v)", c.UUID, n, stored, err)
		}
		// The number as JavaScript prints the double it parsed.
		js := strconv.FormatFloat(float64(n), 'f', -1, 64)
		one := f.list(f.KeyA, "onlyDeletedConversations=false&conversation_number="+js)
		if one["count"] != 1.0 || results(one)[0].(map[string]any)["uuid"] != c.UUID {
			t.Fatalf("filter by %s: %v", js, one)
		}
	}
	// Numbers above 2^53-1 (conversations created before numbers were
	// bounded keep theirs) are still accepted as filters, exactly.
	if p := f.list(f.KeyA, "onlyDeletedConversations=false&conversation_number=4611686018427387905"); p["count"] != 0.0 {
		t.Fatalf("legacy-range number: %v", p)
	}
	// Another tenant's number finds nothing.
	if p := f.list(f.KeyB, "onlyDeletedConversations=false&conversation_number="+page.Results[0].Number.String()); p["count"] != 0.0 {
		t.Fatalf("tenant B filtered by A's number: %v", p)
	}
}

// TestJavaScriptClient runs testdata/sdk/numbers.mjs, a JavaScript client
// that uses fetch and res.json(): it lists, filters by each
// conversation_number as it parsed it, and deletes one; the store is then
// checked against what it printed.
func TestJavaScriptClient(t *testing.T) {
	dir := doortest.NodeSDK(t, "testdata/sdk")
	e := doortest.New(t)
	c := e.Serve(func(s *convhttp.Server) {
		s.Mount("/", v1.New(s))
		s.Mount("/compat/stammer", stammer.New(s))
	})
	out := doortest.RunNode(t, dir, "numbers.mjs", map[string]string{"BASE_URL": c.URL + "/compat/stammer", "API_KEY": e.KeyA})
	var got struct {
		Conversations []struct {
			UUID    string `json:"uuid"`
			UserKey string `json:"user_key"`
			Number  string `json:"number"`
		}
		Deleted string
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Conversations) != 3 {
		t.Fatalf("output %s: %v", out, err)
	}
	for _, cv := range got.Conversations {
		id, ok := convstore.ParseUUID(cv.UUID)
		if !ok {
			t.Fatalf("uuid %q", cv.UUID)
		}
		conv, err := e.Store.FindConversationByID(ctx, e.TenantA, id)
		if cv.UserKey == "" {
			t.Fatalf("no user_key in %s", out)
		}
		if cv.UUID == got.Deleted {
			if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				t.Fatalf("deleted %s: %v %v", cv.UUID, conv, err)
			}
			continue
		}
		if err != nil || strconv.FormatInt(conv.Seq, 10) != cv.Number {
			t.Fatalf("%s: JavaScript saw number %s, store has %+v (%v)", cv.UUID, cv.Number, conv, err)
		}
		bySeq, err := e.Store.FindConversationBySeq(ctx, e.TenantA, conv.Seq)
		if err != nil || bySeq.ID != id {
			t.Fatalf("by seq %s: %v %v", cv.Number, bySeq, err)
		}
	}
}
