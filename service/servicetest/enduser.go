package servicetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
)

// RunEndUsers runs the tests of end-user records (convstore.EndUser) on
// sealed services it opens over newDatabase's databases.
func RunEndUsers(t *testing.T, newDatabase NewDatabaseFunc) {
	runSealedCases(t, newDatabase, []sealedCase{
		{"Lifecycle", testEndUserLifecycle},
		{"Isolation", testEndUserIsolation},
		{"Sealed", testEndUserSealed},
		{"Delete", testEndUserDelete},
		{"Erasure", testEndUserErasure},
		{"Rotation", testEndUserRotation},
		{"Reindex", testEndUserReindex},
		{"Restore", testEndUserRestore},
	})
}

// rawEndUsers reads every stored record of the tenant under the service.
func rawEndUsers(t *testing.T, ctx context.Context, db *Database, tenantID convstore.ID) []*driver.EndUserRow {
	t.Helper()
	drv := db.Open(t)
	t.Cleanup(func() { _ = drv.Close() })
	rows, err := drv.Reads().EndUserList(ctx, &driver.EndUserListParams{TenantID: tenantID, Page: driver.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Create, find by user id, get-or-create, update, list by metadata and
// page, with the inputs' checks; records are no conversations.
func testEndUserLifecycle(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	ann, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_ann", Name: "Ann", Metadata: convstore.Metadata{"bot": "x", "tag": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.FindEndUserByUserID(ctx, a, "user_ann")
	if err != nil || got.ID != ann.ID || got.Name != "Ann" || got.Metadata["tag"] != "1" || !got.CreatedAt.Equal(ann.CreatedAt) {
		t.Errorf("FindEndUserByUserID = %+v, %v; want %+v", got, err, ann)
	}
	if _, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_ann"}); convstore.ErrorCode(err) != convstore.ECONFLICT {
		t.Errorf("a second record of user_ann: %v, want ECONFLICT", err)
	}
	for _, c := range []*convstore.EndUserCreate{nil, {}, {UserID: "a\x00b"}, {UserID: "u", Metadata: convstore.Metadata{"": "x"}}} {
		if _, err := svc.CreateEndUser(ctx, a, c); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("CreateEndUser(%+v) = %v, want EINVALID", c, err)
		}
	}
	bob, created, err := svc.FindOrCreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_bob", ExternalID: "key-bob", Metadata: convstore.Metadata{"bot": "x"}})
	if err != nil || !created {
		t.Fatalf("FindOrCreateEndUser = %+v, %v, %v", bob, created, err)
	}
	again, created, err := svc.FindOrCreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_other", ExternalID: "key-bob"})
	if err != nil || created || again.ID != bob.ID || again.UserID != "user_bob" {
		t.Errorf("FindOrCreateEndUser again = %+v, %v, %v; want bob found", again, created, err)
	}
	name, meta := "Bob B.", convstore.Metadata{"bot": "y"}
	up, err := svc.UpdateEndUser(ctx, a, bob.ID, &convstore.EndUserUpdate{Name: &name, Metadata: &meta})
	if err != nil || up.Name != name || up.Metadata["bot"] != "y" || up.UserID != "user_bob" || up.UpdatedAt.Before(bob.UpdatedAt) {
		t.Errorf("UpdateEndUser = %+v, %v", up, err)
	}
	carl, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_carl", Metadata: convstore.Metadata{"bot": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	list := func(f convstore.EndUserFilter) []string {
		t.Helper()
		us, _, err := svc.FindEndUsers(ctx, a, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.UserID)
		}
		return out
	}
	if got := list(convstore.EndUserFilter{Metadata: convstore.Metadata{"bot": "x"}}); len(got) != 2 || got[0] != "user_carl" || got[1] != "user_ann" {
		t.Errorf("bot x's users, newest first: %v", got)
	}
	if got := list(convstore.EndUserFilter{Metadata: convstore.Metadata{"bot": "y"}}); len(got) != 1 || got[0] != "user_bob" {
		t.Errorf("bot y's users after the update: %v", got)
	}
	page1, more, err := svc.FindEndUsers(ctx, a, convstore.EndUserFilter{PageFilter: convstore.PageFilter{Limit: 2, Order: convstore.OrderAsc}})
	if err != nil || !more || len(page1) != 2 || page1[0].ID != ann.ID {
		t.Fatalf("first page %v, %v, %v", page1, more, err)
	}
	page2, more, err := svc.FindEndUsers(ctx, a, convstore.EndUserFilter{PageFilter: convstore.PageFilter{Limit: 2, Order: convstore.OrderAsc, After: page1[1].ID}})
	if err != nil || more || len(page2) != 1 || page2[0].ID != carl.ID {
		t.Errorf("second page %v, %v, %v", page2, more, err)
	}
	if n, err := svc.CountConversations(ctx, a, convstore.ConversationFilter{}); err != nil || n != 0 {
		t.Errorf("conversations: %d, %v; records are none", n, err)
	}
}

