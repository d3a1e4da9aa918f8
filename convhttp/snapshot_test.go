package convhttp_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// appendingStore appends a batch to the conversation right before the
// page read number onPage (1 is the first asc page) reaches the store: a
// write that commits while a response is being written.
type appendingStore struct {
	convstore.Store
	tenant, conv convstore.ID
	onPage, n    int
	pages        int
}

func (s *appendingStore) FindMessages(ctx context.Context, t, c convstore.ID, f convstore.MessageFilter) ([]*convstore.Message, bool, error) {
	if f.Order == convstore.OrderAsc {
		s.pages++
		if s.pages == s.onPage {
			if _, err := s.Store.CreateMessages(ctx, s.tenant, s.conv, texts("late", s.n)); err != nil {
				return nil, false, err
			}
		}
	}
	return s.Store.FindMessages(ctx, t, c, f)
}

// texts returns n user messages "prefix i".
func texts(prefix string, n int) []*convstore.MessageCreate {
	out := make([]*convstore.MessageCreate, n)
	for i := range out {
		out[i] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprintf("%s %d", prefix, i)}
	}
	return out
}

// newConversation creates a conversation of n messages in tenant A.
func newConversation(t *testing.T, e *doortest.Env, n int) (*convstore.Conversation, []*convstore.Message) {
	t.Helper()
	ctx := context.Background()
	c, msgs, err := e.Store.CreateConversation(ctx, e.TenantA, &convstore.ConversationCreate{Messages: texts("m", min(n, convstore.MaxMessageBatch))})
	if err != nil {
		t.Fatal(err)
	}
	for len(msgs) < n {
		more, err := e.Store.CreateMessages(ctx, e.TenantA, c.ID, texts("m", min(n-len(msgs), convstore.MaxMessageBatch)))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, more...)
	}
	return c, msgs
}

// readAll reads every page, checking that none is larger than a store page.
func readAll(t *testing.T, p *convhttp.MessagePages) []*convstore.Message {
	t.Helper()
	var all []*convstore.Message
	for {
		page, err := p.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > convstore.MaxPageLimit {
			t.Fatalf("a page of %d messages", len(page))
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

func sameIDs(t *testing.T, what string, got, want []*convstore.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d messages, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("%s: message %d is %v, want %v", what, i, got[i].ID, want[i].ID)
		}
	}
}

// TestMessagePagesSnapshot checks the snapshot a streamed answer shows:
// every message up to the newest one when it was opened, in order and in
// pages, whatever is appended while it is read, again after Rewind.
func TestMessagePagesSnapshot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name          string
		n, onPage, by int
	}{
		{"no appends", 250, 0, 0},
		{"append before the first page", 250, 1, 7},
		{"append before the last page", 250, 3, 7},
		{"append within the one page", 30, 1, 5},
		{"exactly one page", 100, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := doortest.New(t)
			c, msgs := newConversation(t, e, tc.n)
			s := &appendingStore{Store: e.Store, tenant: e.TenantA, conv: c.ID, onPage: tc.onPage, n: tc.by}
			p, err := convhttp.OpenMessagePages(ctx, s, e.TenantA, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.Last().ID != msgs[len(msgs)-1].ID {
				t.Fatalf("Last is %v, want the newest message %v", p.Last().ID, msgs[len(msgs)-1].ID)
			}
			sameIDs(t, "first reading", readAll(t, p), msgs)
			p.Rewind()
			sameIDs(t, "after Rewind", readAll(t, p), msgs)
			if got, _ := e.Store.FindConversationByID(ctx, e.TenantA, c.ID); tc.by > 0 && got.MessageCount != tc.n+tc.by {
				t.Fatalf("the concurrent append did not happen: %d messages", got.MessageCount)
			}
		})
	}
}

// TestMessagePagesEdges checks an empty conversation, a missing one and
// one deleted while it is read.
func TestMessagePagesEdges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := doortest.New(t)
	empty, _, err := e.Store.CreateConversation(ctx, e.TenantA, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := convhttp.OpenMessagePages(ctx, e.Store, e.TenantA, empty.ID)
	if err != nil || p.Last() != nil || len(readAll(t, p)) != 0 {
		t.Fatalf("empty conversation: %v", err)
	}
	if _, err := convhttp.OpenMessagePages(ctx, e.Store, e.TenantB, empty.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("another tenant's conversation: %v, want ENOTFOUND", err)
	}
	c, _ := newConversation(t, e, 150)
	p, err = convhttp.OpenMessagePages(ctx, e.Store, e.TenantA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if page, err := p.Next(ctx); err != nil || len(page) != convstore.MaxPageLimit {
		t.Fatalf("first page: %d, %v", len(page), err)
	}
	if _, err := e.Store.DeleteConversation(ctx, e.TenantA, c.ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Next(ctx); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("deleted while read: %v, want ENOTFOUND", err)
	}
}
