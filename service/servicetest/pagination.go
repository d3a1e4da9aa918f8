package servicetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var paginationTests = []subtest{
	{"Conversations", testPageConversations},
	{"ConversationFilters", testPageConversationFilters},
	{"ConversationTimeFilters", testPageConversationTimes},
	{"Messages", testPageMessages},
	{"Artifacts", testPageArtifacts},
	{"Attachments", testPageAttachments},
	{"DeletionsAndAudit", testPageDeletions},
	{"ConcurrentInserts", testPageDuringInserts},
}

// pageItems is how many items each paging test creates: more than one
// default page.
const pageItems = convstore.DefaultPageLimit + 5

func conversationLister(f *fixture, filter convstore.ConversationFilter) lister[*convstore.Conversation] {
	return func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Conversation, bool, error) {
		filter.PageFilter = p
		return f.Store.FindConversations(ctx, f.tenant.ID, filter)
	}
}

func convID(c *convstore.Conversation) convstore.ID { return c.ID }

// sortedIDs returns ids sorted ascending.
func sortedIDs(ids []convstore.ID) []convstore.ID {
	out := slices.Clone(ids)
	slices.SortFunc(out, compareIDs)
	return out
}

func testPageConversations(t *testing.T, f *fixture) {
	var ids []convstore.ID
	for range pageItems {
		c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
		ids = append(ids, c.ID)
	}
	checkPaging(t, f.ctx, pageCase[*convstore.Conversation]{
		list: conversationLister(f, convstore.ConversationFilter{}), idOf: convID,
		want: sortedIDs(ids), defaultOrder: convstore.OrderDesc,
	})
}

func testPageConversationFilters(t *testing.T, f *fixture) {
	type made struct {
		id          convstore.ID
		agent, user string
	}
	var all []made
	for i := range pageItems {
		m := made{agent: "agent-b", user: "user-2"}
		if i%3 == 0 {
			m.agent = "agent-a"
		}
		if i%2 == 0 {
			m.user = "user-1"
		}
		c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{AgentID: m.agent, UserID: m.user})
		m.id = c.ID
		all = append(all, m)
	}
	filters := []convstore.ConversationFilter{
		{AgentID: "agent-a"},
		{AgentID: "agent-b"},
		{UserID: "user-1"},
		{AgentID: "agent-a", UserID: "user-1"},
		{AgentID: "agent-b", UserID: "user-2"},
		{AgentID: "agent-c"},
		{UserID: "agent-a"}, // values match their own field only
	}
	for _, filter := range filters {
		t.Run(fmt.Sprintf("agent=%q,user=%q", filter.AgentID, filter.UserID), func(t *testing.T) {
			var want []convstore.ID
			for _, m := range all {
				if (filter.AgentID == "" || filter.AgentID == m.agent) && (filter.UserID == "" || filter.UserID == m.user) {
					want = append(want, m.id)
				}
			}
			checkPaging(t, f.ctx, pageCase[*convstore.Conversation]{
				list: conversationLister(f, filter), idOf: convID,
				want: sortedIDs(want), defaultOrder: convstore.OrderDesc,
			})
		})
	}
}

func testPageConversationTimes(t *testing.T, f *fixture) {
	// Create conversations a few milliseconds apart until at least five
	// distinct creation times exist, whatever the engine's time resolution.
	distinct := map[int64]bool{}
	deadline := time.Now().Add(6 * time.Second)
	for n := 0; n < 12 || len(distinct) < 5; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d distinct CreatedAt values among %d conversations created over 6s", len(distinct), n)
		}
		c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
		distinct[c.CreatedAt.UnixNano()] = true
		f.pass(3 * time.Millisecond)
	}
	// Bounds are taken from stored values, as a caller would see them.
	convs := mustListAll(t, f.ctx, conversationLister(f, convstore.ConversationFilter{}), convID, convstore.OrderAsc)
	n := len(convs)
	lo, hi := convs[n/4].CreatedAt, convs[3*n/4].CreatedAt
	if !lo.Before(hi) {
		t.Fatalf("test setup: CreatedAt of conversation %d (%v) not before that of %d (%v)", n/4, lo, 3*n/4, hi)
	}
	cases := []struct {
		name          string
		after, before *time.Time
	}{
		{"after", &lo, nil},
		{"before", nil, &hi},
		{"between", &lo, &hi},
		{"after the last", &convs[n-1].CreatedAt, nil},
		{"before the first", nil, &convs[0].CreatedAt},
		{"empty range", &hi, &lo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want []convstore.ID
			for _, c := range convs {
				if (tc.after == nil || c.CreatedAt.After(*tc.after)) && (tc.before == nil || c.CreatedAt.Before(*tc.before)) {
					want = append(want, c.ID)
				}
			}
			if tc.name == "after" && slices.Contains(want, convs[n/4].ID) {
				t.Fatalf("test bug: the bound conversation is expected")
			}
			checkPaging(t, f.ctx, pageCase[*convstore.Conversation]{
				list:         conversationLister(f, convstore.ConversationFilter{CreatedAfter: tc.after, CreatedBefore: tc.before}),
				idOf:         convID,
				want:         sortedIDs(want),
				defaultOrder: convstore.OrderDesc,
			})
		})
	}
}

