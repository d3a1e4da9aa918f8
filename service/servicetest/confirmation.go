package servicetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// RunConfirmations runs the tests of downstream confirmations (processors
// that must confirm each erasure) on services it opens over newDatabase's
// databases: the confirmations a delete requires are written in its
// transaction, confirmations are idempotent and tenant-scoped, the sweep
// marks each overdue one and emits its event exactly once, and the
// receipt state filter selects what it says.
func RunConfirmations(t *testing.T, newDatabase NewDatabaseFunc) {
	runSealedCases(t, newDatabase, []sealedCase{
		{"RowsInDeleteTransaction", testConfirmRowsInDelete},
		{"Confirm", testConfirmIdempotent},
		{"ForeignTenant", testConfirmForeignTenant},
		{"OverdueOnce", testConfirmOverdueOnce},
		{"StateFilter", testConfirmStateFilter},
		{"ProcessorDeleted", testConfirmProcessorDeleted},
		{"ProcessorKeys", testConfirmProcessorKeys},
		{"ErasureAggregate", testConfirmErasureAggregate},
		{"Restored", testConfirmRestored},
		{"Processors", testConfirmProcessors},
		{"ConcurrentCompletion", testConfirmConcurrent},
	})
}

// mustProcessor registers a processor.
func mustProcessor(t *testing.T, ctx context.Context, s convstore.Store, tenantID convstore.ID, name string, deadline time.Duration) *convstore.Processor {
	t.Helper()
	p, err := s.CreateProcessor(ctx, tenantID, &convstore.ProcessorCreate{Name: name, Deadline: deadline}, operator)
	if err != nil {
		t.Fatalf("CreateProcessor(%s): %v", name, err)
	}
	return p
}

// deleteOne creates a conversation and deletes it, returning the receipt.
func deleteOne(t *testing.T, ctx context.Context, s convstore.Store, tenantID convstore.ID) *convstore.Deletion {
	t.Helper()
	c, _ := MustCreateConversation(t, ctx, s, tenantID, &convstore.ConversationCreate{UserID: "u",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}}})
	return MustDeleteConversation(t, ctx, s, tenantID, c.ID, operator)
}

// states returns a receipt's confirmation states by processor.
func states(d *convstore.Deletion) map[string]string {
	out := map[string]string{}
	for _, c := range d.Confirmations {
		out[c.Processor] = c.State
	}
	return out
}

func mustReceipt(t *testing.T, ctx context.Context, s convstore.Store, tenantID, id convstore.ID) *convstore.Deletion {
	t.Helper()
	d, err := s.FindDeletionByID(ctx, tenantID, id)
	if err != nil {
		t.Fatalf("FindDeletionByID: %v", err)
	}
	return d
}

