package servicetest

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/convstore/convstore"
)

var messageCapTests = []subtest{
	{"Create", testCapCreate},
	{"Append", testCapAppend},
	{"ConcurrentAppends", testCapConcurrentAppends},
}

// testCap is the small cap the cap tests open their stores with.
const testCap = 5

// cappedFixture opens a store with a message cap of max through the
// harness and creates a tenant in it.
func cappedFixture(t *testing.T, f *fixture, max int) (convstore.Store, convstore.ID) {
	t.Helper()
	s := f.NewStore(t, StoreOptions{MaxConversationMessages: max})
	tenant, _ := MustCreateTenant(t, f.ctx, s, uniqueName("capped"))
	return s, tenant.ID
}

// wantCapError fails the test unless err is the cap error naming max.
func wantCapError(t *testing.T, what string, err error, max int) {
	t.Helper()
	if !convstore.IsMessageCapError(err) || convstore.ErrorCode(err) != convstore.ECONFLICT || convstore.ErrorField(err) != "messages" {
		t.Fatalf("%s: %v, want ECONFLICT on field messages", what, err)
	}
	if msg := convstore.ErrorMessage(err); !strings.Contains(msg, strconv.Itoa(max)) {
		t.Fatalf("%s: message %q does not name the cap %d", what, msg, max)
	}
}

// wantMessages fails the test unless the conversation holds n messages,
// counted and listed.
func wantMessages(t *testing.T, f *fixture, s convstore.Store, tenantID, convID convstore.ID, n int) {
	t.Helper()
	if c := MustFindConversation(t, f.ctx, s, tenantID, convID); c.MessageCount != n {
		t.Fatalf("MessageCount = %d, want %d", c.MessageCount, n)
	}
	msgs, _, err := s.FindMessages(f.ctx, tenantID, convID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit}})
	if err != nil || len(msgs) != n {
		t.Fatalf("FindMessages: %d messages, %v; want %d", len(msgs), err, n)
	}
}

// testCapCreate: more initial messages than the cap is the cap error and
// creates nothing; exactly the cap is fine.
func testCapCreate(t *testing.T, f *fixture) {
	s, tid := cappedFixture(t, f, testCap)
	_, _, err := s.CreateConversation(f.ctx, tid, &convstore.ConversationCreate{Messages: textMessages("over", testCap+1)})
	wantCapError(t, "CreateConversation over the cap", err, testCap)
	if n, err := s.CountConversations(f.ctx, tid, convstore.ConversationFilter{}); err != nil || n != 0 {
		t.Fatalf("after the refused create: %d conversations, %v; want none", n, err)
	}
	conv, _ := MustCreateConversation(t, f.ctx, s, tid, &convstore.ConversationCreate{Messages: textMessages("full", testCap)})
	wantMessages(t, f, s, tid, conv.ID, testCap)
}

// testCapAppend: an append that would pass the cap is refused whole, one
// that reaches it exactly is accepted, and deleting a message makes room
// again (the cap counts the messages a conversation holds).
func testCapAppend(t *testing.T, f *fixture) {
	s, tid := cappedFixture(t, f, testCap)
	conv, _ := MustCreateConversation(t, f.ctx, s, tid, &convstore.ConversationCreate{Messages: textMessages("initial", 3)})
	before := MustFindConversation(t, f.ctx, s, tid, conv.ID)

	_, err := s.CreateMessages(f.ctx, tid, conv.ID, textMessages("over", 3))
	wantCapError(t, "CreateMessages past the cap", err, testCap)
	wantMessages(t, f, s, tid, conv.ID, 3)
	if after := MustFindConversation(t, f.ctx, s, tid, conv.ID); !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("a refused append changed UpdatedAt: %v -> %v", before.UpdatedAt, after.UpdatedAt)
	}

	msgs := MustCreateMessages(t, f.ctx, s, tid, conv.ID, textMessages("fill", 2))
	wantMessages(t, f, s, tid, conv.ID, testCap)
	_, err = s.CreateMessages(f.ctx, tid, conv.ID, textMessages("one more", 1))
	wantCapError(t, "CreateMessages at the cap", err, testCap)

	if err := s.DeleteMessage(f.ctx, tid, conv.ID, msgs[0].ID, f.params); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	MustCreateMessages(t, f.ctx, s, tid, conv.ID, textMessages("room again", 1))
	wantMessages(t, f, s, tid, conv.ID, testCap)

	// A missing conversation is still ENOTFOUND, not the cap error.
	if _, err := s.CreateMessages(f.ctx, tid, randomID(), textMessages("nowhere", testCap+1)); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("CreateMessages on a missing conversation: %v, want ENOTFOUND", err)
	}
}

// testCapConcurrentAppends: appends racing for the last places of a
// conversation never take it past the cap together.
func testCapConcurrentAppends(t *testing.T, f *fixture) {
	const max, appenders, batch = 10, 8, 3
	s, tid := cappedFixture(t, f, max)
	conv, _ := MustCreateConversation(t, f.ctx, s, tid, &convstore.ConversationCreate{Messages: textMessages("initial", 1)})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
		failures errList
	)
	start := make(chan struct{})
	for g := range appenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			msgs, err := s.CreateMessages(f.ctx, tid, conv.ID, textMessages("g"+strconv.Itoa(g), batch))
			switch {
			case err == nil && len(msgs) == batch:
				mu.Lock()
				accepted++
				mu.Unlock()
			case !convstore.IsMessageCapError(err):
				failures.add("appender %d: %d messages, %v; want %d or the cap error", g, len(msgs), err, batch)
			}
		}()
	}
	close(start)
	wg.Wait()
	failures.report(t)
	if want := (max - 1) / batch; accepted != want {
		t.Fatalf("%d appends of %d accepted, want %d (cap %d, 1 initial message)", accepted, batch, want, max)
	}
	wantMessages(t, f, s, tid, conv.ID, 1+accepted*batch)
}