func testPageMessages(t *testing.T, f *fixture) {
	conv, first := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("first", 10)})
	rest := MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, conv.ID, textMessages("rest", pageItems-10))
	var ids []convstore.ID
	for _, m := range append(first, rest...) {
		ids = append(ids, m.ID)
	}
	// Another conversation's messages must not leak into the pages.
	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("other", 5)})
	MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, other.ID, textMessages("other", 5))
	checkPaging(t, f.ctx, pageCase[*convstore.Message]{
		list: func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Message, bool, error) {
			return f.Store.FindMessages(ctx, f.tenant.ID, conv.ID, convstore.MessageFilter{PageFilter: p})
		},
		idOf:         func(m *convstore.Message) convstore.ID { return m.ID },
		want:         sortedIDs(ids),
		defaultOrder: convstore.OrderAsc,
	})
}

func testPageArtifacts(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	byType := map[convstore.ArtifactType][]convstore.ID{}
	var all []convstore.ID
	for i := range pageItems {
		typ := convstore.ArtifactTopic
		if i%4 == 0 {
			typ = convstore.ArtifactSummary
		}
		a := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: typ, Text: fmt.Sprint("artifact ", i)})
		MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, other.ID, &convstore.ArtifactCreate{Type: typ, Text: "other"})
		byType[typ] = append(byType[typ], a.ID)
		all = append(all, a.ID)
	}
	byType[""] = all
	byType[convstore.ArtifactInsight] = nil
	for _, typ := range []convstore.ArtifactType{"", convstore.ArtifactSummary, convstore.ArtifactTopic, convstore.ArtifactInsight} {
		t.Run("type="+string(typ), func(t *testing.T) {
			checkPaging(t, f.ctx, pageCase[*convstore.Artifact]{
				list: func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Artifact, bool, error) {
					return f.Store.FindArtifacts(ctx, f.tenant.ID, conv.ID, convstore.ArtifactFilter{Type: typ, PageFilter: p})
				},
				idOf:         func(a *convstore.Artifact) convstore.ID { return a.ID },
				want:         sortedIDs(byType[typ]),
				defaultOrder: convstore.OrderAsc,
			})
		})
	}
}

func testPageAttachments(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	var ids []convstore.ID
	for i := range pageItems {
		name := fmt.Sprintf("file-%02d.txt", i)
		a := MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, name, []byte(name))
		ids = append(ids, a.ID)
	}
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, other.ID, "file-00.txt", []byte("other"))
	checkPaging(t, f.ctx, pageCase[*convstore.Attachment]{
		list: func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Attachment, bool, error) {
			return f.Store.FindAttachments(ctx, f.tenant.ID, conv.ID, convstore.AttachmentFilter{PageFilter: p})
		},
		idOf:         func(a *convstore.Attachment) convstore.ID { return a.ID },
		want:         sortedIDs(ids),
		defaultOrder: convstore.OrderAsc,
	})
}