// A delete writes one pending confirmation per processor registered
// before it, due deadline after it, in its own transaction: a refused
// delete writes none, and a processor registered later is not required.
func testConfirmRowsInDelete(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	none := deleteOne(t, ctx, svc, a)
	if len(none.Confirmations) != 0 || !none.Complete() {
		t.Fatalf("a receipt without processors: %+v, complete %v; want none, complete", none.Confirmations, none.Complete())
	}
	mustProcessor(t, ctx, svc, a, "vector-index", 72*time.Hour)
	mustProcessor(t, ctx, svc, a, "analytics", time.Hour)
	before := MustRowCounts(t, ctx, &Harness{RowCounts: db.RowCounts})

	// A delete refused by a hold leaves no confirmation behind.
	held, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{UserID: "h"})
	if _, err := svc.CreateHold(ctx, a, &convstore.HoldCreate{ConversationID: held.ID, Reason: "matter"}, operator); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteConversation(ctx, a, held.ID, operator); convstore.ErrorCode(err) != convstore.EHELD {
		t.Fatalf("delete of a held conversation: %v, want EHELD", err)
	}
	if after := MustRowCounts(t, ctx, &Harness{RowCounts: db.RowCounts}); after["confirmations"] != before["confirmations"] {
		t.Fatalf("a refused delete wrote confirmations: %d, then %d", before["confirmations"], after["confirmations"])
	}

	d := deleteOne(t, ctx, svc, a)
	if got := states(d); len(got) != 2 || got["vector-index"] != convstore.ConfirmationPending || got["analytics"] != convstore.ConfirmationPending {
		t.Fatalf("receipt of the delete: %v, want two pending", got)
	}
	if d.Complete() {
		t.Fatal("a receipt with pending confirmations is complete")
	}
	got := mustReceipt(t, ctx, svc, a, d.ID)
	if len(got.Confirmations) != 2 || got.Confirmations[0].Processor != "analytics" || got.Confirmations[1].Processor != "vector-index" {
		t.Fatalf("stored confirmations %+v, want analytics then vector-index", got.Confirmations)
	}
	for _, c := range got.Confirmations {
		want := map[string]time.Duration{"analytics": time.Hour, "vector-index": 72 * time.Hour}[c.Processor]
		if !c.DueAt.Equal(got.CreatedAt.Add(want)) {
			t.Errorf("%s due %v, want the delete's time %v + %v", c.Processor, c.DueAt, got.CreatedAt, want)
		}
	}
	if after := MustRowCounts(t, ctx, &Harness{RowCounts: db.RowCounts}); after["confirmations"] != before["confirmations"]+2 {
		t.Fatalf("confirmations %d after the delete, want %d", after["confirmations"], before["confirmations"]+2)
	}
	// The earlier receipt gains nothing.
	if got := mustReceipt(t, ctx, svc, a, none.ID); len(got.Confirmations) != 0 || !got.Complete() {
		t.Fatalf("a receipt made before the processors: %+v", got.Confirmations)
	}

	// Retention deletes go through the same path.
	if _, err := svc.ReplaceRetention(ctx, a, []*convstore.RetentionPolicy{{AgentID: "old",
		Conversations: &convstore.RetentionRule{Days: 1}}}, operator); err != nil {
		t.Fatal(err)
	}
	MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{AgentID: "old"})
	clock.Advance(49 * time.Hour)
	if c, err := svc.ApplyRetention(ctx, a); err != nil || c.Conversations != 1 {
		t.Fatalf("ApplyRetention = %+v, %v", c, err)
	}
	list, _, err := svc.FindDeletions(ctx, a, convstore.DeletionFilter{Door: "retention"})
	if err != nil || len(list) != 1 || len(list[0].Confirmations) != 2 {
		t.Fatalf("retention receipt: %v, %+v; want two confirmations", err, list)
	}
}

// Confirming records the time once: a second confirmation answers the
// first's time and records nothing; a processor the receipt does not
// require is EINVALID; the last confirmation completes the receipt and
// emits deletion.completed, once.
func testConfirmIdempotent(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	mustProcessor(t, ctx, svc, a, "vector-index", 0)
	mustProcessor(t, ctx, svc, a, "analytics", 0)
	d := deleteOne(t, ctx, svc, a)
	mustProcessor(t, ctx, svc, a, "late-comer", 0)

	got, recorded, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: "vector-index", Note: "purged 12 vectors"}, operator)
	if err != nil || !recorded {
		t.Fatalf("ConfirmDeletion = %v, recorded %v", err, recorded)
	}
	if s := states(got); s["vector-index"] != convstore.ConfirmationConfirmed || s["analytics"] != convstore.ConfirmationPending || got.Complete() {
		t.Fatalf("after one confirmation: %v, complete %v", s, got.Complete())
	}
	first := *got.Confirmations[1].ConfirmedAt
	clock.Advance(time.Minute)
	again, recorded, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: "vector-index", Note: "again"}, operator)
	if err != nil || recorded {
		t.Fatalf("second ConfirmDeletion = %v, recorded %v; want no error, not recorded", err, recorded)
	}
	if c := again.Confirmations[1]; c.ConfirmedAt == nil || !c.ConfirmedAt.Equal(first) || c.Note != "purged 12 vectors" {
		t.Fatalf("second confirmation answered %+v, want the first's time %v and note", c, first)
	}
	for _, name := range []string{"late-comer", "unknown"} {
		_, _, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: name}, operator)
		if convstore.ErrorCode(err) != convstore.EINVALID || convstore.ErrorField(err) != "processor" {
			t.Errorf("confirmation by %s: %v, want EINVALID on processor", name, err)
		}
	}
	if _, _, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: "Bad Name"}, operator); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("a malformed processor name: %v, want EINVALID", err)
	}
	if _, _, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: "analytics", Note: string(make([]byte, 257))}, operator); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("a note over 256 bytes: %v, want EINVALID", err)
	}
	done, recorded, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: "analytics"}, operator)
	if err != nil || !recorded || !done.Complete() {
		t.Fatalf("last confirmation: %v, recorded %v, complete %v", err, recorded, done.Complete())
	}
	if _, _, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: "analytics"}, operator); err != nil {
		t.Fatal(err)
	}
	events := allEvents(t, ctx, svc, a)
	if n := countTypes(events)[convstore.EventDeletionCompleted]; n != 1 {
		t.Fatalf("%d deletion.completed events, want 1", n)
	}
	for _, e := range events {
		if e.Type == convstore.EventDeletionCompleted {
			m := eventData(t, e)
			if m["deletion_id"] != d.ID.Format(convstore.PrefixDeletion) || len(m["processors"].([]any)) != 2 {
				t.Errorf("deletion.completed payload %v", m)
			}
		}
	}
	var confirms int
	for _, e := range MustAuditEntries(t, ctx, svc, a) {
		if e.Action == convstore.AuditDeletionConfirm {
			confirms++
		}
	}
	if confirms != 2 {
		t.Errorf("%d deletion.confirm audit entries, want 2 (repeats record nothing)", confirms)
	}
}

