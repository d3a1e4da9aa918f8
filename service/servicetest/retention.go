package servicetest

import (
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var retentionTests = []subtest{
	{"Policies", testRetentionPolicies},
	{"Invalid", testRetentionInvalid},
	{"Applied", testRetentionApplied},
	{"PreviewDraft", testRetentionDraft},
}

// testRetentionDraft: a draft's preview counts what saving it would
// erase at the next run, differs from the saved policies' preview, saves
// and erases nothing, and counts only the tenant's own data; a draft
// ReplaceRetention would refuse is EINVALID.
func testRetentionDraft(t *testing.T, f *fixture) {
	s, ctx, tid := f.Store, f.ctx, f.tenant.ID
	_, err := s.PreviewRetentionDraft(ctx, tid, []*convstore.RetentionPolicy{{Conversations: &convstore.RetentionRule{Days: 0}}})
	wantCode(t, err, convstore.EINVALID, "a draft with a zero-day rule")
	_, err = s.PreviewRetentionDraft(ctx, tid, []*convstore.RetentionPolicy{{}, {}})
	wantCode(t, err, convstore.EINVALID, "a draft with two defaults")
	if f.Clock == nil || f.ApplyRetention == nil {
		t.Skip("this store has no clock to move (nothing is ever due) or no retention run to call")
	}
	saved := []*convstore.RetentionPolicy{{Conversations: &convstore.RetentionRule{Days: 30}}}
	if _, err := s.ReplaceRetention(ctx, tid, saved, f.params); err != nil {
		t.Fatal(err)
	}
	var mine []*convstore.Conversation
	for _, agent := range []string{"", "bot", "bot"} {
		c, _ := MustCreateConversation(t, ctx, s, tid, &convstore.ConversationCreate{AgentID: agent, Messages: textMessages("m", 2)})
		MustPutAttachment(t, ctx, s, tid, c.ID, "a.wav", []byte("RIFF"))
		mine = append(mine, c)
	}
	other, _ := MustCreateTenant(t, ctx, s, uniqueName("other"))
	MustCreateConversation(t, ctx, s, other.ID, &convstore.ConversationCreate{Messages: textMessages("m", 2)})
	f.Clock.Advance(6 * day)
	pv, err := s.PreviewRetention(ctx, tid)
	if err != nil || pv.RetentionCounts != (convstore.RetentionCounts{}) {
		t.Fatalf("the saved policies' preview: %+v, %v; want nothing due", pv, err)
	}
	for _, c := range []struct {
		name  string
		draft []*convstore.RetentionPolicy
		want  convstore.RetentionCounts
	}{
		{"every conversation after 5 days", []*convstore.RetentionPolicy{{Conversations: &convstore.RetentionRule{Days: 5}}},
			convstore.RetentionCounts{Conversations: 3, Messages: 6}},
		{"bot's after 5 days", []*convstore.RetentionPolicy{saved[0], {AgentID: "bot", Conversations: &convstore.RetentionRule{Days: 5}}},
			convstore.RetentionCounts{Conversations: 2, Messages: 4}},
		{"attachments after 5 days", []*convstore.RetentionPolicy{{Attachments: &convstore.RetentionRule{Days: 5}}},
			convstore.RetentionCounts{Attachments: 3, AttachmentBytes: 3 * int64(len("RIFF"))}},
		{"none", nil, convstore.RetentionCounts{}},
	} {
		got, err := s.PreviewRetentionDraft(ctx, tid, c.draft)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.RetentionCounts != c.want {
			t.Errorf("%s: draft preview %+v, want %+v", c.name, got.RetentionCounts, c.want)
		}
	}
	// Nothing was saved or erased.
	if got, err := s.FindRetention(ctx, tid); err != nil || len(got) != 1 || got[0].Conversations.Days != 30 {
		t.Errorf("the saved policies after previews: %+v, %v", got, err)
	}
	for _, c := range mine {
		MustFindConversation(t, ctx, s, tid, c.ID)
	}
	if n, err := f.ApplyRetention(ctx, tid); err != nil || n != (convstore.RetentionCounts{}) {
		t.Errorf("a run after the previews erased %+v (%v), want nothing: the drafts were not saved", n, err)
	}
}

// day is a retention rule's unit.
const day = 24 * time.Hour

// testRetentionPolicies checks that policies replace each other whole,
// read back as set (the default first), are audited, and are the
// tenant's own.
func testRetentionPolicies(t *testing.T, f *fixture) {
	s := f.Store
	if got, err := s.FindRetention(f.ctx, f.tenant.ID); err != nil || len(got) != 0 {
		t.Fatalf("a new tenant's policies: %v, %v; want none", got, err)
	}
	set := []*convstore.RetentionPolicy{
		{AgentID: "bot", Conversations: &convstore.RetentionRule{Days: 10, Since: convstore.SinceLastActivity}},
		{Conversations: &convstore.RetentionRule{Days: 30}, Attachments: &convstore.RetentionRule{Days: 5}},
	}
	got, err := s.ReplaceRetention(f.ctx, f.tenant.ID, set, f.params)
	if err != nil {
		t.Fatalf("ReplaceRetention: %v", err)
	}
	if len(got) != 2 || got[0].AgentID != "" || got[1].AgentID != "bot" {
		t.Fatalf("policies %+v, want the default then bot", got)
	}
	if d := got[0]; d.Conversations == nil || d.Conversations.Days != 30 || d.Conversations.Since != convstore.SinceCreated ||
		d.Attachments == nil || d.Attachments.Days != 5 || d.Artifacts != nil {
		t.Errorf("default stored as %+v %+v %+v (want conversations 30 days since created, attachments 5)", d.Conversations, d.Attachments, d.Artifacts)
	}
	checkRecent(t, "policy UpdatedAt", got[0].UpdatedAt)
	read, err := s.FindRetention(f.ctx, f.tenant.ID)
	if err != nil || len(read) != 2 || read[1].Conversations.Since != convstore.SinceLastActivity {
		t.Fatalf("FindRetention after replace: %+v, %v", read, err)
	}
	checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditRetentionUpdate, convstore.ID{}, f.tenant.ID, f.params)

	other, _ := MustCreateTenant(t, f.ctx, s, uniqueName("other"))
	if got, err := s.FindRetention(f.ctx, other.ID); err != nil || len(got) != 0 {
		t.Errorf("another tenant sees policies: %v, %v", got, err)
	}
	if _, err := s.ReplaceRetention(f.ctx, f.tenant.ID, nil, f.params); err != nil {
		t.Fatalf("ReplaceRetention(none): %v", err)
	}
	if got, _ := s.FindRetention(f.ctx, f.tenant.ID); len(got) != 0 {
		t.Errorf("after replacing with none: %+v", got)
	}
}

