package drivertest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var conversationTests = []test{
	{"RoundTrip", testConversationRoundTrip},
	{"InsertConflicts", testConversationConflicts},
	{"GetScoped", testConversationGetScoped},
	{"ListFilterAndPage", testConversationList},
	{"Update", testConversationUpdate},
	{"BumpAndLock", testConversationBump},
}

func testConversationRoundTrip(t *testing.T, f *fixture) {
	a := f.tenant(t)
	full := f.conversation(t, a.ID, func(c *convstore.Conversation) {
		c.AgentID, c.UserID, c.ExternalID, c.Title, c.Door = "agent", "user", "ext-1", "A title", "stammer"
		c.Metadata = convstore.Metadata{"k": "v", "x": "y"}
		c.MessageCount = 3
		c.UpdatedAt = c.CreatedAt.Add(time.Second)
	})
	bare := f.conversation(t, a.ID, nil)
	for _, want := range []*driver.ConversationRow{full, bare} {
		got, err := f.drv.Reads().ConversationGetByID(f.ctx, a.ID, want.ID)
		must(t, err)
		if got.ID != want.ID || got.Seq != want.Seq || got.TenantID != a.ID || got.AgentID != want.AgentID ||
			got.UserID != want.UserID || got.ExternalID != want.ExternalID || got.Title != want.Title || got.Door != want.Door ||
			!bytes.Equal(got.Meta, want.Meta) || !bytes.Equal(got.UserIndex, want.UserIndex) ||
			!bytes.Equal(got.ExternalIndex, want.ExternalIndex) ||
			got.MessageCount != want.MessageCount || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("ConversationGetByID = %+v, want %+v", got, want)
		}
	}
	if got, _ := f.drv.Reads().ConversationGetByID(f.ctx, a.ID, bare.ID); got.Meta != nil || got.UserIndex != nil ||
		got.ExternalIndex != nil || got.UserID != "" || got.ExternalID != "" {
		t.Errorf("empty fields read back as %+v, want empty", got)
	}
	if got, err := f.drv.Reads().ConversationGetBySeq(f.ctx, a.ID, full.Seq); err != nil || got.ID != full.ID {
		t.Errorf("ConversationGetBySeq = %v, %v", got, err)
	}
	if got, err := f.drv.Reads().ConversationGetByExternalID(f.ctx, a.ID, blind("external_id", "ext-1"), "ext-1"); err != nil || got.ID != full.ID {
		t.Errorf("ConversationGetByExternalID = %v, %v", got, err)
	}
	// The sealed value is not looked up as if it were plaintext.
	if _, err := f.drv.Reads().ConversationGetByExternalID(f.ctx, a.ID, blind("external_id", "other"), "ext-1"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("by another index: %v, want ENOTFOUND", err)
	}
	// A row written before sealing (plaintext, no index) is found by its
	// plaintext, and filtered by its plaintext user id.
	legacy := &driver.ConversationRow{Conversation: convstore.Conversation{ID: convstore.NewID(), TenantID: a.ID,
		UserID: "old-user", ExternalID: "old-ext", Title: "old", CreatedAt: now(), UpdatedAt: now()}}
	legacy.Seq = convstore.NewSeq(legacy.ID)
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ConversationInsert(ctx, legacy) })
	if got, err := f.drv.Reads().ConversationGetByExternalID(f.ctx, a.ID, blind("external_id", "old-ext"), "old-ext"); err != nil ||
		got.ID != legacy.ID || got.ExternalID != "old-ext" || got.UserID != "old-user" {
		t.Errorf("a row without indexes by its plaintext external id: %+v, %v", got, err)
	}
	uf := &convstore.ConversationFilter{UserID: "old-user"}
	if got, err := f.drv.Reads().ConversationList(f.ctx, listParams(a.ID, uf, page(10, false))); err != nil || len(got) != 1 || got[0].ID != legacy.ID {
		t.Errorf("a row without indexes by its plaintext user id: %v, %v", got, err)
	}
}