// Another tenant's receipt is missing, exactly like an unknown one.
func testConfirmForeignTenant(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	other, _ := MustCreateTenant(t, ctx, svc, uniqueName("other"))
	mustProcessor(t, ctx, svc, tenant.ID, "vector-index", 0)
	mustProcessor(t, ctx, svc, other.ID, "vector-index", 0)
	d := deleteOne(t, ctx, svc, tenant.ID)
	for _, id := range []convstore.ID{d.ID, convstore.NewID()} {
		_, _, err := svc.ConfirmDeletion(ctx, other.ID, id, &convstore.ConfirmationCreate{Processor: "vector-index"}, operator)
		if convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("confirmation of %v as another tenant: %v, want ENOTFOUND", id, err)
		}
	}
	if got := mustReceipt(t, ctx, svc, tenant.ID, d.ID); states(got)["vector-index"] != convstore.ConfirmationPending {
		t.Fatalf("the foreign confirmation changed the receipt: %v", states(got))
	}
	if _, err := svc.FindProcessor(ctx, other.ID, "missing"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("FindProcessor of a missing one: %v", err)
	}
}

// Past its due time a confirmation reads overdue; the sweep marks it and
// emits confirmation.overdue once, however often it runs; a late
// confirmation is still recorded.
func testConfirmOverdueOnce(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	mustProcessor(t, ctx, svc, a, "analytics", time.Hour)
	mustProcessor(t, ctx, svc, a, "vector-index", 72*time.Hour)
	d := deleteOne(t, ctx, svc, a)
	if n, err := svc.SweepConfirmations(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before the due time: %d, %v", n, err)
	}
	clock.Advance(61 * time.Minute)
	if s := states(mustReceipt(t, ctx, svc, a, d.ID)); s["analytics"] != convstore.ConfirmationOverdue || s["vector-index"] != convstore.ConfirmationPending {
		t.Fatalf("past analytics' deadline: %v", s)
	}
	n, err := svc.SweepConfirmations(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v; want 1", n, err)
	}
	for range 2 {
		if n, err := svc.SweepConfirmations(ctx); err != nil || n != 0 {
			t.Fatalf("sweep again = %d, %v; want 0", n, err)
		}
	}
	backlog := map[string][2]int64{}
	for _, b := range svc.ConfirmationBacklog() {
		backlog[b.Processor] = [2]int64{b.Pending, b.Overdue}
	}
	if backlog["analytics"] != [2]int64{1, 1} || backlog["vector-index"] != [2]int64{1, 0} {
		t.Errorf("backlog %v, want analytics 1 open 1 overdue, vector-index 1 open", backlog)
	}
	events := allEvents(t, ctx, svc, a)
	var overdue []map[string]any
	for _, e := range events {
		if e.Type == convstore.EventConfirmationOverdue {
			overdue = append(overdue, eventData(t, e))
		}
	}
	if len(overdue) != 1 {
		t.Fatalf("%d confirmation.overdue events, want 1", len(overdue))
	}
	m := overdue[0]
	if m["processor"] != "analytics" || m["deletion_id"] != d.ID.Format(convstore.PrefixDeletion) ||
		m["conversation_id"] != d.ConversationID.Format(convstore.PrefixConversation) ||
		int64(m["due_at"].(float64)) != d.CreatedAt.Add(time.Hour).Unix() {
		t.Errorf("confirmation.overdue payload %v", m)
	}
	got, recorded, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: "analytics"}, operator)
	if err != nil || !recorded || states(got)["analytics"] != convstore.ConfirmationConfirmed {
		t.Fatalf("a late confirmation: %v, %v, %v", err, recorded, states(got))
	}
	clock.Advance(72 * time.Hour)
	if n, err := svc.SweepConfirmations(ctx); err != nil || n != 1 {
		t.Fatalf("sweep past vector-index's deadline = %d, %v; want 1 (analytics is confirmed)", n, err)
	}
}

