package servicetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

var artifactTests = []subtest{
	{"CreateAndFind", testCreateArtifact},
	{"FilterByType", testArtifactFilter},
	{"Delete", testDeleteArtifact},
	{"Validation", testArtifactValidation},
	{"ForeignMessageIDs", testArtifactForeignMessageIDs},
	{"MissingConversation", testArtifactsMissingConversation},
	{"TenantWide", testArtifactsTenantWide},
}

// testArtifactsTenantWide lists artifacts with a zero conversation id:
// every live conversation of the tenant, opened, and nothing of another
// tenant or of a deleted conversation.
func testArtifactsTenantWide(t *testing.T, f *fixture) {
	other, _, err := f.Store.CreateTenant(f.ctx, uniqueName("other"), f.params)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	c2, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	gone, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	foreign, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{})
	in := &convstore.ArtifactCreate{Type: convstore.ArtifactOther, Text: "feedback", Data: json.RawMessage(`{"k":"v"}`)}
	a1 := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, c1.ID, in)
	MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, c1.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "t"})
	a2 := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, c2.ID, in)
	MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, gone.ID, in)
	MustCreateArtifact(t, f.ctx, f.Store, other.ID, foreign.ID, in)
	if _, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, gone.ID, f.params); err != nil {
		t.Fatal(err)
	}
	list, more, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, convstore.ID{}, convstore.ArtifactFilter{Type: convstore.ArtifactOther,
		PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc}})
	if err != nil || len(list) != 1 || !more || list[0].ID != a2.ID {
		t.Fatalf("first page %+v, more %v, %v", list, more, err)
	}
	checkArtifact(t, "tenant-wide", list[0], c2.ID, in)
	list, more, err = f.Store.FindArtifacts(f.ctx, f.tenant.ID, convstore.ID{}, convstore.ArtifactFilter{Type: convstore.ArtifactOther,
		PageFilter: convstore.PageFilter{Limit: 10, Order: convstore.OrderDesc, After: a2.ID}})
	if err != nil || len(list) != 1 || more || list[0].ID != a1.ID {
		t.Fatalf("second page %+v, more %v, %v", list, more, err)
	}
	list, _, err = f.Store.FindArtifacts(f.ctx, other.ID, convstore.ID{}, convstore.ArtifactFilter{})
	if err != nil || len(list) != 1 || list[0].ConversationID != foreign.ID {
		t.Fatalf("other tenant %+v %v", list, err)
	}
}

// checkArtifact reports unless a matches the input c.
func checkArtifact(t testing.TB, what string, a *convstore.Artifact, convID convstore.ID, c *convstore.ArtifactCreate) {
	t.Helper()
	scoreOK := (a.Score == nil) == (c.Score == nil) && (a.Score == nil || *a.Score == *c.Score)
	if a.ID.IsZero() || a.ConversationID != convID || a.Type != c.Type || a.Text != c.Text ||
		!jsonEqual(a.Data, c.Data) || !idsEqual(a.MessageIDs, c.MessageIDs) || !scoreOK {
		t.Errorf("%s:\n got  %+v\n want %+v in conversation %s", what, a, c, convID.UUID())
	}
	checkRecent(t, what+" CreatedAt", a.CreatedAt)
}

