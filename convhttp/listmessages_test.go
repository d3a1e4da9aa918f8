package convhttp_test

import (
	"context"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// batchCounter counts the batch reads that reach the store.
type batchCounter struct {
	convstore.Store
	batches int
}

func (s *batchCounter) FindMessagePages(ctx context.Context, t convstore.ID, r []convstore.MessageRange) ([]convstore.MessagePage, error) {
	s.batches++
	return s.Store.FindMessagePages(ctx, t, r)
}

// digests reads the page of tenant A's conversations, oldest first, as a
// list does.
func digests(t *testing.T, e *doortest.Env) []*convstore.ConversationDigest {
	t.Helper()
	ds, _, err := e.Store.FindConversationDigests(context.Background(), e.TenantA,
		convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}},
		convstore.DigestOptions{Last: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// read returns the ids Each gives for the i-th conversation.
func read(t *testing.T, l *convhttp.ListMessages, i int) []convstore.ID {
	t.Helper()
	var ids []convstore.ID
	if err := l.Each(context.Background(), i, func(m *convstore.Message) error { ids = append(ids, m.ID); return nil }); err != nil {
		t.Fatalf("conversation %d: %v", i, err)
	}
	return ids
}

func idsOf(ms []*convstore.Message) []convstore.ID {
	var out []convstore.ID
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// ListMessages gives every message of each conversation, twice when
// asked, reading small conversations together: 30 conversations of 50
// messages and one of 2500 (read again for its second pass, past what it
// holds) take a few batches, not a read each.
func TestListMessages(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	var want [][]*convstore.Message
	for i := range 32 {
		n := 50
		switch i {
		case 10:
			n = 2500
		case 20:
			n = 0
		}
		_, msgs := newConversation(t, e, n)
		want = append(want, msgs)
	}
	counted := &batchCounter{Store: e.Store}
	l := convhttp.NewListMessages(counted, e.TenantA, digests(t, e), 0)
	for i, w := range want {
		for pass := range 2 {
			if got := read(t, l, i); !slices.Equal(got, idsOf(w)) {
				t.Fatalf("conversation %d, pass %d: %d messages, want %d", i, pass, len(got), len(w))
			}
		}
	}
	// 31×50 + 2×2500 messages: 7 batches of 1000 at best; a read per
	// conversation would be 31 and more.
	t.Logf("%d batch reads", counted.batches)
	if counted.batches > 10 {
		t.Errorf("%d batch reads", counted.batches)
	}
}

// Messages appended after the digests are left out; a conversation
// deleted meanwhile ends its reading with ENOTFOUND, one whose newest
// message was deleted is read without it.
func TestListMessagesSnapshot(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	ctx := context.Background()
	a, am := newConversation(t, e, 3)
	b, bm := newConversation(t, e, 3)
	c, _ := newConversation(t, e, 3)
	ds := digests(t, e)
	if _, err := e.Store.CreateMessages(ctx, e.TenantA, a.ID, texts("late", 2)); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.DeleteMessage(ctx, e.TenantA, b.ID, bm[2].ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.DeleteConversation(ctx, e.TenantA, c.ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	l := convhttp.NewListMessages(e.Store, e.TenantA, ds, 0)
	if got := read(t, l, 0); !slices.Equal(got, idsOf(am)) {
		t.Errorf("appended after the snapshot: %v, want %v", got, idsOf(am))
	}
	if got := read(t, l, 1); !slices.Equal(got, idsOf(bm[:2])) {
		t.Errorf("newest deleted: %v, want %v", got, idsOf(bm[:2]))
	}
	err := l.Each(ctx, 2, func(*convstore.Message) error { return nil })
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("deleted conversation: %v, want ENOTFOUND", err)
	}
}

// With first > 0, Each gives each conversation's first messages only, and
// More says whether it has others.
func TestListMessagesFirst(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	var want [][]*convstore.Message
	for _, n := range []int{150, 100, 30, 0} {
		_, msgs := newConversation(t, e, n)
		want = append(want, msgs)
	}
	counted := &batchCounter{Store: e.Store}
	l := convhttp.NewListMessages(counted, e.TenantA, digests(t, e), 100)
	for i, w := range want {
		if got := read(t, l, i); !slices.Equal(got, idsOf(w[:min(len(w), 100)])) {
			t.Errorf("conversation %d: %d messages, want the first %d", i, len(got), min(len(w), 100))
		}
		if more := l.More(i); more != (len(w) > 100) {
			t.Errorf("conversation %d of %d messages: More %v", i, len(w), more)
		}
	}
	if counted.batches != 1 {
		t.Errorf("%d batch reads, want 1", counted.batches)
	}
}