func testConversationConflicts(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	first := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.ExternalID = "ext" })
	// The same external id in another tenant is fine; a second in one is not.
	f.conversation(t, b.ID, func(c *convstore.Conversation) { c.ExternalID = "ext" })
	insert := func(mod func(c *convstore.Conversation)) error {
		id := convstore.NewID()
		c := &convstore.Conversation{ID: id, Seq: convstore.NewSeq(id), TenantID: a.ID, CreatedAt: now(), UpdatedAt: now()}
		mod(c)
		return f.try(func(ctx context.Context, tx driver.Tx) error { return tx.ConversationInsert(ctx, row(c)) })
	}
	wantErr(t, "a taken external id", insert(func(c *convstore.Conversation) { c.ExternalID = "ext" }), driver.ErrExternalIDTaken())
	wantErr(t, "a taken sequence number", insert(func(c *convstore.Conversation) { c.Seq = first.Seq }), driver.ErrSeqTaken)
	wantErr(t, "a taken sequence number with a free external id", insert(func(c *convstore.Conversation) { c.Seq, c.ExternalID = first.Seq, "free" }), driver.ErrSeqTaken)
	wantCode(t, "a conversation of a missing tenant", insert(func(c *convstore.Conversation) { c.TenantID = convstore.NewID() }), convstore.ENOTFOUND, "tenant")
	// After ErrSeqTaken the transaction goes on: a fresh id and sequence
	// number succeed in it.
	var fresh *driver.ConversationRow
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		c := row(&convstore.Conversation{ID: convstore.NewID(), Seq: first.Seq, TenantID: a.ID, CreatedAt: now(), UpdatedAt: now()})
		if err := tx.ConversationInsert(ctx, c); err != driver.ErrSeqTaken {
			t.Errorf("colliding insert: %v", err)
		}
		c.ID = convstore.NewID()
		c.Seq = convstore.NewSeq(c.ID)
		fresh = c
		return tx.ConversationInsert(ctx, c)
	})
	if _, err := f.drv.Reads().ConversationGetByID(f.ctx, a.ID, fresh.ID); err != nil {
		t.Errorf("the retried insert: %v", err)
	}
}

// Every lookup carries the tenant: another tenant's conversation answers
// like a missing one.
func testConversationGetScoped(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.ExternalID = "mine" })
	r := f.drv.Reads()
	_, err := r.ConversationGetByID(f.ctx, b.ID, c.ID)
	wantCode(t, "by id from another tenant", err, convstore.ENOTFOUND, "conversation")
	_, err = r.ConversationGetBySeq(f.ctx, b.ID, c.Seq)
	wantCode(t, "by seq from another tenant", err, convstore.ENOTFOUND, "conversation")
	_, err = r.ConversationGetByExternalID(f.ctx, b.ID, blind("external_id", "mine"), "mine")
	wantCode(t, "by external id from another tenant", err, convstore.ENOTFOUND, "conversation")
	n, err := r.ConversationCount(f.ctx, listParams(b.ID, &convstore.ConversationFilter{}, driver.Page{}))
	if err != nil || n != 0 {
		t.Errorf("ConversationCount(b) = %d, %v; want 0", n, err)
	}
	list, err := r.ConversationList(f.ctx, &driver.ConversationListParams{TenantID: b.ID, Filter: &convstore.ConversationFilter{}, Page: page(10, false)})
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("ConversationList(b) = %v, %v; want an empty list", list, err)
	}
}

