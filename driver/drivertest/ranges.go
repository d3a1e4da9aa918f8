package drivertest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// MessageListRanges answers each range as MessageList would, in the
// ranges' order, in one call; another tenant's conversation is empty.
func testMessageRanges(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, d, empty := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	cm, dm := f.messages(t, a.ID, c.ID, 5), f.messages(t, a.ID, d.ID, 3)
	f.messages(t, b.ID, foreign.ID, 2)
	ranges := []driver.MessageRange{
		{ConversationID: d.ID, Page: page(2, false)},
		{ConversationID: c.ID, Page: driver.Page{After: cm[1].ID, Limit: 10}},
		{ConversationID: c.ID, Page: page(2, true)},
		{ConversationID: c.ID, Page: driver.Page{After: cm[3].ID, Limit: 10, Desc: true}},
		{ConversationID: empty.ID, Page: page(10, false)},
		{ConversationID: foreign.ID, Page: page(10, false)},
		{ConversationID: convstore.NewID(), Page: page(10, true)},
	}
	got, err := f.drv.Reads().MessageListRanges(f.ctx, &driver.MessageListRangesParams{TenantID: a.ID, Ranges: ranges})
	must(t, err)
	msgIDs := func(ms []*driver.MessageRow) []convstore.ID {
		return ids(ms, func(m *driver.MessageRow) convstore.ID { return m.ID })
	}
	want := [][]*driver.MessageRow{dm[:2], cm[2:], {cm[4], cm[3]}, {cm[2], cm[1], cm[0]}, nil, nil, nil}
	if len(got) != len(want) {
		t.Fatalf("%d pages for %d ranges", len(got), len(ranges))
	}
	for i, w := range want {
		if got[i] == nil || !sameIDs(msgIDs(got[i]), msgIDs(w)) {
			t.Errorf("range %d: %v, want %v", i, msgIDs(got[i]), msgIDs(w))
		}
	}
	if m := got[1][0]; m.Content != cm[2].Content || m.ConversationID != c.ID || m.Role != cm[2].Role {
		t.Errorf("a ranged message: %+v, want %+v", m, cm[2])
	}
	// Each range matches MessageList, row for row.
	for i, r := range ranges[:4] {
		list, err := f.drv.Reads().MessageList(f.ctx, &driver.MessageListParams{TenantID: a.ID, ConversationID: r.ConversationID, Page: r.Page})
		must(t, err)
		if !reflect.DeepEqual(list, got[i]) {
			t.Errorf("range %d: %v, MessageList %v", i, msgIDs(got[i]), msgIDs(list))
		}
	}
	// Every sealed column reads back as stored (bytes with a NUL and
	// invalid UTF-8), as MessageGet reads it.
	e := f.conversation(t, a.ID, nil)
	start := time.Second
	full := &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: e.ID, Role: convstore.RoleAssistant,
		Content: sealed("content"), Parts: json.RawMessage(sealed(`[{"type":"text"}]`)), AuthorName: sealed("Ada"),
		StartOffset: &start, CreatedAt: now()}, Meta: sealedMeta(convstore.Metadata{"k": "v"})}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: a.ID, ConversationID: e.ID, Messages: []*driver.MessageRow{full}})
	})
	one, err := f.drv.Reads().MessageGet(f.ctx, a.ID, e.ID, full.ID)
	must(t, err)
	got, err = f.drv.Reads().MessageListRanges(f.ctx, &driver.MessageListRangesParams{TenantID: a.ID,
		Ranges: []driver.MessageRange{{ConversationID: e.ID, Page: page(1, true)}}})
	must(t, err)
	if len(got) != 1 || len(got[0]) != 1 || !reflect.DeepEqual(got[0][0], one) || string(got[0][0].Meta) != string(full.Meta) ||
		got[0][0].AuthorName != full.AuthorName || string(got[0][0].Parts) != string(full.Parts) {
		t.Errorf("a sealed ranged message: %+v, want %+v", got, one)
	}
	got, err = f.drv.Reads().MessageListRanges(f.ctx, &driver.MessageListRangesParams{TenantID: b.ID, Ranges: ranges[:2]})
	must(t, err)
	if len(got) != 2 || len(got[0]) != 0 || len(got[1]) != 0 {
		t.Errorf("another tenant reads %v", got)
	}
	got, err = f.drv.Reads().MessageListRanges(f.ctx, &driver.MessageListRangesParams{TenantID: a.ID})
	must(t, err)
	if len(got) != 0 {
		t.Errorf("no ranges: %v", got)
	}
	// Inside a write transaction too.
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		got, err := tx.MessageListRanges(ctx, &driver.MessageListRangesParams{TenantID: a.ID, Ranges: ranges[:1]})
		if err == nil && !sameIDs(msgIDs(got[0]), msgIDs(dm[:2])) {
			t.Errorf("in a transaction: %v", msgIDs(got[0]))
		}
		return err
	})
}