// The state filter: pending is every receipt waiting on some processor
// (overdue ones included), overdue those with a confirmation past due,
// complete the rest (those that required none included).
func testConfirmStateFilter(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	none := deleteOne(t, ctx, svc, a)
	mustProcessor(t, ctx, svc, a, "vector-index", time.Hour)
	late := deleteOne(t, ctx, svc, a)
	clock.Advance(2 * time.Hour)
	waiting := deleteOne(t, ctx, svc, a)
	confirmed := deleteOne(t, ctx, svc, a)
	if _, _, err := svc.ConfirmDeletion(ctx, a, confirmed.ID, &convstore.ConfirmationCreate{Processor: "vector-index"}, operator); err != nil {
		t.Fatal(err)
	}
	ids := func(state string) []convstore.ID {
		list, _, err := svc.FindDeletions(ctx, a, convstore.DeletionFilter{State: state, PageFilter: convstore.PageFilter{Order: convstore.OrderAsc}})
		if err != nil {
			t.Fatalf("FindDeletions(%s): %v", state, err)
		}
		var out []convstore.ID
		for _, d := range list {
			out = append(out, d.ID)
		}
		return out
	}
	for state, want := range map[string][]convstore.ID{
		convstore.DeletionPending:  {late.ID, waiting.ID},
		convstore.DeletionOverdue:  {late.ID},
		convstore.DeletionComplete: {none.ID, confirmed.ID},
		"":                         {none.ID, late.ID, waiting.ID, confirmed.ID},
	} {
		if got := ids(state); !sameIDs(got, want) {
			t.Errorf("state %q: %v, want %v", state, got, want)
		}
	}
	if _, _, err := svc.FindDeletions(ctx, a, convstore.DeletionFilter{State: "late"}); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("an unknown state: %v, want EINVALID", err)
	}
}

func sameIDs(a, b []convstore.ID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Deleting a processor withdraws its open confirmations (recorded ones
// stay): a receipt that waited on it alone becomes complete, with its
// event; receipts made afterwards do not require it.
func testConfirmProcessorDeleted(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	mustProcessor(t, ctx, svc, a, "vector-index", 0)
	mustProcessor(t, ctx, svc, a, "analytics", 0)
	d1 := deleteOne(t, ctx, svc, a)
	d2 := deleteOne(t, ctx, svc, a)
	if _, _, err := svc.ConfirmDeletion(ctx, a, d1.ID, &convstore.ConfirmationCreate{Processor: "vector-index"}, operator); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.ConfirmDeletion(ctx, a, d2.ID, &convstore.ConfirmationCreate{Processor: "analytics"}, operator); err != nil {
		t.Fatal(err)
	}
	n, err := svc.DeleteProcessor(ctx, a, "analytics", operator)
	if err != nil || n != 1 {
		t.Fatalf("DeleteProcessor = %d, %v; want 1 withdrawn (d1's)", n, err)
	}
	g1, g2 := mustReceipt(t, ctx, svc, a, d1.ID), mustReceipt(t, ctx, svc, a, d2.ID)
	if s := states(g1); s["analytics"] != convstore.ConfirmationWithdrawn || !g1.Complete() {
		t.Errorf("d1 after the delete: %v, complete %v; want analytics withdrawn, complete", s, g1.Complete())
	}
	if s := states(g2); s["analytics"] != convstore.ConfirmationConfirmed || g2.Complete() {
		t.Errorf("d2 after the delete: %v, complete %v; want analytics still confirmed, vector-index pending", s, g2.Complete())
	}
	if _, _, err := svc.ConfirmDeletion(ctx, a, d2.ID, &convstore.ConfirmationCreate{Processor: "analytics"}, operator); err != nil {
		t.Errorf("repeating a confirmation recorded before the delete: %v", err)
	}
	if n := countTypes(allEvents(t, ctx, svc, a))[convstore.EventDeletionCompleted]; n != 1 {
		t.Errorf("%d deletion.completed events, want 1 (d1)", n)
	}
	d3 := deleteOne(t, ctx, svc, a)
	if s := states(d3); len(s) != 1 || s["vector-index"] != convstore.ConfirmationPending {
		t.Errorf("a delete after the processor's removal: %v", s)
	}
	if _, err := svc.DeleteProcessor(ctx, a, "analytics", operator); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("deleting it again: %v, want ENOTFOUND", err)
	}
	// A processor of the same name registered again is a new one: the
	// withdrawn confirmations stay withdrawn.
	mustProcessor(t, ctx, svc, a, "analytics", 0)
	if _, _, err := svc.ConfirmDeletion(ctx, a, d1.ID, &convstore.ConfirmationCreate{Processor: "analytics"}, operator); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("confirming a withdrawn confirmation: %v, want EINVALID", err)
	}
}