func testConversationList(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	base := now()
	var all []*driver.ConversationRow
	// Updated in another order than created, 3 and 4 at one time.
	updated := []int{0, 5, 4, 2, 2, 1}
	for i := range 6 {
		all = append(all, f.conversation(t, a.ID, func(c *convstore.Conversation) {
			c.CreatedAt = base.Add(time.Duration(i) * time.Second)
			c.UpdatedAt = base.Add(time.Duration(updated[i]) * time.Second)
			c.MessageCount = i
			c.AgentID = []string{"x", "y"}[i%2]
			c.UserID = []string{"u", "v", "w"}[i%3]
			if i%2 == 0 {
				c.Metadata = convstore.Metadata{"team": "red", "n": itoa(i)}
			}
		}))
	}
	f.conversation(t, b.ID, func(c *convstore.Conversation) { c.AgentID = "x" })
	list := func(filter convstore.ConversationFilter, p driver.Page) []convstore.ID {
		t.Helper()
		got, err := f.drv.Reads().ConversationList(f.ctx, listParams(a.ID, &filter, p))
		must(t, err)
		n, err := f.drv.Reads().ConversationCount(f.ctx, listParams(a.ID, &filter, p))
		must(t, err)
		if p.Limit >= 6 && p.After.IsZero() && p.Offset == 0 && n != len(got) {
			t.Errorf("ConversationCount(%+v) = %d, list has %d", filter, n, len(got))
		}
		return ids(got, func(c *driver.ConversationRow) convstore.ID { return c.ID })
	}
	id := func(is ...int) []convstore.ID {
		out := make([]convstore.ID, len(is))
		for j, i := range is {
			out[j] = all[i].ID
		}
		return out
	}
	after1, before4 := base.Add(time.Second), base.Add(4*time.Second)
	zero, two, four := 0, 2, 4
	minSeq, maxSeq := all[0].Seq, all[0].Seq
	for _, c := range all {
		minSeq, maxSeq = min(minSeq, c.Seq), max(maxSeq, c.Seq)
	}
	cases := []struct {
		name   string
		filter convstore.ConversationFilter
		page   driver.Page
		want   []convstore.ID
	}{
		{"all ascending", convstore.ConversationFilter{}, page(10, false), id(0, 1, 2, 3, 4, 5)},
		{"all descending", convstore.ConversationFilter{}, page(10, true), id(5, 4, 3, 2, 1, 0)},
		{"limit", convstore.ConversationFilter{}, page(2, false), id(0, 1)},
		{"after ascending", convstore.ConversationFilter{}, driver.Page{After: all[1].ID, Limit: 2}, id(2, 3)},
		{"after descending", convstore.ConversationFilter{}, driver.Page{After: all[4].ID, Limit: 10, Desc: true}, id(3, 2, 1, 0)},
		{"offset", convstore.ConversationFilter{}, driver.Page{Offset: 4, Limit: 10, Desc: true}, id(1, 0)},
		{"agent", convstore.ConversationFilter{AgentID: "x"}, page(10, false), id(0, 2, 4)},
		{"user", convstore.ConversationFilter{UserID: "v"}, page(10, false), id(1, 4)},
		{"seq", convstore.ConversationFilter{Seq: all[3].Seq}, page(10, false), id(3)},
		{"seq of another tenant", convstore.ConversationFilter{Seq: 1}, page(10, false), id()},
		{"seq range of one", convstore.ConversationFilter{Seq: all[3].Seq, SeqMax: all[3].Seq}, page(10, false), id(3)},
		{"seq range of all", convstore.ConversationFilter{Seq: minSeq, SeqMax: maxSeq}, page(10, false), id(0, 1, 2, 3, 4, 5)},
		{"seq range below all", convstore.ConversationFilter{Seq: 1, SeqMax: minSeq - 1}, page(10, false), id()},
		{"created range (exclusive)", convstore.ConversationFilter{CreatedAfter: &after1, CreatedBefore: &before4}, page(10, false), id(2, 3)},
		{"metadata", convstore.ConversationFilter{Metadata: convstore.Metadata{"team": "red"}}, page(10, false), id(0, 2, 4)},
		{"metadata pairs", convstore.ConversationFilter{Metadata: convstore.Metadata{"team": "red", "n": "2"}}, page(10, false), id(2)},
		{"combined", convstore.ConversationFilter{AgentID: "x", UserID: "u"}, page(10, false), id(0)},
		{"message count range", convstore.ConversationFilter{MinMessages: &two, MaxMessages: &four}, page(10, false), id(2, 3, 4)},
		{"no messages", convstore.ConversationFilter{MaxMessages: &zero}, page(10, false), id(0)},
		{"by update ascending", convstore.ConversationFilter{ByUpdated: true}, page(10, false), id(0, 5, 3, 4, 2, 1)},
		{"by update descending", convstore.ConversationFilter{ByUpdated: true}, page(10, true), id(1, 2, 4, 3, 5, 0)},
		{"by update after, ascending", convstore.ConversationFilter{ByUpdated: true, AfterUpdated: all[3].UpdatedAt},
			driver.Page{After: all[3].ID, Limit: 2}, id(4, 2)},
		{"by update after, descending", convstore.ConversationFilter{ByUpdated: true, AfterUpdated: all[4].UpdatedAt},
			driver.Page{After: all[4].ID, Limit: 10, Desc: true}, id(3, 5, 0)},
		{"by update, filtered", convstore.ConversationFilter{ByUpdated: true, AgentID: "y", MinMessages: &two}, page(10, true), id(3, 5)},
	}
	for _, c := range cases {
		if got := list(c.filter, c.page); !sameIDs(got, c.want) {
			t.Errorf("%s: %d conversations %v, want %v", c.name, len(got), got, c.want)
		}
	}
}

