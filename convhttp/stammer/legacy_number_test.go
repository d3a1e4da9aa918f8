package stammer_test

import (
	"database/sql"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/stammer"
	v1 "github.com/convstore/convstore/convhttp/v1"
	_ "modernc.org/sqlite"
)

// The 63-bit numbers of conversations created before numbers were
// bounded: 2^62+1 and 2^62+2 both round to the double 2^62, 2^62+513 to
// 2^62+1024, and 2^63-1 to 2^63.
const (
	legacyA   = 1<<62 + 1
	legacyB   = 1<<62 + 2
	legacyC   = 1<<62 + 513
	legacyMax = math.MaxInt64
)

// js is the text a JavaScript client sends for a number it read with
// res.json(): String() of the nearest double.
func js(n int64) string { return strconv.FormatFloat(float64(n), 'f', -1, 64) }

// legacyNumbers creates one conversation per number through the door, in
// tenant A, and gives each that number in the SQLite file, as a store
// written by an earlier version has them. It returns their uuids.
func legacyNumbers(t *testing.T, e *doortest.Env, post func(user string) string, numbers ...int64) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.DBPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var uuids []string
	for i, n := range numbers {
		uuid := post("legacy-" + strconv.Itoa(i))
		id, ok := convstore.ParseUUID(uuid)
		if !ok {
			t.Fatalf("uuid %q", uuid)
		}
		if res, err := db.Exec(`UPDATE conversations SET seq = ? WHERE id = ?`, n, id[:]); err != nil {
			t.Fatal(err)
		} else if k, _ := res.RowsAffected(); k != 1 {
			t.Fatalf("renumbering %s changed %d rows", uuid, k)
		}
		uuids = append(uuids, uuid)
	}
	return uuids
}

// TestLegacyNumberRoundedByJavaScript: a filter by a number above 2^53-1
// that no conversation has exactly, written the way JavaScript prints a
// double, lists every conversation whose number rounds to that double (so
// a JavaScript client finds an old conversation by the number it read);
// an exact number still matches only itself; other texts above 2^63-1
// are 400.
func TestLegacyNumberRoundedByJavaScript(t *testing.T) {
	f := setupRoot(t)
	uuids := legacyNumbers(t, f.Env, func(user string) string {
		return f.message(f.KeyA, bot1, user, "hello")["conversation_uuid"].(string)
	}, legacyA, legacyB, legacyC, legacyMax)
	f.message(f.KeyA, bot1, "new", "hello") // a bounded number, never in a rounded range
	found := func(key, number string) []string {
		t.Helper()
		var out []string
		for _, r := range results(f.list(key, "onlyDeletedConversations=false&conversation_number="+number)) {
			out = append(out, r.(map[string]any)["uuid"].(string))
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	if js(legacyA) != "4611686018427388000" || js(legacyA) != js(legacyB) || js(legacyMax) != "9223372036854776000" {
		t.Fatalf("test numbers: %s %s %s", js(legacyA), js(legacyB), js(legacyMax))
	}
	for _, c := range []struct {
		what, number string
		want         []string
	}{
		{"two numbers rounding alike: both", js(legacyA), sorted(uuids[0], uuids[1])},
		{"one rounding to its own double", js(legacyC), []string{uuids[2]}},
		{"2^63-1 as JavaScript prints it (above int64)", js(legacyMax), []string{uuids[3]}},
		{"an exact number: itself only", strconv.FormatInt(legacyA, 10), []string{uuids[0]}},
		{"an exact number, the other", strconv.FormatInt(legacyB, 10), []string{uuids[1]}},
		{"an exact number nobody has, not JavaScript's form", strconv.FormatInt(legacyA+2, 10), nil},
		{"JavaScript's form of a double nobody rounds to", js(1<<62 + 4096), nil},
	} {
		if got := found(f.KeyA, c.number); !slices.Equal(got, c.want) {
			t.Errorf("%s (%s): %v, want %v", c.what, c.number, got, c.want)
		}
	}
	// Another tenant's rounded number finds nothing.
	if got := found(f.KeyB, js(legacyA)); len(got) != 0 {
		t.Fatalf("tenant B: %v", got)
	}
	// The count follows the rounded match.
	if p := f.list(f.KeyA, "onlyDeletedConversations=false&conversation_number="+js(legacyA)); p["count"] != 2.0 {
		t.Fatalf("count %v", p["count"])
	}
	for _, bad := range []string{"9223372036854777856", "99999999999999999999", "-5", "1e18", "0"} {
		expectField(t, f.do("GET", pathConversations+"?onlyDeletedConversations=false&conversation_number="+bad, nil, f.KeyA), "conversation_number")
	}
}

// TestJavaScriptClientLegacyNumbers runs testdata/sdk/legacy.mjs: a
// JavaScript client lists conversations with 63-bit numbers, which
// res.json() rounds, and filters by each number as it read it; each
// filter must list that conversation (and, for numbers rounding alike,
// its twin).
func TestJavaScriptClientLegacyNumbers(t *testing.T) {
	dir := doortest.NodeSDK(t, "testdata/sdk")
	e := doortest.New(t)
	c := e.Serve(func(s *convhttp.Server) {
		s.Mount("/", v1.New(s))
		s.Mount("/compat/stammer", stammer.New(s))
	})
	f := &fixture{Env: e, c: c, prefix: "/compat/stammer"}
	uuids := legacyNumbers(t, e, func(user string) string {
		return f.message(e.KeyA, bot1, user, "hello")["conversation_uuid"].(string)
	}, legacyA, legacyB, legacyC)
	out := doortest.RunNode(t, dir, "legacy.mjs", map[string]string{"BASE_URL": c.URL + "/compat/stammer", "API_KEY": e.KeyA})
	want := `{"` + uuids[0] + `":2,"` + uuids[1] + `":2,"` + uuids[2] + `":1}`
	if string(out) != want+"\n" && string(out) != want {
		t.Fatalf("JavaScript found %s, want %s", out, want)
	}
}
