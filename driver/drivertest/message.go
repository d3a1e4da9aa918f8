package drivertest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var messageTests = []test{
	{"RoundTrip", testMessageRoundTrip},
	{"ListScopedAndPaged", testMessageList},
	{"CountIn", testMessageCountIn},
	{"Ends", testMessageEnds},
	{"Ranges", testMessageRanges},
	{"Delete", testMessageDelete},
	{"ExternalIndex", testMessageExternalIndex},
}

// testMessageExternalIndex finds messages by external index: the newest
// of the tenant's live conversations, never another tenant's, gone with
// the message, hidden with the conversation, purged with it, and replaced
// by a re-index.
func testMessageExternalIndex(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c1, c2, cb := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, b.ID, nil)
	x, y, z := []byte("index-x-0123456789abcdef"), []byte("index-y-0123456789abcdef"), []byte("index-z-0123456789abcdef")
	insert := func(tenantID, convID convstore.ID, idx ...[]byte) []*driver.MessageRow {
		rows := make([]*driver.MessageRow, len(idx))
		for i := range rows {
			rows[i] = &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: convID, Role: convstore.RoleUser,
				Content: sealed("m"), CreatedAt: now()}, ExternalIndex: idx[i]}
		}
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: tenantID, ConversationID: convID, Messages: rows})
		})
		return rows
	}
	m1 := insert(a.ID, c1.ID, x, nil, y)
	m2 := insert(a.ID, c2.ID, x)
	insert(b.ID, cb.ID, z)
	get := func(tenantID convstore.ID, idx []byte) (*driver.MessageRow, error) {
		return f.drv.Reads().MessageGetByExternalIndex(f.ctx, tenantID, idx)
	}
	if m, err := get(a.ID, x); err != nil || m.ID != m2[0].ID || m.ConversationID != c2.ID || m.ExternalIndex != nil {
		t.Errorf("newest x = %+v, %v", m, err)
	}
	if m, err := get(a.ID, y); err != nil || m.ID != m1[2].ID {
		t.Errorf("y = %+v, %v", m, err)
	}
	_, err := get(a.ID, z)
	wantCode(t, "another tenant's index", err, convstore.ENOTFOUND, "message")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.MessageDelete(ctx, a.ID, c2.ID, m2[0].ID) })
	if m, err := get(a.ID, x); err != nil || m.ID != m1[0].ID {
		t.Errorf("x after its newest message's delete = %+v, %v", m, err)
	}
	// A re-index replaces the conversation's rows.
	w := []byte("index-w-0123456789abcdef")
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.ConversationReindex(ctx, &driver.ConversationReindexParams{TenantID: a.ID, ID: c1.ID, Root: 2,
			Messages: []driver.MessageIndex{{ID: m1[1].ID, ExternalIndex: w}}})
	})
	_, err = get(a.ID, x)
	wantCode(t, "an index the re-index dropped", err, convstore.ENOTFOUND, "message")
	if m, err := get(a.ID, w); err != nil || m.ID != m1[1].ID {
		t.Errorf("re-indexed w = %+v, %v", m, err)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationHide(ctx, a.ID, c1.ID)
		return err
	})
	_, err = get(a.ID, w)
	wantCode(t, "a hidden conversation's message", err, convstore.ENOTFOUND, "message")
	f.purgeAll(t, a.ID, c1.ID)
	if c := f.counts(t); c != nil && c["message_external_ids"] != 1 {
		n := c["message_external_ids"]
		t.Errorf("message_external_ids rows after the purge: %d, want 1 (tenant b's)", n)
	}
}

func testMessageRoundTrip(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	start, end := 2*time.Second, 3500*time.Millisecond
	full := &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: c.ID, Role: convstore.RoleAssistant,
		Content: sealed("line 1\nline 2"), Parts: json.RawMessage(sealed(`[{"type":"text"}]`)), AuthorName: sealed("Ada"),
		StartOffset: &start, EndOffset: &end, CreatedAt: now()}, Meta: sealedMeta(convstore.Metadata{"k": "v"})}
	bare := &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: c.ID, Role: convstore.RoleUser,
		Content: sealed("hi"), CreatedAt: now()}}
	// Written before sealing: plaintext, which reads back as it is.
	legacy := &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: c.ID, Role: convstore.RoleUser,
		Content: "plain", Parts: json.RawMessage(`{"a":1}`), AuthorName: "Bob", CreatedAt: now()}, Meta: []byte(`{"k":"v"}`)}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: a.ID, ConversationID: c.ID,
			Messages: []*driver.MessageRow{full, bare, legacy}})
	})
	got, err := f.drv.Reads().MessageGet(f.ctx, a.ID, c.ID, full.ID)
	must(t, err)
	if got.Role != full.Role || got.Content != full.Content || string(got.Parts) != string(full.Parts) || got.AuthorName != full.AuthorName ||
		got.StartOffset == nil || *got.StartOffset != start || *got.EndOffset != end || string(got.Meta) != string(full.Meta) ||
		!got.CreatedAt.Equal(full.CreatedAt) || got.ConversationID != c.ID {
		t.Errorf("MessageGet = %+v, want %+v", got, full)
	}
	got, err = f.drv.Reads().MessageGet(f.ctx, a.ID, convstore.ID{}, bare.ID)
	must(t, err)
	if got.Parts != nil || got.StartOffset != nil || got.EndOffset != nil || got.Meta != nil || got.AuthorName != "" {
		t.Errorf("empty fields read back as %+v, want nil", got)
	}
	got, err = f.drv.Reads().MessageGet(f.ctx, a.ID, c.ID, legacy.ID)
	must(t, err)
	if got.Content != "plain" || string(got.Parts) != `{"a":1}` || got.AuthorName != "Bob" || string(got.Meta) != `{"k":"v"}` {
		t.Errorf("a plaintext row read back as %+v", got)
	}
}