func testCreateArtifact(t *testing.T, f *fixture) {
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("m", 3)})
	score := 0.75
	zero := 0.0
	inputs := []*convstore.ArtifactCreate{
		{Type: convstore.ArtifactSummary, Text: "They talked about billing."},
		{Type: convstore.ArtifactInsight, Data: json.RawMessage(`{"sentiment":"positive","n":[1,2,3]}`), Score: &score,
			MessageIDs: []convstore.ID{msgs[0].ID, msgs[2].ID}},
		{Type: convstore.ArtifactActionItem, Text: "Call back", Data: json.RawMessage(`"tomorrow"`), Score: &zero,
			MessageIDs: []convstore.ID{msgs[1].ID, msgs[1].ID}}, // a repeated id is kept as given
	}
	for i, c := range inputs {
		a := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, c)
		checkArtifact(t, "CreateArtifact", a, conv.ID, c)
		got, err := f.Store.FindArtifactByID(f.ctx, f.tenant.ID, conv.ID, a.ID)
		if err != nil {
			t.Fatalf("FindArtifactByID %d: %v", i, err)
		}
		checkArtifact(t, "FindArtifactByID", got, conv.ID, c)
		if got.ID != a.ID || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("FindArtifactByID = %s at %v, CreateArtifact returned %s at %v", got.ID.UUID(), got.CreatedAt, a.ID.UUID(), a.CreatedAt)
		}
	}
	list, more, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, conv.ID, convstore.ArtifactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if more || len(list) != len(inputs) {
		t.Fatalf("FindArtifacts: %d, has_more %v; want %d, false", len(list), more, len(inputs))
	}
	for i, a := range list {
		checkArtifact(t, "FindArtifacts", a, conv.ID, inputs[i])
	}
	// Artifacts do not count as messages.
	if got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); got.MessageCount != 3 {
		t.Errorf("MessageCount = %d after adding artifacts, want 3", got.MessageCount)
	}
}

func testArtifactFilter(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	want := map[convstore.ArtifactType][]convstore.ID{}
	for i, typ := range convstore.ArtifactTypes {
		for j := 0; j <= i%3; j++ {
			a := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: typ, Text: string(typ)})
			want[typ] = append(want[typ], a.ID)
		}
	}
	for _, typ := range convstore.ArtifactTypes {
		list, more, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, conv.ID, convstore.ArtifactFilter{Type: typ})
		if err != nil {
			t.Fatalf("FindArtifacts type %q: %v", typ, err)
		}
		if got := idsOf(list, artID); more || !slices.Equal(got, want[typ]) {
			t.Errorf("FindArtifacts type %q: %s (has_more %v), want %s", typ, fmtIDs(got), more, fmtIDs(want[typ]))
		}
		for _, a := range list {
			if a.Type != typ {
				t.Errorf("FindArtifacts type %q returned type %q", typ, a.Type)
			}
		}
	}
	// An unknown type matches nothing: either EINVALID naming the field or
	// an empty page, never other types' artifacts.
	list, _, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, conv.ID, convstore.ArtifactFilter{Type: "gossip"})
	if err != nil {
		wantInvalid(t, err, "type", `FindArtifacts with type "gossip"`)
	} else if len(list) != 0 {
		t.Errorf(`FindArtifacts with type "gossip" returned %d artifacts`, len(list))
	}
}

func artID(a *convstore.Artifact) convstore.ID { return a.ID }

func testDeleteArtifact(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	keep := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "keep"})
	gone := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "confidential topic"})
	if err := f.Store.DeleteArtifact(f.ctx, f.tenant.ID, conv.ID, gone.ID, f.params); err != nil {
		t.Fatalf("DeleteArtifact: %v", err)
	}
	_, err := f.Store.FindArtifactByID(f.ctx, f.tenant.ID, conv.ID, gone.ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindArtifactByID of a deleted artifact")
	list, _, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, conv.ID, convstore.ArtifactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(list, artID); !slices.Equal(got, []convstore.ID{keep.ID}) {
		t.Errorf("FindArtifacts after delete: %s, want %s", fmtIDs(got), fmtIDs([]convstore.ID{keep.ID}))
	}
	e := checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditArtifactDelete, conv.ID, gone.ID, f.params)
	checkNoContent(t, "artifact.delete audit entry", e, gone.Text)
	err = f.Store.DeleteArtifact(f.ctx, f.tenant.ID, conv.ID, gone.ID, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteArtifact twice")

	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	_, err = f.Store.FindArtifactByID(f.ctx, f.tenant.ID, other.ID, keep.ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindArtifactByID with the wrong conversation")
	err = f.Store.DeleteArtifact(f.ctx, f.tenant.ID, other.ID, keep.ID, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteArtifact with the wrong conversation")
	if _, err := f.Store.FindArtifactByID(f.ctx, f.tenant.ID, conv.ID, keep.ID); err != nil {
		t.Errorf("artifact gone after DeleteArtifact with the wrong conversation: %v", err)
	}
	if n := len(findAudit(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID), convstore.AuditArtifactDelete, keep.ID)); n != 0 {
		t.Errorf("a refused DeleteArtifact wrote %d audit entries", n)
	}
}

func testArtifactValidation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	cases := []struct {
		what  string
		c     convstore.ArtifactCreate
		field string
	}{
		{"an unknown type", convstore.ArtifactCreate{Type: "gossip", Text: "x"}, "type"},
		{"no type", convstore.ArtifactCreate{Text: "x"}, "type"},
		{"neither text nor data", convstore.ArtifactCreate{Type: convstore.ArtifactSummary}, "text"},
		{"text too long", convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: strings.Repeat("t", convstore.MaxArtifactTextLen+1)}, "text"},
		{"invalid data JSON", convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Data: json.RawMessage(`{"a":1`)}, "data"},
		{"too many message ids", convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "x", MessageIDs: make([]convstore.ID, convstore.MaxArtifactRefs+1)}, "message_ids"},
	}
	for _, tc := range cases {
		a, err := f.Store.CreateArtifact(f.ctx, f.tenant.ID, conv.ID, &tc.c)
		wantInvalid(t, err, tc.field, "CreateArtifact with "+tc.what)
		if a != nil {
			t.Errorf("CreateArtifact with %s returned an artifact with its error", tc.what)
		}
	}
	list, _, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, conv.ID, convstore.ArtifactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("rejected creates left %d artifacts", len(list))
	}
}

