package servicetest

import (
	"maps"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

var holdTests = []subtest{
	{"ConversationHoldRefusesEveryDelete", testHoldConversation},
	{"UserAndAgentHolds", testHoldUserAndAgent},
	{"Validation", testHoldValidation},
	{"Isolation", testHoldIsolation},
	{"Pagination", testHoldPagination},
	{"HeldAmongBatch", testHoldBatch},
	{"AcrossIndexRotation", testHoldAcrossIndexRotation},
}

// mustHold places a hold or fails.
func (f *fixture) mustHold(tb testing.TB, c *convstore.HoldCreate) *convstore.Hold {
	tb.Helper()
	h, err := f.Store.CreateHold(f.ctx, f.tenant.ID, c, f.params)
	if err != nil {
		tb.Fatalf("CreateHold(%+v): %v", c, err)
	}
	return h
}

// wantHeld fails unless err is the EHELD naming hold.
func wantHeld(tb testing.TB, err error, hold convstore.ID, what string) {
	tb.Helper()
	wantCode(tb, err, convstore.EHELD, what)
	if want := convstore.Held(hold).Message; err != nil && convstore.ErrorMessage(err) != want {
		tb.Errorf("%s: message %q, want %q", what, convstore.ErrorMessage(err), want)
	}
}

// testHoldConversation checks that a conversation hold refuses the
// conversation's delete and every delete inside it, writing nothing, that
// both hold changes are audited without the reason, and that the
// release lets every delete through.
func testHoldConversation(t *testing.T, f *fixture) {
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{
		Title: "held", Messages: textMessages("m", 2)})
	art := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: "summary", Text: "s"})
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "call.wav", []byte("RIFF-bytes"))
	const reason = "Matter 2026-117: preserve for litigation"
	h := f.mustHold(t, &convstore.HoldCreate{ConversationID: conv.ID, Reason: reason})
	if h.Kind != convstore.HoldOnConversation || h.ConversationID != conv.ID || h.Reason != reason ||
		h.ActorKeyID != f.key.ID || h.TenantID != f.tenant.ID || h.ID.IsZero() {
		t.Fatalf("hold %+v", h)
	}
	checkRecent(t, "hold CreatedAt", h.CreatedAt)
	if got, err := f.Store.FindHoldByID(f.ctx, f.tenant.ID, h.ID); err != nil || got.Kind != h.Kind ||
		got.ConversationID != conv.ID || got.Reason != reason || got.ActorKeyID != f.key.ID {
		t.Fatalf("FindHoldByID = %+v, %v", got, err)
	}
	created := checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditHoldCreate, conv.ID, h.ID, f.params)
	checkNoContent(t, "hold.create audit entry", created, reason)

	rows := MustConversationRows(t, f.ctx, f.Harness, conv.ID)
	audits := len(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID))
	_, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, conv.ID, f.params)
	wantHeld(t, err, h.ID, "DeleteConversation of a held conversation")
	wantHeld(t, f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv.ID, msgs[0].ID, f.params), h.ID, "DeleteMessage in it")
	wantHeld(t, f.Store.DeleteArtifact(f.ctx, f.tenant.ID, conv.ID, art.ID, f.params), h.ID, "DeleteArtifact in it")
	wantHeld(t, f.Store.DeleteAttachment(f.ctx, f.tenant.ID, conv.ID, "call.wav", f.params), h.ID, "DeleteAttachment in it")
	_, err = f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "call.wav", ContentType: "audio/wav",
		Body: strings.NewReader("a second take")})
	wantHeld(t, err, h.ID, "PutAttachment replacing one in it")
	if _, body := MustReadAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "call.wav"); string(body) != "RIFF-bytes" {
		t.Errorf("a refused replace changed the attachment to %q", body)
	}
	if after := MustConversationRows(t, f.ctx, f.Harness, conv.ID); snapshot(t, after) != snapshot(t, rows) {
		t.Errorf("refused deletes changed rows: %v before, %v after", rows, after)
	}
	if n := len(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID)); n != audits {
		t.Errorf("refused deletes wrote audit entries: %d before, %d after", audits, n)
	}
	if dels, _, err := f.Store.FindDeletions(f.ctx, f.tenant.ID, convstore.DeletionFilter{ConversationID: conv.ID}); err != nil || len(dels) != 0 {
		t.Errorf("refused delete wrote receipts: %v, %v", dels, err)
	}

	releaser := f.params
	releaser.RequestID = uniqueName("req")
	if err := f.Store.DeleteHold(f.ctx, f.tenant.ID, h.ID, releaser); err != nil {
		t.Fatal(err)
	}
	released := checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditHoldRelease, conv.ID, h.ID, releaser)
	checkNoContent(t, "hold.release audit entry", released, reason)
	_, err = f.Store.FindHoldByID(f.ctx, f.tenant.ID, h.ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindHoldByID of a released hold")
	wantCode(t, f.Store.DeleteHold(f.ctx, f.tenant.ID, h.ID, f.params), convstore.ENOTFOUND, "a second release")

	if err := f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv.ID, msgs[0].ID, f.params); err != nil {
		t.Errorf("DeleteMessage after the release: %v", err)
	}
	if err := f.Store.DeleteArtifact(f.ctx, f.tenant.ID, conv.ID, art.ID, f.params); err != nil {
		t.Errorf("DeleteArtifact after the release: %v", err)
	}
	if err := f.Store.DeleteAttachment(f.ctx, f.tenant.ID, conv.ID, "call.wav", f.params); err != nil {
		t.Errorf("DeleteAttachment after the release: %v", err)
	}
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID, f.params)
}