// testRetentionInvalid checks that a bad set of policies is EINVALID
// naming the field, and changes nothing.
func testRetentionInvalid(t *testing.T, f *fixture) {
	s := f.Store
	keep := []*convstore.RetentionPolicy{{Artifacts: &convstore.RetentionRule{Days: 90}}}
	if _, err := s.ReplaceRetention(f.ctx, f.tenant.ID, keep, f.params); err != nil {
		t.Fatal(err)
	}
	rule := func(days int) *convstore.RetentionRule { return &convstore.RetentionRule{Days: days} }
	cases := []struct {
		name, field string
		policies    []*convstore.RetentionPolicy
	}{
		{"zero days", "policies[0].conversations.after_days", []*convstore.RetentionPolicy{{Conversations: rule(0)}}},
		{"too many days", "policies[0].artifacts.after_days", []*convstore.RetentionPolicy{{Artifacts: rule(convstore.MaxRetentionDays + 1)}}},
		{"no rule", "policies[0]", []*convstore.RetentionPolicy{{AgentID: "bot"}}},
		{"two defaults", "policies[1].agent_id", []*convstore.RetentionPolicy{{Artifacts: rule(1)}, {Attachments: rule(2)}}},
		{"an agent twice", "policies[1].agent_id", []*convstore.RetentionPolicy{{AgentID: "a", Artifacts: rule(1)}, {AgentID: "a", Artifacts: rule(2)}}},
		{"since on attachments", "policies[0].attachments.since", []*convstore.RetentionPolicy{{Attachments: &convstore.RetentionRule{Days: 1, Since: convstore.SinceLastActivity}}}},
		{"unknown since", "policies[0].conversations.since", []*convstore.RetentionPolicy{{Conversations: &convstore.RetentionRule{Days: 1, Since: "yesterday"}}}},
		{"control character in agent", "policies[0].agent_id", []*convstore.RetentionPolicy{{AgentID: "a\x00b", Artifacts: rule(1)}}},
	}
	for _, c := range cases {
		_, err := s.ReplaceRetention(f.ctx, f.tenant.ID, c.policies, f.params)
		wantInvalid(t, err, c.field, c.name)
	}
	if got, _ := s.FindRetention(f.ctx, f.tenant.ID); len(got) != 1 || got[0].Artifacts == nil || got[0].Artifacts.Days != 90 {
		t.Errorf("after refused replaces the policies are %+v, want the first set kept", got)
	}
}