// Another tenant's record is missing to every method, as an unknown one.
func testEndUserIsolation(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	ta, _ := MustCreateTenant(t, ctx, svc, uniqueName("a"))
	tb, _ := MustCreateTenant(t, ctx, svc, uniqueName("b"))
	u, err := svc.CreateEndUser(ctx, ta.ID, &convstore.EndUserCreate{UserID: "user_1", ExternalID: "k", Metadata: convstore.Metadata{"bot": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	name := "x"
	for what, err := range map[string]error{
		"find": func() error { _, err := svc.FindEndUserByUserID(ctx, tb.ID, "user_1"); return err }(),
		"update": func() error {
			_, err := svc.UpdateEndUser(ctx, tb.ID, u.ID, &convstore.EndUserUpdate{Name: &name})
			return err
		}(),
		"delete":  func() error { _, err := svc.DeleteEndUser(ctx, tb.ID, u.ID, operator); return err }(),
		"unknown": func() error { _, err := svc.DeleteEndUser(ctx, ta.ID, convstore.NewID(), operator); return err }(),
	} {
		if convstore.ErrorCode(err) != convstore.ENOTFOUND || convstore.ErrorMessage(err) != convstore.ErrorMessage(convstore.NotFound("end user")) {
			t.Errorf("%s: %v, want ENOTFOUND end user", what, err)
		}
	}
	if us, _, err := svc.FindEndUsers(ctx, tb.ID, convstore.EndUserFilter{}); err != nil || len(us) != 0 {
		t.Errorf("tenant b lists %v, %v", us, err)
	}
	// Another tenant may use the same ids.
	if _, created, err := svc.FindOrCreateEndUser(ctx, tb.ID, &convstore.EndUserCreate{UserID: "user_1", ExternalID: "k"}); err != nil || !created {
		t.Errorf("tenant b's own user_1: %v, %v", created, err)
	}
}

// Name, user id, external id and metadata are stored sealed under the
// record's own key (wrapped in its row), never in plaintext.
func testEndUserSealed(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	const canary = "CANARY-7f3a"
	_, err := svc.CreateEndUser(ctx, tenant.ID, &convstore.EndUserCreate{UserID: "user_" + canary, ExternalID: "ext-" + canary,
		Name: "name " + canary, Metadata: convstore.Metadata{"tag": canary}})
	if err != nil {
		t.Fatal(err)
	}
	rows := rawEndUsers(t, ctx, db, tenant.ID)
	if len(rows) != 1 {
		t.Fatalf("%d stored records", len(rows))
	}
	r := rows[0]
	for col, v := range map[string][]byte{"user_id": []byte(r.UserID), "external_id": []byte(r.ExternalID), "name": []byte(r.Name),
		"metadata": r.Meta, "user_idx": r.UserIndex, "wrapped_key": r.WrappedKey} {
		if len(v) == 0 || bytes.Contains(v, []byte(canary)) {
			t.Errorf("%s stored as %q: want sealed (or a blind index), without the plaintext", col, v)
		}
	}
	if r.KeyEpoch != db.Keyring.Current().ID {
		t.Errorf("key epoch %d, want the current %d", r.KeyEpoch, db.Keyring.Current().ID)
	}
}

// A delete is refused while a hold on the user id stands, then deletes
// the row and its key at once, with a receipt (of kind end user, purged)
// and an audit entry, all without content.
func testEndUserDelete(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	u, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_held", Name: "Held"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := svc.CreateHold(ctx, a, &convstore.HoldCreate{UserID: "user_held", Reason: "matter 1"}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteEndUser(ctx, a, u.ID, operator); convstore.ErrorCode(err) != convstore.EHELD {
		t.Fatalf("delete under a hold: %v, want EHELD", err)
	}
	if err := svc.DeleteHold(ctx, a, h.ID, operator); err != nil {
		t.Fatal(err)
	}
	p := convstore.DeleteParams{Door: "servicetest", RequestID: "req_1"}
	d, err := svc.DeleteEndUser(ctx, a, u.ID, p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != convstore.DeletionEndUser || d.ConversationID != u.ID || d.PurgedAt == nil || d.KeyEpoch != db.Keyring.Current().ID ||
		d.Door != "servicetest" || d.RequestID != "req_1" {
		t.Errorf("receipt %+v", d)
	}
	stored, err := svc.FindDeletionByID(ctx, a, d.ID)
	if err != nil || stored.Kind != convstore.DeletionEndUser || stored.ConversationID != u.ID {
		t.Errorf("stored receipt %+v, %v", stored, err)
	}
	if rows := rawEndUsers(t, ctx, db, a); len(rows) != 0 {
		t.Errorf("rows left after the delete: %d (with their keys)", len(rows))
	}
	if _, err := svc.FindEndUserByUserID(ctx, a, "user_held"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("after the delete: %v", err)
	}
	if _, err := svc.DeleteEndUser(ctx, a, u.ID, p); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("a second delete: %v", err)
	}
	entries, _, err := svc.FindAuditEntries(ctx, a, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Action == convstore.AuditEndUserDelete {
			found = e.ConversationID == u.ID && e.TargetID == d.ID && e.Door == "servicetest"
		}
	}
	if !found {
		t.Errorf("no %s audit entry naming the record and receipt in %v", convstore.AuditEndUserDelete, entries)
	}
}

// An erasure of a user id deletes that user's record with their
// conversations (the record's receipt joins the job's, its counts stay
// the conversations'); an erasure narrowed by another criterion leaves it.
func testEndUserErasure(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	for _, id := range []string{"user_a", "user_b"} {
		if _, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: id}); err != nil {
			t.Fatal(err)
		}
		MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{AgentID: "bot", UserID: id})
	}
	run := func(sel convstore.ErasureSelector) *convstore.Erasure {
		t.Helper()
		job, err := svc.CreateErasure(ctx, a, &convstore.ErasureCreate{Selector: sel}, operator)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
			t.Fatal(err)
		}
		if job, err = svc.FindErasureByID(ctx, a, job.ID); err != nil || job.State != convstore.ErasureSucceeded {
			t.Fatalf("job %+v, %v", job, err)
		}
		return job
	}
	narrowed := run(convstore.ErasureSelector{UserID: "user_b", AgentID: "bot"})
	if narrowed.Done.Conversations != 1 {
		t.Errorf("narrowed job %+v", narrowed.Done)
	}
	if _, err := svc.FindEndUserByUserID(ctx, a, "user_b"); err != nil {
		t.Errorf("user_b's record after an erasure of their conversations with one agent: %v", err)
	}
	job := run(convstore.ErasureSelector{UserID: "user_a"})
	if job.Done.Conversations != 1 {
		t.Errorf("job counts %+v, want 1 conversation", job.Done)
	}
	if _, err := svc.FindEndUserByUserID(ctx, a, "user_a"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("user_a's record after their erasure: %v", err)
	}
	dels, _, err := svc.FindDeletions(ctx, a, convstore.DeletionFilter{ErasureID: job.ID})
	if err != nil || len(dels) != 2 {
		t.Fatalf("the job's receipts %v, %v", dels, err)
	}
	kinds := map[string]int{}
	for _, d := range dels {
		kinds[d.Kind]++
	}
	if kinds[""] != 1 || kinds[convstore.DeletionEndUser] != 1 {
		t.Errorf("receipt kinds %v", kinds)
	}
	// Run again (a job resumed after a crash): nothing is deleted twice.
	if n, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil || n != 0 {
		t.Errorf("RunErasures with nothing queued = %d, %v", n, err)
	}
}