// testHoldUserAndAgent checks that a user hold covers the user's
// conversations, present and future, and no one else's; that an agent
// hold does the same for the agent; and that two holds on one
// conversation each keep it until both are released.
func testHoldUserAndAgent(t *testing.T, f *fixture) {
	before, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "alice@example.com"})
	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "bob@example.com"})
	anon, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{AgentID: "support-bot"})
	uh := f.mustHold(t, &convstore.HoldCreate{UserID: "alice@example.com", Reason: "subject access dispute"})
	if uh.Kind != convstore.HoldOnUser || !uh.ConversationID.IsZero() || uh.AgentID != "" {
		t.Fatalf("user hold %+v", uh)
	}
	checkNoContent(t, "user hold", uh, "alice@example.com")
	after, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "alice@example.com", AgentID: "support-bot"})
	for _, c := range []*convstore.Conversation{before, after} {
		_, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, c.ID, f.params)
		wantHeld(t, err, uh.ID, "DeleteConversation of the held user's conversation")
	}
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, other.ID, f.params)

	ah := f.mustHold(t, &convstore.HoldCreate{AgentID: "support-bot", Reason: "regulator inquiry"})
	if ah.Kind != convstore.HoldOnAgent || ah.AgentID != "support-bot" {
		t.Fatalf("agent hold %+v", ah)
	}
	_, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, anon.ID, f.params)
	wantHeld(t, err, ah.ID, "DeleteConversation of the held agent's conversation")
	// after is held twice: the user hold is named first, and releasing
	// it leaves the agent's.
	_, err = f.Store.DeleteConversation(f.ctx, f.tenant.ID, after.ID, f.params)
	wantHeld(t, err, uh.ID, "DeleteConversation held by user and agent")
	if err := f.Store.DeleteHold(f.ctx, f.tenant.ID, uh.ID, f.params); err != nil {
		t.Fatal(err)
	}
	_, err = f.Store.DeleteConversation(f.ctx, f.tenant.ID, after.ID, f.params)
	wantHeld(t, err, ah.ID, "DeleteConversation still held by its agent")
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, before.ID, f.params)
	if err := f.Store.DeleteHold(f.ctx, f.tenant.ID, ah.ID, f.params); err != nil {
		t.Fatal(err)
	}
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, after.ID, f.params)
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, anon.ID, f.params)
}

// testHoldValidation checks the input rules; a refused hold writes
// nothing.
func testHoldValidation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	audits := len(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID))
	for _, c := range []struct {
		in    convstore.HoldCreate
		field string
	}{
		{convstore.HoldCreate{Reason: "r"}, "conversation_id"},
		{convstore.HoldCreate{ConversationID: conv.ID, UserID: "u", Reason: "r"}, "conversation_id"},
		{convstore.HoldCreate{UserID: "u", AgentID: "a", Reason: "r"}, "conversation_id"},
		{convstore.HoldCreate{UserID: "u"}, "reason"},
		{convstore.HoldCreate{AgentID: "a", Reason: " \t"}, "reason"},
		{convstore.HoldCreate{AgentID: "a", Reason: "line\nbreak"}, "reason"},
		{convstore.HoldCreate{AgentID: "a", Reason: string(make([]byte, convstore.MaxHoldReasonLen+1))}, "reason"},
	} {
		_, err := f.Store.CreateHold(f.ctx, f.tenant.ID, &c.in, f.params)
		wantInvalid(t, err, c.field, "CreateHold "+snapshotAny(c.in))
	}
	_, err := f.Store.CreateHold(f.ctx, f.tenant.ID, &convstore.HoldCreate{ConversationID: randomID(), Reason: "r"}, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "CreateHold on a missing conversation")
	if n := len(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID)); n != audits {
		t.Errorf("refused holds wrote audit entries: %d before, %d after", audits, n)
	}
	if holds, _, err := f.Store.FindHolds(f.ctx, f.tenant.ID, convstore.HoldFilter{}); err != nil || len(holds) != 0 {
		t.Errorf("refused holds were stored: %v, %v", holds, err)
	}
}