// testArtifactForeignMessageIDs: an artifact may refer only to messages of
// its own conversation. Any other id, of another conversation, another
// tenant, a deleted message or none at all, is EINVALID on message_ids,
// the same for each, and creates nothing.
func testArtifactForeignMessageIDs(t *testing.T, f *fixture) {
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("m", 2)})
	_, otherMsgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("o", 1)})
	stranger, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("stranger"))
	_, strangerMsgs := MustCreateConversation(t, f.ctx, f.Store, stranger.ID, &convstore.ConversationCreate{Messages: textMessages("s", 1)})
	if err := f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, f.params); err != nil {
		t.Fatal(err)
	}
	cases := map[string]convstore.ID{
		"another conversation's message": otherMsgs[0].ID,
		"another tenant's message":       strangerMsgs[0].ID,
		"a deleted message":              msgs[1].ID,
		"an id that never existed":       randomID(),
	}
	var first error
	for what, id := range cases {
		a, err := f.Store.CreateArtifact(f.ctx, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{
			Type: convstore.ArtifactSummary, Text: "x", MessageIDs: []convstore.ID{msgs[0].ID, id}})
		wantInvalid(t, err, "message_ids", "CreateArtifact referring to "+what)
		if a != nil {
			t.Errorf("CreateArtifact referring to %s returned an artifact with its error", what)
		}
		if first == nil {
			first = err
		} else if err != nil && err.Error() != first.Error() {
			t.Errorf("CreateArtifact referring to %s: %q; another foreign id gave %q (they must not differ)", what, err, first)
		}
	}
	list, _, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, conv.ID, convstore.ArtifactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("rejected creates left %d artifacts", len(list))
	}
	MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{
		Type: convstore.ArtifactSummary, Text: "x", MessageIDs: []convstore.ID{msgs[0].ID}})
}

func testArtifactsMissingConversation(t *testing.T, f *fixture) {
	missing := randomID()
	_, err := f.Store.CreateArtifact(f.ctx, f.tenant.ID, missing, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "x"})
	wantCode(t, err, convstore.ENOTFOUND, "CreateArtifact on a missing conversation")
	_, _, err = f.Store.FindArtifacts(f.ctx, f.tenant.ID, missing, convstore.ArtifactFilter{})
	wantCode(t, err, convstore.ENOTFOUND, "FindArtifacts of a missing conversation")
	_, err = f.Store.FindArtifactByID(f.ctx, f.tenant.ID, missing, randomID())
	wantCode(t, err, convstore.ENOTFOUND, "FindArtifactByID in a missing conversation")
	err = f.Store.DeleteArtifact(f.ctx, f.tenant.ID, missing, randomID(), f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteArtifact in a missing conversation")
	if n := sumCounts(MustConversationRows(t, f.ctx, f.Harness, missing)); n != 0 {
		t.Errorf("%d rows refer to a never-created conversation", n)
	}
}
