package doors_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// countingDriver counts the driver's reads: each read transaction and
// each statement run on its own (Reads). Writes are not counted: a list
// makes none, and the key's background last-use write may fall anywhere.
type countingDriver struct {
	driver.Driver
	calls atomic.Int64
}

func (d *countingDriver) Read(ctx context.Context, fn func(ctx context.Context, r driver.Reader) error) error {
	d.calls.Add(1)
	return d.Driver.Read(ctx, fn)
}

func (d *countingDriver) Reads() driver.Reader {
	d.calls.Add(1)
	return d.Driver.Reads()
}

// listDoor is one door's list of conversations as the list tests drive it.
type listDoor struct {
	name string
	// list asks for a page of n conversations and returns how many the
	// answer holds.
	list func(w *world, n int) int
}

// listed decodes the array at key of a list answer and returns its length.
func listed(w *world, path, key string, headers ...string) int {
	w.t.Helper()
	r := w.c.Do("GET", path, nil, headers...)
	if r.Status != 200 {
		w.t.Fatalf("%v: want 200", r)
	}
	w.listBytes = len(r.Body)
	var body map[string]json.RawMessage
	var items []json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil || json.Unmarshal(body[key], &items) != nil {
		w.t.Fatalf("%s: no %q array in %.200s", path, key, r.Body)
	}
	return len(items)
}

var listDoors = []listDoor{
	{"native", func(w *world, n int) int {
		return listed(w, "/v1/conversations?limit="+strconv.Itoa(n), "data", "Authorization", w.token("Bearer"))
	}},
	{"stammer", func(w *world, n int) int {
		return listed(w, "/compat/stammer/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false&page=1&page_size="+strconv.Itoa(n),
			"results", "Authorization", w.token("Token"))
	}},
	{"symbl", func(w *world, n int) int {
		return listed(w, "/compat/symbl/v1/conversations?limit="+strconv.Itoa(n), "conversations", "Authorization", w.token("Bearer"))
	}},
	{"elevenlabs", func(w *world, n int) int {
		return listed(w, "/compat/elevenlabs/v1/convai/conversations?page_size="+strconv.Itoa(n), "conversations", "xi-api-key", w.key)
	}},
	{"botpress", func(w *world, n int) int {
		return listed(w, "/compat/botpress/v1/chat/conversations?pageSize="+strconv.Itoa(n), "conversations",
			"Authorization", w.token("Bearer"), "x-bot-id", bot)
	}},
	{"inkeep", func(w *world, n int) int {
		return listed(w, "/compat/inkeep/conversations?limit="+strconv.Itoa(n), "conversations", "Authorization", w.token("Bearer"))
	}},
}

// listWorld serves every door over a service on drv, counted.
func listWorld(tb testing.TB, drv driver.Driver) (*world, *countingDriver) {
	tb.Helper()
	blobs, err := blob.NewFS(filepath.Join(tb.TempDir(), "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	counted := &countingDriver{Driver: drv}
	db := service.New(counted, blobs, service.Options{})
	tb.Cleanup(func() { _ = db.Close() })
	env := doortest.NewWithStore(tb, db)
	s := doors.NewMainServer(env.Config())
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	return &world{t: tb, env: env, c: &doortest.Client{TB: tb, URL: ts.URL, Server: s}, key: env.KeyA, ctx: context.Background()}, counted
}

// sqliteDriver opens a SQLite driver in a temporary directory.
func sqliteDriver(tb testing.TB) driver.Driver {
	tb.Helper()
	drv, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "convstore.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return drv
}

// fillList stores n conversations of the bot with msgs messages each (a
// user and an assistant taking turns, with offsets), a summary and an
// analysis artifact, and an Inkeep field artifact: what each door's list
// shows of a conversation.
func fillList(tb testing.TB, w *world, n, msgs int) {
	tb.Helper()
	for i := range n {
		batch := make([]*convstore.MessageCreate, msgs)
		for j := range batch {
			role, name := convstore.RoleUser, "Ann"
			if j%2 == 1 {
				role, name = convstore.RoleAssistant, "Bot"
			}
			at := time.Duration(j) * time.Second
			batch[j] = &convstore.MessageCreate{Role: role, AuthorName: name, StartOffset: &at,
				Content: "message " + strconv.Itoa(j) + " of conversation " + strconv.Itoa(i) + ": some words a person might say"}
		}
		c, _, err := w.env.Store.CreateConversation(w.ctx, w.env.TenantA, &convstore.ConversationCreate{AgentID: bot, Title: "call " + strconv.Itoa(i),
			Messages: batch[:min(msgs, convstore.MaxPageLimit)]})
		if err != nil {
			tb.Fatal(err)
		}
		for k := convstore.MaxPageLimit; k < msgs; k += convstore.MaxPageLimit {
			if _, err := w.env.Store.CreateMessages(w.ctx, w.env.TenantA, c.ID, batch[k:min(msgs, k+convstore.MaxPageLimit)]); err != nil {
				tb.Fatal(err)
			}
		}
		for _, a := range []*convstore.ArtifactCreate{
			{Type: convstore.ArtifactSummary, Text: "The caller asked about an invoice."},
			{Type: convstore.ArtifactAnalysis, Data: json.RawMessage(`{"call_successful":"success","call_summary_title":"Invoice"}`)},
			{Type: convstore.ArtifactOther, Data: json.RawMessage(`{"inkeep":{"properties":{"n":` + strconv.Itoa(i) + `}}}`)},
		} {
			if _, err := w.env.Store.CreateArtifact(w.ctx, w.env.TenantA, c.ID, a); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// TestListQueries lists a page of 5 and then of 40 conversations through
// every door and checks that the driver calls do not grow with the page:
// no list reads per conversation. The slack of 2 covers a key whose
// cached authentication expires between the two lists (a read or two);
// a list that reads per conversation makes 35 more or so.
func TestListQueries(t *testing.T) {
	t.Parallel()
	const small, large = 5, 40
	w, counted := listWorld(t, sqliteDriver(t))
	fillList(t, w, large, 3)
	for _, d := range listDoors {
		calls := map[int]int64{}
		for _, n := range []int{small, large} {
			before := counted.calls.Load()
			if got := d.list(w, n); got != n {
				t.Fatalf("%s: a page of %d lists %d conversations", d.name, n, got)
			}
			calls[n] = counted.calls.Load() - before
		}
		t.Logf("%s: %d driver calls for %d conversations, %d for %d", d.name, calls[small], small, calls[large], large)
		if calls[large] > calls[small]+2 {
			t.Errorf("%s: listing %d conversations takes %d driver calls, %d takes %d: the list reads per conversation",
				d.name, large, calls[large], small, calls[small])
		}
	}
}
