package servicetest

import (
	"sync"
	"testing"

	"github.com/convstore/convstore"
)

// lookupTests cover the lookups the vendor doors rely on: external ids,
// counts, offsets, metadata filters and finds without a conversation id.
var lookupTests = []subtest{
	{"ExternalID", testExternalID},
	{"ExternalIDRace", testExternalIDRace},
	{"ExternalIDValidation", testExternalIDValidation},
	{"CountConversations", testCountConversations},
	{"Offset", testConversationOffset},
	{"MetadataFilter", testMetadataFilter},
	{"FindWithoutConversation", testFindWithoutConversation},
}

func testExternalID(t *testing.T, f *fixture) {
	const ext = "vendor:bot-1:user \"quoted\" ü"
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{ExternalID: ext})
	if conv.ExternalID != ext {
		t.Fatalf("CreateConversation: ExternalID %q, want %q", conv.ExternalID, ext)
	}
	got, err := f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, ext)
	if err != nil || got.ID != conv.ID || got.ExternalID != ext {
		t.Fatalf("FindConversationByExternalID = %+v, %v; want %s", got, err, conv.ID.UUID())
	}
	if byID := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); byID.ExternalID != ext {
		t.Errorf("FindConversationByID: ExternalID %q, want %q", byID.ExternalID, ext)
	}
	// Unique per tenant: a second create conflicts and leaves nothing.
	before := MustRowCounts(t, f.ctx, f.Harness)
	_, _, err = f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: ext, Messages: textMessages("m", 2)})
	wantCode(t, err, convstore.ECONFLICT, "CreateConversation with a taken external id")
	if after := MustRowCounts(t, f.ctx, f.Harness); snapshotAny(after) != snapshotAny(before) {
		t.Errorf("rows after a conflicting create: %v, before %v", after, before)
	}
	// Conversations without one never collide.
	for range 2 {
		if c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil); c.ExternalID != "" {
			t.Errorf("ExternalID = %q, want empty", c.ExternalID)
		}
	}
	// Another tenant may use the same key and cannot see this one's.
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	_, err = f.Store.FindConversationByExternalID(f.ctx, other.ID, ext)
	wantCode(t, err, convstore.ENOTFOUND, "FindConversationByExternalID of another tenant's key")
	theirs, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{ExternalID: ext})
	if theirs.ID == conv.ID {
		t.Fatal("two tenants got the same conversation")
	}
	for _, missing := range []string{"", "vendor:nobody"} {
		_, err = f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, missing)
		wantCode(t, err, convstore.ENOTFOUND, "FindConversationByExternalID("+missing+")")
	}
	// Deleting does not free the key: its tombstone holds it (see
	// testTombstoneExpires for when it is freed).
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID, f.params)
	_, err = f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, ext)
	wantCode(t, err, convstore.ENOTFOUND, "FindConversationByExternalID after delete")
	_, _, err = f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: ext})
	wantCode(t, err, convstore.ECONFLICT, "a create with the deleted conversation's external id")
}

// testExternalIDRace creates the same external id from many goroutines:
// exactly one wins, the rest get ECONFLICT.
func testExternalIDRace(t *testing.T, f *fixture) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "race"})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case convstore.ErrorCode(err) != convstore.ECONFLICT:
			t.Errorf("racing create: %v, want nil or ECONFLICT", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racing creates succeeded, want 1", won)
	}
	if n, err := f.Store.CountConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{}); err != nil || n != 1 {
		t.Errorf("CountConversations = %d, %v; want 1", n, err)
	}
}

func testExternalIDValidation(t *testing.T, f *fixture) {
	long := make([]byte, convstore.MaxExternalLen+1)
	for i := range long {
		long[i] = 'x'
	}
	for _, bad := range []string{string(long), "a\x00b", "\xff"} {
		_, _, err := f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: bad})
		wantInvalid(t, err, "external_id", "CreateConversation with a bad external id")
	}
}

func testCountConversations(t *testing.T, f *fixture) {
	for i := range 5 {
		agent := "a1"
		if i%2 == 1 {
			agent = "a2"
		}
		MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{
			AgentID: agent, Metadata: convstore.Metadata{"n": string(rune('0' + i))}})
	}
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{AgentID: "a1"})
	for _, c := range []struct {
		f    convstore.ConversationFilter
		want int
	}{
		{convstore.ConversationFilter{}, 5},
		{convstore.ConversationFilter{AgentID: "a1"}, 3},
		{convstore.ConversationFilter{AgentID: "a2", Metadata: convstore.Metadata{"n": "1"}}, 1},
		{convstore.ConversationFilter{AgentID: "a2", Metadata: convstore.Metadata{"n": "2"}}, 0},
		// Page fields do not change a count.
		{convstore.ConversationFilter{Offset: 3, PageFilter: convstore.PageFilter{Limit: 1}}, 5},
	} {
		n, err := f.Store.CountConversations(f.ctx, f.tenant.ID, c.f)
		if err != nil || n != c.want {
			t.Errorf("CountConversations(%+v) = %d, %v; want %d", c.f, n, err, c.want)
		}
	}
	_, err := f.Store.CountConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{Metadata: convstore.Metadata{"": "x"}})
	wantInvalid(t, err, "metadata", "CountConversations with a bad metadata filter")
}

