package servicetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// KeptHooks reach into an engine's tables for RunKeptValues: Clear
// empties what every conversation's row keeps of its children (as a
// database stored before migration 0021 has it), Backfill runs the
// migration's backfill statements.
type KeptHooks struct {
	Clear, Backfill func(ctx context.Context) error
}

// RunKeptValues checks that a digest of the newest message's offsets and
// the newest summary and analysis (what the ElevenLabs list asks, read
// from each conversation's row) answers what the conversation's children
// read one by one answer, sealed, after every write path of the service:
// appends, message deletes (the newest, another, the only one), artifacts
// added and deleted; mixed with a type read as children; and after migration 0021's backfill of a database stored
// before it.
func RunKeptValues(t *testing.T, db *Database, h KeptHooks) {
	if db.Keyring == nil {
		db.Keyring = NewKeyring(t)
	}
	ctx := testCtx(t)
	svc := service.New(db.Open(t), db.Blobs, service.Options{Keyring: db.Keyring, Logger: Logger(t)})
	t.Cleanup(func() { svc.Close() })
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("kept"))
	other, _ := MustCreateTenant(t, ctx, svc, uniqueName("kept-other"))
	ms := func(n int64) *time.Duration { d := time.Duration(n) * time.Millisecond; return &d }
	c, msgs := MustCreateConversation(t, ctx, svc, tenant.ID, &convstore.ConversationCreate{Title: "call", Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleAssistant, Content: "hello", StartOffset: ms(0), EndOffset: ms(1200)},
		{Role: convstore.RoleUser, Content: "hi", StartOffset: ms(1500), EndOffset: ms(4200)},
	}})
	MustCreateConversation(t, ctx, svc, tenant.ID, nil) // no children
	plain, _ := MustCreateConversation(t, ctx, svc, tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "no offsets"}}})
	foreign, _ := MustCreateConversation(t, ctx, svc, other.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "elsewhere", StartOffset: ms(99000)}}})
	if _, err := svc.CreateArtifact(ctx, other.ID, foreign.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "foreign"}); err != nil {
		t.Fatal(err)
	}
	kept := []convstore.ArtifactType{convstore.ArtifactSummary, convstore.ArtifactAnalysis}
	mixed := []convstore.ArtifactType{convstore.ArtifactTopic, convstore.ArtifactSummary} // a type read as children first

	// check compares the digests with the children read one by one; it
	// reports whether they agree (fatal unless expectDiff).
	check := func(step string, expectDiff bool) {
		t.Helper()
		diffs := 0
		for _, types := range [][]convstore.ArtifactType{kept, mixed} {
			digests, _, err := svc.FindConversationDigests(ctx, tenant.ID, convstore.ConversationFilter{}, convstore.DigestOptions{Offsets: true, Newest: types})
			if err != nil {
				t.Fatal(err)
			}
			if len(digests) != 3 {
				t.Fatalf("%s: %d conversations listed, want 3", step, len(digests))
			}
			for _, d := range digests {
				id := d.Conversation.ID
				newest, _, err := svc.FindMessages(ctx, tenant.ID, id, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc}})
				if err != nil {
					t.Fatal(err)
				}
				var start, end *time.Duration
				if len(newest) > 0 {
					start, end = newest[0].StartOffset, newest[0].EndOffset
				}
				if !reflect.DeepEqual(d.LastStartOffset, start) || !reflect.DeepEqual(d.LastEndOffset, end) {
					diffs++
					if !expectDiff {
						t.Errorf("%s: %v's newest message's offsets %v, %v; its newest message has %v, %v", step, id, d.LastStartOffset, d.LastEndOffset, start, end)
					}
				}
				for k, typ := range types {
					arts, _, err := svc.FindArtifacts(ctx, tenant.ID, id, convstore.ArtifactFilter{Type: typ, PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc}})
					if err != nil {
						t.Fatal(err)
					}
					var want *convstore.Artifact
					if len(arts) > 0 {
						want = arts[0]
					}
					if !reflect.DeepEqual(d.Newest[k], want) {
						diffs++
						if !expectDiff {
							t.Errorf("%s: %v's newest %s %+v; FindArtifacts reads %+v", step, id, typ, d.Newest[k], want)
						}
					}
				}
			}
		}
		if expectDiff && diffs == 0 {
			t.Fatalf("%s: the digests agree with the children, want a difference", step)
		}
	}
	create := func(typ convstore.ArtifactType, text string, data string) *convstore.Artifact {
		t.Helper()
		a, err := svc.CreateArtifact(ctx, tenant.ID, c.ID, &convstore.ArtifactCreate{Type: typ, Text: text, Data: json.RawMessage(data)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	del := func(a *convstore.Artifact) {
		t.Helper()
		if err := svc.DeleteArtifact(ctx, tenant.ID, c.ID, a.ID, convstore.DeleteParams{RequestID: "req_kept"}); err != nil {
			t.Fatal(err)
		}
	}
	delMsg := func(convID convstore.ID, m *convstore.Message) {
		t.Helper()
		if err := svc.DeleteMessage(ctx, tenant.ID, convID, m.ID, convstore.DeleteParams{RequestID: "req_kept"}); err != nil {
			t.Fatal(err)
		}
	}

	check("created", false)
	s1 := create(convstore.ArtifactSummary, "the first summary", "")
	an := create(convstore.ArtifactAnalysis, "", `{"call_successful":"success","call_summary_title":"Refund"}`)
	create(convstore.ArtifactTopic, "refunds", "")
	check("artifacts added", false)
	s2 := create(convstore.ArtifactSummary, "the second summary", `{"k":1}`)
	check("a newer summary", false)
	del(s2)
	check("the newest summary deleted", false)
	added := MustCreateMessages(t, ctx, svc, tenant.ID, c.ID, []*convstore.MessageCreate{
		{Role: convstore.RoleAssistant, Content: "bye", StartOffset: ms(5000)}})
	check("an append with a start offset only", false)
	delMsg(c.ID, added[0])
	check("the newest message deleted", false)
	delMsg(c.ID, msgs[0])
	check("an older message deleted", false)
	delMsg(plain.ID, mustFirst(t, ctx, svc, tenant.ID, plain.ID))
	check("a conversation's only message deleted", false)
	del(an)
	check("the analysis deleted", false)
	create(convstore.ArtifactAnalysis, "the analysis", `{"call_successful":"failure"}`)
	del(s1)
	create(convstore.ArtifactSummary, "the third summary", "")

	// Stored before migration 0021: its backfill fills every row.
	if err := h.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	check("cleared as before migration 0021", true)
	if err := h.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	check("backfilled", false)
	MustCreateMessages(t, ctx, svc, tenant.ID, c.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "later", EndOffset: ms(8000)}})
	create(convstore.ArtifactSummary, "after the backfill", "")
	check("written after the backfill", false)
}

// mustFirst returns a conversation's first message.
func mustFirst(tb testing.TB, ctx context.Context, s convstore.Store, tenantID, convID convstore.ID) *convstore.Message {
	tb.Helper()
	msgs, _, err := s.FindMessages(ctx, tenantID, convID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 1}})
	if err != nil || len(msgs) == 0 {
		tb.Fatalf("the first message of %v: %v, %v", convID, msgs, err)
	}
	return msgs[0]
}
