package servicetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
)

// MarkPendingFunc puts a conversation back in the state of one stored
// before its authors were kept (migration 0016): no author rows, listed
// as pending. The engine's test writes it in SQL.
type MarkPendingFunc func(ctx context.Context, tenantID, conversationID convstore.ID) error

// messageCounter is a driver whose reads count the message pages read.
type messageCounter struct {
	driver.Driver
	pages *atomic.Int64
}

type countingReader struct {
	driver.Reader
	pages *atomic.Int64
}

func (r countingReader) MessageList(ctx context.Context, p *driver.MessageListParams) ([]*driver.MessageRow, error) {
	r.pages.Add(1)
	return r.Reader.MessageList(ctx, p)
}

func (d messageCounter) Read(ctx context.Context, fn func(ctx context.Context, r driver.Reader) error) error {
	return d.Driver.Read(ctx, func(ctx context.Context, r driver.Reader) error { return fn(ctx, countingReader{r, d.pages}) })
}

func (d messageCounter) Reads() driver.Reader { return countingReader{d.Driver.Reads(), d.pages} }

// RunAuthorsBackfill checks the authors backfill on db: a conversation
// stored before the author rows were kept (marked by markPending), and
// appended to since, is read from its messages until BackfillAuthors
// records its authors, after which a list reads no message of it; a
// backfill stopped midway resumes with what is left, and two nodes
// backfilling at once record every conversation once.
func RunAuthorsBackfill(t *testing.T, db *Database, markPending MarkPendingFunc) {
	if db.Keyring == nil {
		db.Keyring = NewKeyring(t)
	}
	ctx := testCtx(t)
	var pages atomic.Int64
	node := func() *service.Service {
		return service.New(messageCounter{db.Open(t), &pages}, db.Blobs, service.Options{Keyring: db.Keyring, Logger: Logger(t)})
	}
	svc := node()
	t.Cleanup(func() { svc.Close() })
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("backfill"))
	old, msgs := MustCreateConversation(t, ctx, svc, tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		authored("Ann", ""), authored("Bob", "bob@example.com"), authored("Ann", ""),
	}})
	kept, keptMsgs := MustCreateConversation(t, ctx, svc, tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{authored("Kay", "")}})
	if err := markPending(ctx, tenant.ID, old.ID); err != nil {
		t.Fatal(err)
	}
	// An append after the migration records the authors it brings as if
	// none were stored: Ann again, and Dee.
	msgs = append(msgs, MustCreateMessages(t, ctx, svc, tenant.ID, old.ID, []*convstore.MessageCreate{authored("Ann", ""), authored("Dee", "")})...)
	ids := []convstore.ID{old.ID, kept.ID}
	want := func(what string, readsMessages bool) {
		t.Helper()
		before := pages.Load()
		got, err := svc.FindAuthors(ctx, tenant.ID, ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range [][]*convstore.Message{msgs, keptMsgs} {
			if snapshot(t, got[i]) != snapshot(t, convstore.AuthorsOf(w)) {
				t.Errorf("%s: conversation %d's authors\n got %s\nwant %s", what, i, snapshot(t, got[i]), snapshot(t, convstore.AuthorsOf(w)))
			}
		}
		if read := pages.Load() - before; read > 0 != readsMessages {
			t.Errorf("%s: the list read %d message pages; want reads of messages %v", what, read, readsMessages)
		}
		digested := digestAuthors(t, ctx, svc, tenant.ID)
		for i, w := range [][]*convstore.Message{msgs, keptMsgs} {
			if d := digested[ids[i]]; snapshot(t, d) != snapshot(t, convstore.AuthorsOf(w)) {
				t.Errorf("%s: conversation %d's digest authors\n got %s\nwant %s", what, i, snapshot(t, d), snapshot(t, convstore.AuthorsOf(w)))
			}
		}
	}
	want("pending", true)
	if n, err := svc.BackfillAuthors(ctx, 0, nil); err != nil || n != 1 {
		t.Fatalf("BackfillAuthors = %d, %v; want the one pending conversation", n, err)
	}
	want("backfilled", false)
	if n, err := svc.BackfillAuthors(ctx, 0, nil); err != nil || n != 0 {
		t.Errorf("BackfillAuthors again = %d, %v; want nothing left", n, err)
	}

	// Stopped after its first batch (the process killed), it resumes
	// with the conversations still pending.
	var pending []convstore.ID
	for range 3 {
		c, _ := MustCreateConversation(t, ctx, svc, tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{authored("Lee", "")}})
		if err := markPending(ctx, tenant.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		pending = append(pending, c.ID)
	}
	stop, cancel := context.WithCancel(ctx)
	n, err := svc.BackfillAuthors(stop, 1, func(int) { cancel() })
	if n != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("a backfill stopped after one batch = %d, %v; want 1, canceled", n, err)
	}
	svc.RunAuthorsBackfill(ctx, time.Hour) // the next start
	before := pages.Load()
	got, err := svc.FindAuthors(ctx, tenant.ID, pending)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pending {
		if len(got[i]) != 1 || got[i][0].Name != "Lee" {
			t.Errorf("resumed: conversation %d's authors %s", i, snapshot(t, got[i]))
		}
	}
	if read := pages.Load() - before; read != 0 {
		t.Errorf("after the resumed backfill the list read %d message pages", read)
	}

	// Two nodes at once: each conversation recorded once, none twice.
	pending = pending[:0]
	for range 12 {
		c, _ := MustCreateConversation(t, ctx, svc, tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{authored("Mo", ""), authored("Mo", "")}})
		if err := markPending(ctx, tenant.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		pending = append(pending, c.ID)
	}
	other := node()
	t.Cleanup(func() { other.Close() })
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i, s := range []*service.Service{svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = s.BackfillAuthors(ctx, 2, nil)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || counts[0]+counts[1] != len(pending) {
		t.Errorf("two nodes backfilled %v (%v); want %d in all", counts, errs, len(pending))
	}
	before = pages.Load()
	if got, err = svc.FindAuthors(ctx, tenant.ID, pending); err != nil {
		t.Fatal(err)
	}
	for i := range pending {
		if len(got[i]) != 1 || got[i][0].Name != "Mo" {
			t.Errorf("two nodes: conversation %d's authors %s", i, snapshot(t, got[i]))
		}
	}
	if read := pages.Load() - before; read != 0 {
		t.Errorf("after two nodes' backfill the list read %d message pages", read)
	}
}