// ArtifactListRanges answers each range as ArtifactList would, its type
// included; another tenant's conversation is empty.
func testArtifactRanges(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, d := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	art := func(tenantID, convID convstore.ID, typ convstore.ArtifactType, text string) *convstore.Artifact {
		x := &convstore.Artifact{ID: convstore.NewID(), ConversationID: convID, Type: typ, Text: sealed(text),
			Data: json.RawMessage(sealed(`{"d":1}`)), CreatedAt: now()}
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactInsert(ctx, tenantID, x) })
		return x
	}
	s1, top, s2 := art(a.ID, c.ID, convstore.ArtifactSummary, "s1"), art(a.ID, c.ID, convstore.ArtifactTopic, "t"), art(a.ID, c.ID, convstore.ArtifactSummary, "s2")
	other := art(a.ID, d.ID, convstore.ArtifactOther, "o")
	art(b.ID, foreign.ID, convstore.ArtifactSummary, "x")
	ranges := []driver.ArtifactRange{
		{ConversationID: c.ID, Page: page(10, false)},
		{ConversationID: c.ID, Type: convstore.ArtifactSummary, Page: page(1, true)},
		{ConversationID: c.ID, Type: convstore.ArtifactSummary, Page: driver.Page{After: s1.ID, Limit: 10}},
		{ConversationID: d.ID, Type: convstore.ArtifactOther, Page: page(10, false)},
		{ConversationID: d.ID, Type: convstore.ArtifactSummary, Page: page(10, false)},
		{ConversationID: foreign.ID, Page: page(10, false)},
	}
	got, err := f.drv.Reads().ArtifactListRanges(f.ctx, &driver.ArtifactListRangesParams{TenantID: a.ID, Ranges: ranges})
	must(t, err)
	artIDs := func(xs []*convstore.Artifact) []convstore.ID {
		return ids(xs, func(x *convstore.Artifact) convstore.ID { return x.ID })
	}
	want := [][]*convstore.Artifact{{s1, top, s2}, {s2}, {s2}, {other}, nil, nil}
	if len(got) != len(want) {
		t.Fatalf("%d pages for %d ranges", len(got), len(ranges))
	}
	for i, w := range want {
		if got[i] == nil || !sameIDs(artIDs(got[i]), artIDs(w)) {
			t.Errorf("range %d: %v, want %v", i, artIDs(got[i]), artIDs(w))
		}
	}
	// Ranges that all name a type (a driver may read them by another
	// statement) read the same pages.
	typed, err := f.drv.Reads().ArtifactListRanges(f.ctx, &driver.ArtifactListRangesParams{TenantID: a.ID, Ranges: ranges[1:5]})
	must(t, err)
	for i, w := range want[1:5] {
		if typed[i] == nil || !sameIDs(artIDs(typed[i]), artIDs(w)) {
			t.Errorf("typed range %d: %v, want %v", i+1, artIDs(typed[i]), artIDs(w))
		}
	}
	if x := got[1][0]; x.Text != sealed("s2") || string(x.Data) != sealed(`{"d":1}`) || x.Type != convstore.ArtifactSummary || x.ConversationID != c.ID {
		t.Errorf("a ranged artifact: %+v", x)
	}
	// Each range matches ArtifactList, row for row (sealed text and data).
	for i, r := range ranges[:4] {
		list, err := f.drv.Reads().ArtifactList(f.ctx, &driver.ArtifactListParams{TenantID: a.ID, ConversationID: r.ConversationID, Type: r.Type, Page: r.Page})
		must(t, err)
		if !reflect.DeepEqual(list, got[i]) {
			t.Errorf("range %d: %v, ArtifactList %v", i, artIDs(got[i]), artIDs(list))
		}
	}
	got, err = f.drv.Reads().ArtifactListRanges(f.ctx, &driver.ArtifactListRangesParams{TenantID: b.ID, Ranges: ranges[:1]})
	must(t, err)
	if len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("another tenant reads %v", got)
	}
}