// A rotation re-wraps the records' keys, so they open once the old epoch
// is destroyed; a deleted record's receipt is then marked shredded.
func testEndUserRotation(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	kept, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_kept", Name: "Kept", Metadata: convstore.Metadata{"bot": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_gone", Name: "Gone"})
	if err != nil {
		t.Fatal(err)
	}
	first := db.Keyring.Current().ID
	d, err := svc.DeleteEndUser(ctx, a, gone.ID, operator)
	if err != nil {
		t.Fatal(err)
	}
	mustRotatePast(t, ctx, svc, db, first)
	if rows := rawEndUsers(t, ctx, db, a); len(rows) != 1 || rows[0].KeyEpoch == first {
		t.Errorf("stored records after the rotation: %+v", rows)
	}
	// A new node: no cached key.
	fresh := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	got, _, err := fresh.FindEndUsers(ctx, a, convstore.EndUserFilter{Metadata: convstore.Metadata{"bot": "x"}})
	if err != nil || len(got) != 1 || got[0].ID != kept.ID || got[0].Name != "Kept" {
		t.Errorf("after the rotation: %v, %v", got, err)
	}
	if r, err := svc.FindDeletionByID(ctx, a, d.ID); err != nil || r.ShreddedAt == nil {
		t.Errorf("the deleted record's receipt %+v, %v: want shredded", r, err)
	}
}