// testRetentionApplied moves the clock through a tenant's policies and
// checks that each run (and its preview beforehand) erases exactly what
// is due: attachments first with the transcript kept, an agent's idle
// conversations under its override, then the default's, each receipt and
// audit entry naming its policy, another tenant untouched.
func testRetentionApplied(t *testing.T, f *fixture) {
	if f.Clock == nil || f.ApplyRetention == nil {
		t.Skip("this store has no clock to move or no retention run to call")
	}
	s, ctx, tid := f.Store, f.ctx, f.tenant.ID
	mk := func(tenantID convstore.ID, agent string, withAudio bool) *convstore.Conversation {
		c, _ := MustCreateConversation(t, ctx, s, tenantID, &convstore.ConversationCreate{AgentID: agent, Messages: textMessages("m", 3)})
		if withAudio {
			MustPutAttachment(t, ctx, s, tenantID, c.ID, "call.wav", []byte("RIFF audio bytes"))
		}
		MustCreateArtifact(t, ctx, s, tenantID, c.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "a summary"})
		return c
	}
	plain := mk(tid, "", true)
	idle := mk(tid, "bot", true)
	busy := mk(tid, "bot", false)
	other, _ := MustCreateTenant(t, ctx, s, uniqueName("other"))
	theirs := mk(other.ID, "", true)
	if _, err := s.ReplaceRetention(ctx, tid, []*convstore.RetentionPolicy{
		{Conversations: &convstore.RetentionRule{Days: 30}, Attachments: &convstore.RetentionRule{Days: 5}},
		{AgentID: "bot", Conversations: &convstore.RetentionRule{Days: 10, Since: convstore.SinceLastActivity}},
	}, f.params); err != nil {
		t.Fatal(err)
	}
	run := func(when string, want convstore.RetentionCounts) {
		t.Helper()
		pv, err := s.PreviewRetention(ctx, tid)
		if err != nil {
			t.Fatalf("%s: PreviewRetention: %v", when, err)
		}
		if pv.RetentionCounts != want {
			t.Errorf("%s: preview %+v, want %+v", when, pv.RetentionCounts, want)
		}
		got, err := f.ApplyRetention(ctx, tid)
		if err != nil {
			t.Fatalf("%s: ApplyRetention: %v", when, err)
		}
		if got != want {
			t.Errorf("%s: run erased %+v, want %+v", when, got, want)
		}
		if again, err := f.ApplyRetention(ctx, tid); err != nil || again != (convstore.RetentionCounts{}) {
			t.Errorf("%s: a second run erased %+v (%v), want nothing", when, again, err)
		}
	}
	run("at once", convstore.RetentionCounts{})

	f.Clock.Advance(6 * day)
	// busy stays active: its last activity moves to day 6.
	MustCreateMessages(t, ctx, s, tid, busy.ID, textMessages("later", 1))
	run("day 6", convstore.RetentionCounts{Attachments: 2, AttachmentBytes: 2 * int64(len("RIFF audio bytes"))})
	for _, c := range []*convstore.Conversation{plain, idle} {
		if _, _, err := s.OpenAttachment(ctx, tid, c.ID, "call.wav"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("an attachment past its rule is still there: %v", err)
		}
		if msgs, _, err := s.FindMessages(ctx, tid, c.ID, convstore.MessageFilter{}); err != nil || len(msgs) != 3 {
			t.Errorf("the transcript of a conversation whose audio expired: %d messages, %v; want 3 kept", len(msgs), err)
		}
	}
	var erasedAudio int
	for _, e := range MustAuditEntries(t, ctx, s, tid) {
		if e.Action == convstore.AuditAttachmentDelete {
			erasedAudio++
			if e.Policy != "default" || e.Door != "retention" {
				t.Errorf("an attachment erased by retention is audited with policy %q, door %q; want default, retention", e.Policy, e.Door)
			}
		}
	}
	if erasedAudio != 2 {
		t.Errorf("%d attachment deletes audited, want 2", erasedAudio)
	}
	if _, b, err := s.OpenAttachment(ctx, other.ID, theirs.ID, "call.wav"); err != nil {
		t.Errorf("another tenant's attachment went with this tenant's retention: %v", err)
	} else {
		b.Close()
	}

	f.Clock.Advance(5 * day) // day 11: idle has been idle 11 days, busy 5
	run("day 11", convstore.RetentionCounts{Conversations: 1, Messages: 3})
	if _, err := s.FindConversationByID(ctx, tid, idle.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the idle conversation of bot is still there: %v", err)
	}
	dels, _, err := s.FindDeletions(ctx, tid, convstore.DeletionFilter{ConversationID: idle.ID})
	if err != nil || len(dels) != 1 || dels[0].Policy != "agent:bot" || dels[0].Door != "retention" || dels[0].Messages != 3 {
		t.Errorf("the receipt of the idle conversation: %+v, %v; want one naming policy agent:bot", dels, err)
	}
	MustFindConversation(t, ctx, s, tid, busy.ID)
	byPolicy, _, err := s.FindDeletions(ctx, tid, convstore.DeletionFilter{Door: "retention", Policy: "agent:bot"})
	if err != nil || len(byPolicy) != 1 || byPolicy[0].ConversationID != idle.ID {
		t.Errorf("receipts filtered by door retention and policy agent:bot: %d (%v), want the idle conversation's", len(byPolicy), err)
	}
	if other, _, err := s.FindDeletions(ctx, tid, convstore.DeletionFilter{Policy: "default"}); err != nil || len(other) != 0 {
		t.Errorf("receipts of policy default before any: %d (%v), want none", len(other), err)
	}

	f.Clock.Advance(20 * day) // day 31: plain is past the default's 30 days; busy idle 25 days
	run("day 31", convstore.RetentionCounts{Conversations: 2, Messages: 3 + 4})
	for _, c := range []*convstore.Conversation{plain, busy} {
		if _, err := s.FindConversationByID(ctx, tid, c.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("a conversation past its policy is still there: %v", err)
		}
	}
	if dels, _, _ := s.FindDeletions(ctx, tid, convstore.DeletionFilter{ConversationID: plain.ID}); len(dels) != 1 || dels[0].Policy != "default" {
		t.Errorf("the receipt of the default's conversation: %+v", dels)
	}
	MustFindConversation(t, ctx, s, other.ID, theirs.ID)
	if rows := MustConversationRows(t, ctx, f.Harness, idle.ID); sumCounts(rows) != 0 {
		t.Errorf("rows left of a conversation retention erased: %v", nonZero(rows))
	}
}