// testHoldIsolation checks that another tenant's holds and conversations
// answer like missing ones, and that a hold on a user id covers only its
// own tenant's conversations of that user.
func testHoldIsolation(t *testing.T, f *fixture) {
	other, otherKey := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	op := convstore.DeleteParams{ActorKeyID: otherKey.ID, Door: "servicetest", RequestID: uniqueName("req")}
	theirs, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{UserID: "carol"})
	mine, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "carol"})

	_, err := f.Store.CreateHold(f.ctx, f.tenant.ID, &convstore.HoldCreate{ConversationID: theirs.ID, Reason: "r"}, f.params)
	sameError(t, "CreateHold on another tenant's conversation", err, convstore.NotFound("conversation"))
	theirHold, err := f.Store.CreateHold(f.ctx, other.ID, &convstore.HoldCreate{UserID: "carol", Reason: "theirs"}, op)
	if err != nil {
		t.Fatal(err)
	}
	_, errForeign := f.Store.FindHoldByID(f.ctx, f.tenant.ID, theirHold.ID)
	_, errMissing := f.Store.FindHoldByID(f.ctx, f.tenant.ID, randomID())
	sameError(t, "FindHoldByID of another tenant's hold", errForeign, errMissing)
	sameError(t, "DeleteHold of another tenant's hold",
		f.Store.DeleteHold(f.ctx, f.tenant.ID, theirHold.ID, f.params), f.Store.DeleteHold(f.ctx, f.tenant.ID, randomID(), f.params))
	if holds, _, err := f.Store.FindHolds(f.ctx, f.tenant.ID, convstore.HoldFilter{}); err != nil || len(holds) != 0 {
		t.Errorf("FindHolds shows another tenant's holds: %v, %v", holds, err)
	}
	// Their hold on "carol" does not reach this tenant's carol.
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, mine.ID, f.params)
	_, err = f.Store.DeleteConversation(f.ctx, other.ID, theirs.ID, op)
	wantHeld(t, err, theirHold.ID, "their delete under their hold")
	if _, err := f.Store.FindHoldByID(f.ctx, other.ID, theirHold.ID); err != nil {
		t.Errorf("the other tenant's hold is gone: %v", err)
	}
}

// testHoldPagination checks the cursor list: newest first by default,
// ascending on request, has-more, and the after cursor.
func testHoldPagination(t *testing.T, f *fixture) {
	var ids []convstore.ID
	for i := range 3 {
		h := f.mustHold(t, &convstore.HoldCreate{AgentID: uniqueName("agent"), Reason: "r" + string(rune('0'+i))})
		ids = append(ids, h.ID)
	}
	page, more, err := f.Store.FindHolds(f.ctx, f.tenant.ID, convstore.HoldFilter{PageFilter: convstore.PageFilter{Limit: 2}})
	if err != nil || !more || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
		t.Fatalf("first page %v, more %v, err %v", page, more, err)
	}
	page, more, err = f.Store.FindHolds(f.ctx, f.tenant.ID, convstore.HoldFilter{PageFilter: convstore.PageFilter{Limit: 2, After: page[1].ID}})
	if err != nil || more || len(page) != 1 || page[0].ID != ids[0] {
		t.Fatalf("second page %v, more %v, err %v", page, more, err)
	}
	page, _, err = f.Store.FindHolds(f.ctx, f.tenant.ID, convstore.HoldFilter{PageFilter: convstore.PageFilter{Order: convstore.OrderAsc}})
	if err != nil || len(page) != 3 || page[0].ID != ids[0] || page[2].ID != ids[2] {
		t.Fatalf("ascending %v, err %v", page, err)
	}
	_, _, err = f.Store.FindHolds(f.ctx, f.tenant.ID, convstore.HoldFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit + 1}})
	wantInvalid(t, err, "limit", "FindHolds with too large a limit")
}

