package drivertest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var digestTests = []test{
	{"ArtifactNewest", testArtifactNewest},
	{"List", testDigestList},
	{"Kept", testKept},
}

// artifact stores an artifact of typ in the conversation.
func (f *fixture) artifact(tb testing.TB, tenantID, convID convstore.ID, typ convstore.ArtifactType, text string) *convstore.Artifact {
	tb.Helper()
	x := &convstore.Artifact{ID: convstore.NewID(), ConversationID: convID, Type: typ, Text: sealed(text),
		Data: json.RawMessage(sealed(`{"d":1}`)), MessageIDs: []convstore.ID{convstore.NewID()}, CreatedAt: now()}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactInsert(ctx, tenantID, x) })
	return x
}

// ArtifactNewest returns the newest artifact of each type asked, also
// when newer ones of other types outnumber them, and none of a missing,
// deleted or another tenant's conversation, in or out of a transaction.
func testArtifactNewest(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, d, empty, gone := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	f.artifact(t, a.ID, c.ID, convstore.ArtifactSummary, "s1")
	an := f.artifact(t, a.ID, c.ID, convstore.ArtifactAnalysis, "an")
	s2 := f.artifact(t, a.ID, c.ID, convstore.ArtifactSummary, "s2")
	for range 5 { // newer, of another type: more than a few ranges' worth
		f.artifact(t, a.ID, c.ID, convstore.ArtifactTopic, "t")
	}
	sd := f.artifact(t, a.ID, d.ID, convstore.ArtifactSummary, "sd")
	f.artifact(t, a.ID, gone.ID, convstore.ArtifactSummary, "sg")
	f.artifact(t, b.ID, foreign.ID, convstore.ArtifactSummary, "sf")
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationDelete(ctx, a.ID, gone.ID)
		return err
	})
	p := &driver.ArtifactNewestParams{TenantID: a.ID, Types: []convstore.ArtifactType{convstore.ArtifactAnalysis, convstore.ArtifactSummary},
		ConversationIDs: []convstore.ID{c.ID, d.ID, empty.ID, gone.ID, foreign.ID, convstore.NewID()}}
	want := [][]*convstore.Artifact{{an, s2}, {nil, sd}, {nil, nil}, {nil, nil}, {nil, nil}, {nil, nil}}
	check := func(how string, got [][]*convstore.Artifact) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d conversations for %d", how, len(got), len(want))
		}
		for i := range want {
			if len(got[i]) != len(want[i]) {
				t.Fatalf("%s: conversation %d has %d types, want %d", how, i, len(got[i]), len(want[i]))
			}
			for k, w := range want[i] {
				if !reflect.DeepEqual(got[i][k], w) {
					t.Errorf("%s: conversation %d, %s: %+v, want %+v", how, i, p.Types[k], got[i][k], w)
				}
			}
		}
	}
	got, err := f.drv.Reads().ArtifactNewest(f.ctx, p)
	must(t, err)
	check("outside a transaction", got)
	must(t, f.drv.Read(f.ctx, func(ctx context.Context, r driver.Reader) error {
		got, err := r.ArtifactNewest(ctx, p)
		check("in a transaction", got)
		return err
	}))
	got, err = f.drv.Reads().ArtifactNewest(f.ctx, &driver.ArtifactNewestParams{TenantID: a.ID, ConversationIDs: p.ConversationIDs})
	must(t, err)
	if len(got) != len(p.ConversationIDs) || len(got[0]) != 0 {
		t.Errorf("no types: %v", got)
	}
}