// A key with the confirm scope names a registered processor and has no
// other scope; it authenticates as scoped to it.
func testConfirmProcessorKeys(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	mustProcessor(t, ctx, svc, a, "vector-index", 0)
	for _, c := range []*convstore.KeyCreate{
		{Name: "k", Scopes: []convstore.Scope{convstore.ScopeConfirm}},
		{Name: "k", Scopes: []convstore.Scope{convstore.ScopeConfirm}, Processor: "missing"},
		{Name: "k", Scopes: []convstore.Scope{convstore.ScopeConfirm, convstore.ScopeRead}, Processor: "vector-index"},
		{Name: "k", Scopes: []convstore.Scope{convstore.ScopeRead}, Processor: "vector-index"},
	} {
		if _, err := svc.CreateKey(ctx, a, c, operator); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("CreateKey(%+v): %v, want EINVALID", c, err)
		}
	}
	k, err := svc.CreateKey(ctx, a, &convstore.KeyCreate{Name: "vi", Scopes: []convstore.Scope{convstore.ScopeConfirm}, Processor: "vector-index"}, operator)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Authenticate(ctx, k.Secret)
	if err != nil || got.Processor != "vector-index" || got.Has(convstore.ScopeRead) || got.Has(convstore.ScopeDelete) || !got.Has(convstore.ScopeConfirm) {
		t.Fatalf("Authenticate = %+v, %v; want a confirm key of vector-index and nothing else", got, err)
	}
	keys, err := svc.FindKeys(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, kk := range keys {
		found = found || kk.ID == k.ID && kk.Processor == "vector-index"
	}
	if !found {
		t.Error("FindKeys does not show the key's processor")
	}
	c := &convstore.ConfirmationCreate{Processor: "analytics"}
	if err := c.ResolveFor(got); convstore.ErrorCode(err) != convstore.EFORBIDDEN {
		t.Errorf("a vector-index key confirming for analytics: %v, want EFORBIDDEN", err)
	}
	c = &convstore.ConfirmationCreate{}
	if err := c.ResolveFor(got); err != nil || c.Processor != "vector-index" {
		t.Errorf("a vector-index key confirming without naming it: %v, %q", err, c.Processor)
	}
	c = &convstore.ConfirmationCreate{}
	if err := c.ResolveFor(&convstore.APIKey{Scopes: []convstore.Scope{convstore.ScopeAdmin}}); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("an admin key confirming without a processor: %v, want EINVALID", err)
	}
}

// An erasure job reports how many of its receipts are complete, pending
// and overdue.
func testConfirmErasureAggregate(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	mustProcessor(t, ctx, svc, a, "vector-index", time.Hour)
	for range 3 {
		MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{UserID: "erased"})
	}
	job, err := svc.CreateErasure(ctx, a, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "erased"}}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	list, _, err := svc.FindDeletions(ctx, a, convstore.DeletionFilter{ErasureID: job.ID})
	if err != nil || len(list) != 3 {
		t.Fatalf("the job's receipts: %v, %d", err, len(list))
	}
	for _, d := range list {
		if len(d.Confirmations) != 1 {
			t.Fatalf("an erasure job's receipt has %d confirmations, want 1", len(d.Confirmations))
		}
	}
	if _, _, err := svc.ConfirmDeletion(ctx, a, list[0].ID, &convstore.ConfirmationCreate{Processor: "vector-index"}, operator); err != nil {
		t.Fatal(err)
	}
	got, err := svc.FindErasureByID(ctx, a, job.ID)
	if err != nil || got.Confirmations == nil || *got.Confirmations != (convstore.ConfirmationCounts{Complete: 1, Pending: 2}) {
		t.Fatalf("FindErasureByID confirmations = %+v, %v; want 1 complete, 2 pending", got.Confirmations, err)
	}
	clock.Advance(2 * time.Hour)
	got, err = svc.FindErasureByID(ctx, a, job.ID)
	if err != nil || *got.Confirmations != (convstore.ConfirmationCounts{Complete: 1, Pending: 2, Overdue: 2}) {
		t.Fatalf("past the deadline = %+v, %v; want 2 overdue", got.Confirmations, err)
	}
}