func testMessageList(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, other := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	msgs := f.messages(t, a.ID, c.ID, 5)
	f.messages(t, a.ID, other.ID, 2)
	list := func(tenantID convstore.ID, p driver.Page) []convstore.ID {
		t.Helper()
		got, err := f.drv.Reads().MessageList(f.ctx, &driver.MessageListParams{TenantID: tenantID, ConversationID: c.ID, Page: p})
		must(t, err)
		if got == nil {
			t.Error("MessageList returned nil, want an empty list")
		}
		return ids(got, func(m *driver.MessageRow) convstore.ID { return m.ID })
	}
	all := ids(msgs, func(m *driver.MessageRow) convstore.ID { return m.ID })
	if got := list(a.ID, page(10, false)); !sameIDs(got, all) {
		t.Errorf("all = %v, want %v", got, all)
	}
	if got := list(a.ID, driver.Page{After: all[1], Limit: 2}); !sameIDs(got, all[2:4]) {
		t.Errorf("after = %v", got)
	}
	if got := list(a.ID, driver.Page{After: all[3], Limit: 10, Desc: true}); !sameIDs(got, []convstore.ID{all[2], all[1], all[0]}) {
		t.Errorf("after descending = %v", got)
	}
	if got := list(b.ID, page(10, false)); len(got) != 0 {
		t.Errorf("another tenant lists %d messages", len(got))
	}
	_, err := f.drv.Reads().MessageGet(f.ctx, b.ID, convstore.ID{}, all[0])
	wantCode(t, "MessageGet from another tenant", err, convstore.ENOTFOUND, "message")
	_, err = f.drv.Reads().MessageGet(f.ctx, a.ID, other.ID, all[0])
	wantCode(t, "MessageGet through another conversation", err, convstore.ENOTFOUND, "message")
}

func testMessageCountIn(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, other := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	msgs, others := f.messages(t, a.ID, c.ID, 3), f.messages(t, a.ID, other.ID, 1)
	count := func(tenantID convstore.ID, ids ...convstore.ID) int {
		t.Helper()
		n, err := f.drv.Reads().MessageCountIn(f.ctx, tenantID, c.ID, ids)
		must(t, err)
		return n
	}
	if n := count(a.ID, msgs[0].ID, msgs[2].ID); n != 2 {
		t.Errorf("two of its messages: %d", n)
	}
	if n := count(a.ID, msgs[0].ID, others[0].ID, convstore.NewID()); n != 1 {
		t.Errorf("one of its messages, one of another conversation, one missing: %d", n)
	}
	if n := count(b.ID, msgs[0].ID); n != 0 {
		t.Errorf("from another tenant: %d", n)
	}
	if n := count(a.ID); n != 0 {
		t.Errorf("no ids: %d", n)
	}
}

func testMessageEnds(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	long, short, empty := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	lm, sm := f.messages(t, a.ID, long.ID, 7), f.messages(t, a.ID, short.ID, 2)
	f.messages(t, b.ID, foreign.ID, 3)
	ends, err := f.drv.Reads().MessageListEnds(f.ctx, &driver.MessageListEndsParams{TenantID: a.ID,
		ConversationIDs: []convstore.ID{long.ID, short.ID, empty.ID, foreign.ID}, First: 2, Last: 3})
	must(t, err)
	msgIDs := func(ms []*driver.MessageRow) []convstore.ID {
		return ids(ms, func(m *driver.MessageRow) convstore.ID { return m.ID })
	}
	if e := ends[long.ID]; e == nil || !sameIDs(msgIDs(e.First), msgIDs(lm[:2])) || !sameIDs(msgIDs(e.Last), msgIDs(lm[4:])) {
		t.Errorf("long conversation's ends: %+v", e)
	}
	if e := ends[short.ID]; e == nil || !sameIDs(msgIDs(e.First), msgIDs(sm)) || !sameIDs(msgIDs(e.Last), msgIDs(sm)) {
		t.Errorf("short conversation's ends: %+v", e)
	}
	if _, ok := ends[empty.ID]; ok {
		t.Error("a conversation without messages has ends")
	}
	if _, ok := ends[foreign.ID]; ok {
		t.Error("another tenant's conversation has ends")
	}
	if e := ends[long.ID]; e != nil && e.First[0].Content != lm[0].Content {
		t.Errorf("ends carry %q, want the message's content", e.First[0].Content)
	}
	ends, err = f.drv.Reads().MessageListEnds(f.ctx, &driver.MessageListEndsParams{TenantID: a.ID, ConversationIDs: []convstore.ID{long.ID}, Last: 1})
	must(t, err)
	if e := ends[long.ID]; e == nil || len(e.First) != 0 || len(e.Last) != 1 || e.Last[0].ID != lm[6].ID {
		t.Errorf("last only: %+v", e)
	}
}

func testMessageDelete(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	msgs := f.messages(t, a.ID, c.ID, 2)
	err := f.try(func(ctx context.Context, tx driver.Tx) error { return tx.MessageDelete(ctx, b.ID, c.ID, msgs[0].ID) })
	wantCode(t, "deleting another tenant's message", err, convstore.ENOTFOUND, "message")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.MessageDelete(ctx, a.ID, c.ID, msgs[0].ID) })
	_, err = f.drv.Reads().MessageGet(f.ctx, a.ID, c.ID, msgs[0].ID)
	wantCode(t, "a deleted message", err, convstore.ENOTFOUND, "message")
	if _, err := f.drv.Reads().MessageGet(f.ctx, a.ID, c.ID, msgs[1].ID); err != nil {
		t.Errorf("the other message: %v", err)
	}
}