// testHoldBatch checks the batch question retention and erasure jobs ask:
// which of these conversations are held, and by what. Only stores that
// answer it (the service tier) run it.
func testHoldBatch(t *testing.T, f *fixture) {
	hf, ok := f.Store.(convstore.HeldFinder)
	if !ok {
		t.Skip("this store does not implement convstore.HeldFinder")
	}
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	theirs, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{UserID: "dave", AgentID: "bot"})
	free, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "erin", AgentID: "free-bot"})
	byConv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "dave", AgentID: "bot"})
	byUser, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "dave"})
	byAgent, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{AgentID: "bot"})
	agentHold := f.mustHold(t, &convstore.HoldCreate{AgentID: "bot", Reason: "r"})
	userHold := f.mustHold(t, &convstore.HoldCreate{UserID: "dave", Reason: "r"})
	convHold := f.mustHold(t, &convstore.HoldCreate{ConversationID: byConv.ID, Reason: "r"})

	ids := []convstore.ID{free.ID, byConv.ID, byUser.ID, byAgent.ID, theirs.ID, randomID(), byUser.ID}
	held, err := hf.FindHeldConversations(f.ctx, f.tenant.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	want := map[convstore.ID]convstore.ID{byConv.ID: convHold.ID, byUser.ID: userHold.ID, byAgent.ID: agentHold.ID}
	if !maps.Equal(held, want) {
		t.Errorf("FindHeldConversations = %v, want %v (conversation hold first, then user, then agent)", held, want)
	}
	if ids[6] != byUser.ID {
		t.Error("FindHeldConversations changed the caller's slice")
	}
	if held, err := hf.FindHeldConversations(f.ctx, f.tenant.ID, nil); err != nil || len(held) != 0 {
		t.Errorf("FindHeldConversations(nil) = %v, %v", held, err)
	}
	_, err = hf.FindHeldConversations(f.ctx, f.tenant.ID, make([]convstore.ID, convstore.MaxHeldBatch+1))
	wantInvalid(t, err, "ids", "FindHeldConversations over the batch limit")

	if err := f.Store.DeleteHold(f.ctx, f.tenant.ID, agentHold.ID, f.params); err != nil {
		t.Fatal(err)
	}
	if held, err = hf.FindHeldConversations(f.ctx, f.tenant.ID, ids); err != nil || len(held) != 2 || held[byAgent.ID] != (convstore.ID{}) {
		t.Errorf("after the agent hold's release: %v, %v", held, err)
	}
}

// testHoldAcrossIndexRotation checks that user holds keep matching
// through a rotation of the index root: a hold placed before it is
// carried by the re-index, one placed during it matches conversations not
// yet re-indexed, and one whose user had no conversation to carry it is
// reported stale once the old root is gone.
func testHoldAcrossIndexRotation(t *testing.T, f *fixture) {
	r := reindexStore(t, f)
	a1, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "frank"})
	a2, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "frank"})
	b, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "grace"})
	before := f.mustHold(t, &convstore.HoldCreate{UserID: "frank", Reason: "before"})
	f.mustHold(t, &convstore.HoldCreate{UserID: "henry", Reason: "no conversations"})
	if _, err := r.RotateIndexRoot(f.ctx); err != nil {
		t.Fatal(err)
	}
	during := f.mustHold(t, &convstore.HoldCreate{UserID: "grace", Reason: "during"})
	_, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, b.ID, f.params)
	wantHeld(t, err, during.ID, "a conversation under the old root, held by a hold placed during the rotation")
	_, err = f.Store.DeleteConversation(f.ctx, f.tenant.ID, a1.ID, f.params)
	wantHeld(t, err, before.ID, "a conversation under the old root, held by a hold placed before")

	p, err := r.Reindex(f.ctx, service.ReindexOptions{Batch: 1})
	if err != nil || !p.Done || len(p.Destroyed) != 1 {
		t.Fatalf("Reindex = %+v, %v", p, err)
	}
	if p.StaleUserHolds != 1 {
		t.Errorf("StaleUserHolds = %d, want 1 (henry's)", p.StaleUserHolds)
	}
	for _, c := range []*convstore.Conversation{a1, a2} {
		_, err = f.Store.DeleteConversation(f.ctx, f.tenant.ID, c.ID, f.params)
		wantHeld(t, err, before.ID, "after the re-index, frank's conversation")
	}
	later, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: "frank"})
	_, err = f.Store.DeleteConversation(f.ctx, f.tenant.ID, later.ID, f.params)
	wantHeld(t, err, before.ID, "frank's conversation created after the rotation")
	_, err = f.Store.DeleteConversation(f.ctx, f.tenant.ID, b.ID, f.params)
	wantHeld(t, err, during.ID, "after the re-index, grace's conversation")
}