func testConversationUpdate(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.Title, c.AgentID = "old", "agent" })
	title, meta := sealed("new"), sealedMeta(convstore.Metadata{"k": "v"})
	later := c.UpdatedAt.Add(time.Minute)
	var got *driver.ConversationRow
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: a.ID, ID: c.ID, Title: &title, Meta: &meta,
			MetaIndex: metaIndex(convstore.Metadata{"k": "v"}), UpdatedAt: later})
		return err
	})
	if got.Title != title || got.AgentID != "agent" || !bytes.Equal(got.Meta, meta) || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("ConversationUpdate = %+v", got)
	}
	// The metadata's pair index was replaced: the old pairs no longer
	// match, the new one does.
	for pair, want := range map[string]int{"k": 1, "team": 0} {
		m := convstore.Metadata{pair: map[string]string{"k": "v", "team": "red"}[pair]}
		n, err := f.drv.Reads().ConversationCount(f.ctx, listParams(a.ID, &convstore.ConversationFilter{Metadata: m}, driver.Page{}))
		if err != nil || n != want {
			t.Errorf("after the update, metadata %v matches %d, %v; want %d", m, n, err, want)
		}
	}
	// The user id and its index change together, and clear together.
	user, none := sealed("u2"), ""
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: a.ID, ID: c.ID, UserID: &user,
			UserIndex: blind("user_id", "u2"), UpdatedAt: later})
		return err
	})
	if got.UserID != user || !bytes.Equal(got.UserIndex, blind("user_id", "u2")) || !bytes.Equal(got.Meta, meta) || got.Title != title {
		t.Errorf("ConversationUpdate of the user id = %+v", got)
	}
	var empty []byte
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: a.ID, ID: c.ID, UserID: &none, Meta: &empty, UpdatedAt: later})
		return err
	})
	if got.UserID != "" || got.UserIndex != nil || got.Meta != nil {
		t.Errorf("ConversationUpdate clearing the user id and metadata = %+v", got)
	}
	// A clock that lags never moves updated_at back.
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: a.ID, ID: c.ID, UpdatedAt: c.UpdatedAt})
		return err
	})
	if !got.UpdatedAt.Equal(later) {
		t.Errorf("updated_at moved back to %v", got.UpdatedAt)
	}
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: b.ID, ID: c.ID, Title: &title, UpdatedAt: now()})
		return err
	})
	wantCode(t, "updating another tenant's conversation", err, convstore.ENOTFOUND, "conversation")
}

func testConversationBump(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.MessageCount = 2 })
	var n int
	later := c.UpdatedAt.Add(time.Second)
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, err = tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: a.ID, ID: c.ID, Delta: 3, UpdatedAt: later})
		return err
	})
	got, _ := f.drv.Reads().ConversationGetByID(f.ctx, a.ID, c.ID)
	if n != 5 || got.MessageCount != 5 || !got.UpdatedAt.Equal(later) {
		t.Errorf("bump: returned %d, stored %d at %v; want 5 at %v", n, got.MessageCount, got.UpdatedAt, later)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, err = tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: a.ID, ID: c.ID, Delta: -1, UpdatedAt: c.UpdatedAt})
		return err
	})
	got, _ = f.drv.Reads().ConversationGetByID(f.ctx, a.ID, c.ID)
	if n != 4 || !got.UpdatedAt.Equal(later) {
		t.Errorf("bump down: %d at %v; want 4, updated_at kept", n, got.UpdatedAt)
	}
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: b.ID, ID: c.ID, Delta: 1, UpdatedAt: now()})
		return err
	})
	wantCode(t, "bumping another tenant's conversation", err, convstore.ENOTFOUND, "conversation")
	for _, mode := range []driver.LockMode{driver.LockShare, driver.LockUpdate} {
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			return tx.ConversationLock(ctx, a.ID, c.ID, mode, "conversation")
		})
		err := f.try(func(ctx context.Context, tx driver.Tx) error {
			return tx.ConversationLock(ctx, b.ID, c.ID, mode, "artifact")
		})
		wantCode(t, "locking another tenant's conversation", err, convstore.ENOTFOUND, "artifact")
	}
}