func testPageDeletions(t *testing.T, f *fixture) {
	var receipts []*convstore.Deletion
	for range pageItems {
		c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
		receipts = append(receipts, MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, c.ID, f.params))
	}
	var ids []convstore.ID
	for _, d := range receipts {
		ids = append(ids, d.ID)
	}
	deletionLister := func(filter convstore.DeletionFilter) lister[*convstore.Deletion] {
		return func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Deletion, bool, error) {
			filter.PageFilter = p
			return f.Store.FindDeletions(ctx, f.tenant.ID, filter)
		}
	}
	deletionID := func(d *convstore.Deletion) convstore.ID { return d.ID }
	t.Run("all", func(t *testing.T) {
		checkPaging(t, f.ctx, pageCase[*convstore.Deletion]{
			list: deletionLister(convstore.DeletionFilter{}), idOf: deletionID,
			want: sortedIDs(ids), defaultOrder: convstore.OrderDesc,
		})
	})
	t.Run("by conversation", func(t *testing.T) {
		d := receipts[7]
		checkPaging(t, f.ctx, pageCase[*convstore.Deletion]{
			list: deletionLister(convstore.DeletionFilter{ConversationID: d.ConversationID}), idOf: deletionID,
			want: []convstore.ID{d.ID}, defaultOrder: convstore.OrderDesc,
		})
		checkPaging(t, f.ctx, pageCase[*convstore.Deletion]{
			list: deletionLister(convstore.DeletionFilter{ConversationID: randomID()}), idOf: deletionID,
			want: nil, defaultOrder: convstore.OrderDesc,
		})
	})
	t.Run("audit", func(t *testing.T) {
		entries := mustListAll(t, f.ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.AuditEntry, bool, error) {
			return f.Store.FindAuditEntries(ctx, f.tenant.ID, convstore.AuditFilter{PageFilter: p})
		}, func(a *convstore.AuditEntry) convstore.ID { return a.ID }, convstore.OrderAsc)
		// The tenant's creation wrote the first two entries.
		const created = 2
		if len(entries) != created+len(receipts) {
			t.Fatalf("%d audit entries after the tenant's creation and %d conversation deletes, want 2 + one each", len(entries), len(receipts))
		}
		var auditIDs []convstore.ID
		for _, e := range entries[:created] {
			auditIDs = append(auditIDs, e.ID)
		}
		for i, e := range entries[created:] {
			if e.Action != convstore.AuditConversationDelete || e.TargetID != receipts[i].ID {
				t.Errorf("audit entry %d: action %q target %s, want %q target %s", i, e.Action, e.TargetID.UUID(), convstore.AuditConversationDelete, receipts[i].ID.UUID())
			}
			auditIDs = append(auditIDs, e.ID)
		}
		checkPaging(t, f.ctx, pageCase[*convstore.AuditEntry]{
			list: func(ctx context.Context, p convstore.PageFilter) ([]*convstore.AuditEntry, bool, error) {
				return f.Store.FindAuditEntries(ctx, f.tenant.ID, convstore.AuditFilter{PageFilter: p})
			},
			idOf: func(a *convstore.AuditEntry) convstore.ID { return a.ID },
			want: auditIDs, defaultOrder: convstore.OrderDesc,
		})
	})
}

// testPageDuringInserts pages through conversations in ascending order while
// another goroutine keeps inserting: every conversation that existed before
// paging started must be seen exactly once, and no id twice.
func testPageDuringInserts(t *testing.T, f *fixture) {
	const existing, maxInserts, limit = 60, 100, 7
	before := map[convstore.ID]bool{}
	for range existing {
		c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
		before[c.ID] = true
	}
	for _, order := range []convstore.Order{convstore.OrderAsc, convstore.OrderDesc} {
		ctx, stop := context.WithCancel(f.ctx)
		var wg sync.WaitGroup
		var insertErr error
		var inserted atomic.Int64
		tick := make(chan struct{}, 1) // an insert committed
		done := make(chan struct{})    // the inserter stopped
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			for inserted.Load() < maxInserts && ctx.Err() == nil {
				if _, _, err := f.Store.CreateConversation(ctx, f.tenant.ID, &convstore.ConversationCreate{}); err != nil {
					if ctx.Err() == nil {
						insertErr = err
					}
					return
				}
				inserted.Add(1)
				select {
				case tick <- struct{}{}:
				default:
				}
			}
		}()
		// Before each page, wait for an insert, so that pages and inserts
		// interleave whatever the engine's relative speeds.
		waitInsert := func() {
			select {
			case <-tick:
			case <-done:
			case <-time.After(5 * time.Second):
			}
		}
		waitInsert()
		seen := map[convstore.ID]int{}
		var after convstore.ID
		var pageErr error
		for pages := 0; pages < maxPages; pages++ {
			page, more, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{PageFilter: convstore.PageFilter{After: after, Limit: limit, Order: order}})
			if err != nil {
				pageErr = err
				break
			}
			for _, c := range page {
				seen[c.ID]++
			}
			if !more || len(page) == 0 {
				break
			}
			after = page[len(page)-1].ID
			waitInsert()
		}
		stop()
		wg.Wait()
		if insertErr != nil {
			t.Fatalf("inserting while paging: %v", insertErr)
		}
		if inserted.Load() == 0 {
			t.Fatalf("test setup: no conversation was inserted while paging")
		}
		if pageErr != nil {
			t.Fatalf("paging while inserting: %v", pageErr)
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("order %s: conversation %s seen %d times", order, id.UUID(), n)
			}
		}
		missed := 0
		for id := range before {
			if seen[id] != 1 {
				missed++
			}
		}
		if missed > 0 {
			t.Errorf("order %s: %d of %d pre-existing conversations not seen (inserted %d meanwhile)", order, missed, len(before), inserted.Load())
		}
		t.Logf("order %s: paged over %d pre-existing conversations while %d were inserted", order, len(before), inserted.Load())
		// The next round must also see the conversations inserted in this one.
		for _, c := range mustListAll(t, f.ctx, conversationLister(f, convstore.ConversationFilter{}), convID, convstore.OrderAsc) {
			before[c.ID] = true
		}
	}
}