// A conversation restored within its window was not erased: its
// confirmations are withdrawn.
func testConfirmRestored(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	mustProcessor(t, ctx, svc, a, "vector-index", 0)
	if err := svc.SetRestoreWindow(ctx, a, 7, operator); err != nil {
		t.Fatal(err)
	}
	d := deleteOne(t, ctx, svc, a)
	if _, err := svc.RestoreConversation(ctx, a, d.ConversationID, operator); err != nil {
		t.Fatal(err)
	}
	got := mustReceipt(t, ctx, svc, a, d.ID)
	if s := states(got); s["vector-index"] != convstore.ConfirmationWithdrawn || !got.Complete() {
		t.Fatalf("restored: %v, complete %v; want withdrawn, complete", s, got.Complete())
	}
}

// Processors: create (name and deadline checked, default 72h, names
// unique in the tenant), list by name, update, delete.
func testConfirmProcessors(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	for _, c := range []*convstore.ProcessorCreate{
		{Name: ""}, {Name: "Vector"}, {Name: "a_b"}, {Name: string(make([]byte, 65))},
		{Name: "ok", Deadline: 91 * 24 * time.Hour}, {Name: "ok", Deadline: -time.Hour},
	} {
		if _, err := svc.CreateProcessor(ctx, a, c, operator); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("CreateProcessor(%q, %v): %v, want EINVALID", c.Name, c.Deadline, err)
		}
	}
	p := mustProcessor(t, ctx, svc, a, "vector-index", 0)
	if p.Deadline != convstore.DefaultProcessorDeadline {
		t.Errorf("default deadline %v", p.Deadline)
	}
	if _, err := svc.CreateProcessor(ctx, a, &convstore.ProcessorCreate{Name: "vector-index"}, operator); convstore.ErrorCode(err) != convstore.ECONFLICT {
		t.Errorf("a second vector-index: %v, want ECONFLICT", err)
	}
	mustProcessor(t, ctx, svc, a, "analytics", 24*time.Hour)
	list, err := svc.FindProcessors(ctx, a)
	if err != nil || len(list) != 2 || list[0].Name != "analytics" || list[1].Name != "vector-index" {
		t.Fatalf("FindProcessors = %v, %+v", err, list)
	}
	d := 48 * time.Hour
	up, err := svc.UpdateProcessor(ctx, a, "vector-index", &convstore.ProcessorUpdate{Deadline: &d}, operator)
	if err != nil || up.Deadline != d || up.ID != p.ID {
		t.Fatalf("UpdateProcessor = %+v, %v", up, err)
	}
	if got, err := svc.FindProcessor(ctx, a, "vector-index"); err != nil || got.Deadline != d {
		t.Fatalf("FindProcessor = %+v, %v", got, err)
	}
	if _, err := svc.UpdateProcessor(ctx, a, "missing", &convstore.ProcessorUpdate{Deadline: &d}, operator); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("updating a missing processor: %v", err)
	}
}

// Processors confirming one receipt at once, and each twice: every
// confirmation is recorded once, and exactly one of them completes the
// receipt (one deletion.completed event), on every engine (PostgreSQL
// runs them concurrently, on their own connections).
func testConfirmConcurrent(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	const n = 6
	for i := range n {
		mustProcessor(t, ctx, svc, a, fmt.Sprintf("p%d", i), 0)
	}
	d := deleteOne(t, ctx, svc, a)
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, err := svc.ConfirmDeletion(ctx, a, d.ID, &convstore.ConfirmationCreate{Processor: fmt.Sprintf("p%d", i%n)}, operator)
			if err != nil {
				t.Errorf("ConfirmDeletion(p%d): %v", i%n, err)
			}
			if ok {
				mu.Lock()
				recorded++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if recorded != n {
		t.Errorf("%d confirmations recorded, want %d (each processor once)", recorded, n)
	}
	if got := mustReceipt(t, ctx, svc, a, d.ID); !got.Complete() {
		t.Fatalf("not complete: %v", states(got))
	}
	if c := countTypes(allEvents(t, ctx, svc, a))[convstore.EventDeletionCompleted]; c != 1 {
		t.Fatalf("%d deletion.completed events, want 1", c)
	}
}