// ConversationDigestList answers as ConversationList, MessageListEnds,
// ArtifactNewest and (asked) AuthorList and AuthorPendingIn of the
// conversations listed, in or out of a transaction, with a filter and a
// cursor; a deleted conversation is not listed, nor its authors.
func testDigestList(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	var convs []*driver.ConversationRow
	for i := range 5 {
		c := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.AgentID = []string{"x", "y"}[i%2] })
		convs = append(convs, c)
		if i != 2 {
			f.messages(t, a.ID, c.ID, i+1)
		}
		if i%2 == 0 {
			f.artifact(t, a.ID, c.ID, convstore.ArtifactSummary, "s")
		}
		f.artifact(t, a.ID, c.ID, convstore.ArtifactAnalysis, "an")
		switch i {
		case 0: // newer artifacts of a type not asked for
			for range 3 {
				f.artifact(t, a.ID, c.ID, convstore.ArtifactOther, "o")
			}
		case 1: // a newer one of a type asked for
			f.artifact(t, a.ID, c.ID, convstore.ArtifactAnalysis, "an2")
		}
	}
	gone := f.conversation(t, a.ID, nil)
	f.messages(t, a.ID, gone.ID, 2)
	other := f.conversation(t, b.ID, nil)
	f.messages(t, b.ID, other.ID, 2)
	author := func(tenantID, convID convstore.ID, names ...string) {
		rows := make([]*driver.AuthorRow, len(names))
		for i, n := range names {
			rows[i] = &driver.AuthorRow{MessageID: convstore.NewID(), Name: n, UserID: "\xf6\x01" + n}
		}
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.AuthorInsert(ctx, tenantID, convID, rows) })
	}
	author(a.ID, convs[0].ID, "ann", "bob")
	author(a.ID, convs[3].ID, "cy")
	author(a.ID, convs[4].ID, "dee", "eve", "fay")
	author(a.ID, gone.ID, "gus")
	author(b.ID, other.ID, "hal")
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationDelete(ctx, a.ID, gone.ID)
		return err
	})
	types := []convstore.ArtifactType{convstore.ArtifactSummary, convstore.ArtifactAnalysis}
	for _, tc := range []struct {
		name        string
		list        driver.ConversationListParams
		first, last int
		types       []convstore.ArtifactType
		authors     bool
		n           int // conversations listed
	}{
		{"all", driver.ConversationListParams{TenantID: a.ID, Page: page(10, true)}, 1, 2, types, true, 5},
		{"filter and cursor", driver.ConversationListParams{TenantID: a.ID, Filter: &convstore.ConversationFilter{AgentID: "x"},
			Page: driver.Page{After: convs[4].ID, Limit: 10, Desc: true}}, 0, 1, types[1:], true, 2},
		{"a page", driver.ConversationListParams{TenantID: a.ID, Page: page(2, false)}, 2, 0, nil, false, 2},
		{"no ends", driver.ConversationListParams{TenantID: a.ID, Page: page(10, false)}, 0, 0, types, false, 5},
		{"authors only", driver.ConversationListParams{TenantID: a.ID, Page: page(4, false)}, 0, 0, nil, true, 4},
		{"another tenant", driver.ConversationListParams{TenantID: b.ID, Page: page(10, false)}, 1, 1, types, true, 1},
		// At most a message from each end and no authors: a row per
		// conversation, as list views ask.
		{"one row: all", driver.ConversationListParams{TenantID: a.ID, Page: page(10, true)}, 1, 1, types, false, 5},
		{"one row: filter and cursor", driver.ConversationListParams{TenantID: a.ID, Filter: &convstore.ConversationFilter{AgentID: "x"},
			Page: driver.Page{After: convs[4].ID, Limit: 10, Desc: true}}, 0, 1, types[1:], false, 2},
		{"one row: a page", driver.ConversationListParams{TenantID: a.ID, Page: page(2, false)}, 1, 0, types[:1], false, 2},
		{"one row: last only", driver.ConversationListParams{TenantID: a.ID, Page: page(10, false)}, 0, 1, nil, false, 5},
		{"one row: another tenant", driver.ConversationListParams{TenantID: b.ID, Page: page(10, false)}, 1, 1, types, false, 1},
	} {
		p := &driver.ConversationDigestListParams{List: tc.list, First: tc.first, Last: tc.last, Types: tc.types, Authors: tc.authors}
		list, err := f.drv.Reads().ConversationList(f.ctx, &tc.list)
		must(t, err)
		if len(list) != tc.n {
			t.Fatalf("%s: ConversationList lists %d, want %d", tc.name, len(list), tc.n)
		}
		listed := ids(list, func(c *driver.ConversationRow) convstore.ID { return c.ID })
		ends, err := f.drv.Reads().MessageListEnds(f.ctx, &driver.MessageListEndsParams{TenantID: tc.list.TenantID, ConversationIDs: listed, First: tc.first, Last: tc.last})
		must(t, err)
		var newest [][]*convstore.Artifact
		if len(tc.types) > 0 {
			newest, err = f.drv.Reads().ArtifactNewest(f.ctx, &driver.ArtifactNewestParams{TenantID: tc.list.TenantID, ConversationIDs: listed, Types: tc.types})
			must(t, err)
		}
		var authors map[convstore.ID][]*driver.AuthorRow
		var pending []convstore.ID
		if tc.authors {
			authors, err = f.drv.Reads().AuthorList(f.ctx, tc.list.TenantID, listed)
			must(t, err)
			pending, err = f.drv.Reads().AuthorPendingIn(f.ctx, tc.list.TenantID, listed)
			must(t, err)
			if len(authors) == 0 {
				t.Fatalf("%s: the page has no authors to compare", tc.name)
			}
		}
		check := func(how string, got *driver.ConversationDigestRows) {
			t.Helper()
			if !tc.authors && (got.Authors != nil || got.Pending != nil) {
				t.Errorf("%s, %s: authors %v, pending %v not asked", tc.name, how, got.Authors, got.Pending)
			}
			if tc.authors && (len(got.Authors) != len(authors) || len(got.Pending) != len(pending)) {
				t.Errorf("%s, %s: authors of %d, %d pending; want %d, %d", tc.name, how, len(got.Authors), len(got.Pending), len(authors), len(pending))
			}
			for id, as := range authors {
				if !reflect.DeepEqual(got.Authors[id], as) {
					t.Errorf("%s, %s: authors of %v: %+v, want %+v", tc.name, how, id, got.Authors[id], as)
				}
			}
			if !reflect.DeepEqual(got.Conversations, list) {
				t.Errorf("%s, %s: conversations %v, want %v", tc.name, how, ids(got.Conversations, func(c *driver.ConversationRow) convstore.ID { return c.ID }), listed)
			}
			if len(got.Ends) != len(ends) || len(ends) == 0 && (tc.first > 0 || tc.last > 0) {
				t.Errorf("%s, %s: ends of %d conversations, want %d", tc.name, how, len(got.Ends), len(ends))
			}
			for id, e := range ends {
				if !reflect.DeepEqual(got.Ends[id], e) {
					t.Errorf("%s, %s: ends of %v: %+v, want %+v", tc.name, how, id, got.Ends[id], e)
				}
			}
			if !reflect.DeepEqual(got.Newest, newest) {
				t.Errorf("%s, %s: newest %v, want %v", tc.name, how, got.Newest, newest)
			}
		}
		// A read that fails leaves nothing behind: the next one answers.
		canceled, cancel := context.WithCancel(f.ctx)
		cancel()
		if _, err := f.drv.Reads().ConversationDigestList(canceled, p); err == nil {
			t.Errorf("%s: a canceled read answered", tc.name)
		}
		got, err := f.drv.Reads().ConversationDigestList(f.ctx, p)
		must(t, err)
		check("outside a transaction", got)
		must(t, f.drv.Read(f.ctx, func(ctx context.Context, r driver.Reader) error {
			got, err := r.ConversationDigestList(ctx, p)
			if err == nil {
				check("in a transaction", got)
			}
			return err
		}))
	}
}