func testConversationOffset(t *testing.T, f *fixture) {
	var ids []convstore.ID
	for range 7 {
		c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
		ids = append(ids, c.ID)
	}
	for _, c := range []struct {
		offset, limit int
		order         convstore.Order
		want          []convstore.ID
		more          bool
	}{
		{0, 3, convstore.OrderAsc, ids[0:3], true},
		{3, 3, convstore.OrderAsc, ids[3:6], true},
		{6, 3, convstore.OrderAsc, ids[6:7], false},
		{7, 3, convstore.OrderAsc, nil, false},
		{100, 3, convstore.OrderAsc, nil, false},
		{2, 2, convstore.OrderDesc, []convstore.ID{ids[4], ids[3]}, true},
	} {
		list, more, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{
			Offset: c.offset, PageFilter: convstore.PageFilter{Limit: c.limit, Order: c.order}})
		if err != nil {
			t.Fatalf("offset %d: %v", c.offset, err)
		}
		got := make([]convstore.ID, len(list))
		for i, cv := range list {
			got[i] = cv.ID
		}
		if !idsEqual(got, c.want) || more != c.more {
			t.Errorf("offset %d limit %d %s: %d items, more %v; want %d, %v", c.offset, c.limit, c.order, len(got), more, len(c.want), c.more)
		}
	}
	for _, bad := range []convstore.ConversationFilter{
		{Offset: -1},
		{Offset: convstore.MaxConversationOffset + 1},
		{Offset: 1, PageFilter: convstore.PageFilter{After: ids[0]}},
	} {
		_, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, bad)
		wantInvalid(t, err, "offset", "FindConversations with a bad offset")
	}
}

func testMetadataFilter(t *testing.T, f *fixture) {
	a, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{
		Metadata: convstore.Metadata{"tag.color": "red", "tag.size": "L", `odd"key`: "v"}})
	b, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{
		Metadata: convstore.Metadata{"tag.color": "red"}})
	MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	for _, c := range []struct {
		m    convstore.Metadata
		want []convstore.ID
	}{
		{convstore.Metadata{"tag.color": "red"}, []convstore.ID{a.ID, b.ID}},
		{convstore.Metadata{"tag.color": "red", "tag.size": "L"}, []convstore.ID{a.ID}},
		{convstore.Metadata{`odd"key`: "v"}, []convstore.ID{a.ID}},
		{convstore.Metadata{"tag.color": "blue"}, nil},
		{convstore.Metadata{"tag.size": ""}, nil}, // a missing key is not an empty value
	} {
		list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{
			Metadata: c.m, PageFilter: convstore.PageFilter{Order: convstore.OrderAsc}})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]convstore.ID, len(list))
		for i, cv := range list {
			got[i] = cv.ID
		}
		if !idsEqual(got, c.want) {
			t.Errorf("metadata filter %v: %d conversations, want %d", c.m, len(got), len(c.want))
		}
	}
}

func testFindWithoutConversation(t *testing.T, f *fixture) {
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("m", 2)})
	art := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactOther, Text: "x"})
	m, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, convstore.ID{}, msgs[1].ID)
	if err != nil || m.ID != msgs[1].ID || m.ConversationID != conv.ID {
		t.Fatalf("FindMessageByID without conversation = %+v, %v", m, err)
	}
	a, err := f.Store.FindArtifactByID(f.ctx, f.tenant.ID, convstore.ID{}, art.ID)
	if err != nil || a.ID != art.ID || a.ConversationID != conv.ID {
		t.Fatalf("FindArtifactByID without conversation = %+v, %v", a, err)
	}
	// Another tenant, a wrong conversation and an unknown id are all ENOTFOUND.
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	wrong, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	for _, c := range []struct {
		tenant, conv, id convstore.ID
		what             string
	}{
		{other.ID, convstore.ID{}, msgs[1].ID, "another tenant"},
		{f.tenant.ID, wrong.ID, msgs[1].ID, "another conversation"},
		{f.tenant.ID, convstore.ID{}, randomID(), "an unknown id"},
	} {
		_, err := f.Store.FindMessageByID(f.ctx, c.tenant, c.conv, c.id)
		wantCode(t, err, convstore.ENOTFOUND, "FindMessageByID from "+c.what)
		id := c.id
		if id == msgs[1].ID {
			id = art.ID
		}
		_, err = f.Store.FindArtifactByID(f.ctx, c.tenant, c.conv, id)
		wantCode(t, err, convstore.ENOTFOUND, "FindArtifactByID from "+c.what)
	}
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID, f.params)
	_, err = f.Store.FindMessageByID(f.ctx, f.tenant.ID, convstore.ID{}, msgs[0].ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindMessageByID after delete")
	_, err = f.Store.FindArtifactByID(f.ctx, f.tenant.ID, convstore.ID{}, art.ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindArtifactByID after delete")
}