// A re-index after a rotation of the index root recomputes the records'
// indexes: once the old root is destroyed, lookups by user id, external
// id and metadata still find them, and a hold on a user id (carried to
// the new root with the record) still refuses its delete.
func testEndUserReindex(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	u, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_r", ExternalID: "key-r", Metadata: convstore.Metadata{"bot": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateHold(ctx, a, &convstore.HoldCreate{UserID: "user_r", Reason: "matter"}, operator); err != nil {
		t.Fatal(err)
	}
	old := svc.IndexRoots()
	if _, err := svc.RotateIndexRoot(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := svc.Reindex(ctx, service.ReindexOptions{})
	if err != nil || !p.Done || p.EndUsers != 1 || len(p.Destroyed) != len(old) {
		t.Fatalf("Reindex = %+v, %v; want done with 1 end user, the old root destroyed", p, err)
	}
	fresh := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	if got, err := fresh.FindEndUserByUserID(ctx, a, "user_r"); err != nil || got.ID != u.ID {
		t.Errorf("by user id after the re-index: %v, %v", got, err)
	}
	if got, created, err := fresh.FindOrCreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_x", ExternalID: "key-r"}); err != nil || created || got.ID != u.ID {
		t.Errorf("by external id after the re-index: %v, %v, %v", got, created, err)
	}
	if got, _, err := fresh.FindEndUsers(ctx, a, convstore.EndUserFilter{Metadata: convstore.Metadata{"bot": "x"}}); err != nil || len(got) != 1 {
		t.Errorf("by metadata after the re-index: %v, %v", got, err)
	}
	if _, err := fresh.DeleteEndUser(ctx, a, u.ID, operator); convstore.ErrorCode(err) != convstore.EHELD {
		t.Errorf("delete under the carried hold: %v, want EHELD", err)
	}
}

// What a restore carries over from the live database into a backup: an
// end-user record's receipt the backup lacks deletes the record again
// (once), and the records' keys are listed and adopted with the
// conversations'.
func testEndUserRestore(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	gone, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_gone"})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := svc.CreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_kept", Name: "Kept"})
	if err != nil {
		t.Fatal(err)
	}
	d := &convstore.Deletion{ID: convstore.NewID(), TenantID: a, Kind: convstore.DeletionEndUser, ConversationID: gone.ID,
		Door: "botpress", CreatedAt: time.Now().UTC().Truncate(time.Second)}
	d.PurgedAt = &d.CreatedAt
	for range 2 {
		r, err := svc.ReapplyDeletions(ctx, []*convstore.Deletion{d})
		if err != nil {
			t.Fatal(err)
		}
		if r.Conversations != 0 || (r.EndUsers != 1) != (r.Receipts == 0) {
			t.Errorf("ReapplyDeletions = %+v", r)
		}
	}
	if _, err := svc.FindEndUserByUserID(ctx, a, "user_gone"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the record after its receipt was re-applied: %v", err)
	}
	if got, err := svc.FindDeletionByID(ctx, a, d.ID); err != nil || got.Kind != convstore.DeletionEndUser {
		t.Errorf("the re-applied receipt: %+v, %v", got, err)
	}
	var keys []*driver.ConversationKey
	if err := svc.EachConversationKeyBatch(ctx, func(batch []*driver.ConversationKey) error {
		keys = append(keys, batch...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ConversationID != kept.ID {
		t.Fatalf("keys carried over: %+v, want the kept record's", keys)
	}
	if n, err := svc.AdoptKeys(ctx, keys); err != nil || n != 1 {
		t.Errorf("AdoptKeys = %d, %v; want the record's key adopted", n, err)
	}
	if got, err := svc.FindEndUserByUserID(ctx, a, "user_kept"); err != nil || got.Name != "Kept" {
		t.Errorf("the kept record after adopting its key: %+v, %v", got, err)
	}
}

// mustRotatePast rotates the keys, destroying every older epoch, and fails
// unless the rotation re-wrapped a key and epoch first is destroyed.
func mustRotatePast(t *testing.T, ctx context.Context, svc *service.Service, db *Database, first uint32) {
	t.Helper()
	rot, err := svc.RotateKeys(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Rewrapped < 1 {
		t.Errorf("rotation %+v: want a key re-wrapped", rot)
	}
	for _, e := range db.Keyring.Epochs() {
		if e.ID == first && e.Destroyed.IsZero() {
			t.Fatalf("epoch %d is not destroyed after the rotation", first)
		}
	}
}
