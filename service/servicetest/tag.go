package servicetest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
)

// RunTags runs the tests of tag definitions and conversations' tags
// (convstore.TagService) on sealed services it opens over newDatabase's
// databases.
func RunTags(t *testing.T, newDatabase NewDatabaseFunc) {
	runSealedCases(t, newDatabase, []sealedCase{
		{"Lifecycle", testTagLifecycle},
		{"Links", testTagLinks},
		{"Isolation", testTagIsolation},
		{"Sealed", testTagSealed},
		{"Rotation", testTagRotation},
		{"Restore", testTagRestore},
		{"Concurrent", testTagConcurrent},
	})
}

// rawTags reads every stored tag of the tenant under the service.
func rawTags(t *testing.T, ctx context.Context, db *Database, tenantID convstore.ID) []*driver.TagRow {
	t.Helper()
	drv := db.Open(t)
	t.Cleanup(func() { _ = drv.Close() })
	rows, err := drv.Reads().TagList(ctx, tenantID, driver.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func mustTag(t *testing.T, ctx context.Context, s convstore.Store, tenantID convstore.ID, title string) *convstore.Tag {
	t.Helper()
	tag, err := s.CreateTag(ctx, tenantID, &convstore.TagCreate{Title: title}, convstore.ID{})
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func strp(s string) *string { return &s }

// Create, find, page (newest first), update and delete, with the inputs'
// checks.
func testTagLifecycle(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, key := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	x, err := svc.CreateTag(ctx, a, &convstore.TagCreate{Title: "Billing", Description: "line 1\nline 2"}, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if x.CreatedBy != key.ID || x.TenantID != a || x.CreatedAt.IsZero() {
		t.Errorf("created %+v", x)
	}
	got, err := svc.FindTagByID(ctx, a, x.ID)
	if err != nil || got.Title != "Billing" || got.Description != "line 1\nline 2" || got.CreatedBy != key.ID ||
		!got.CreatedAt.Equal(x.CreatedAt) {
		t.Errorf("FindTagByID = %+v, %v; want %+v", got, err, x)
	}
	for _, c := range []*convstore.TagCreate{nil, {}, {Title: "a\x00b"}, {Title: "a\nb"}, {Title: string(make([]byte, convstore.MaxTagTitleLen+1))},
		{Title: "a", Description: string(bytes.Repeat([]byte("x"), convstore.MaxTagDescriptionLen+1))}} {
		if _, err := svc.CreateTag(ctx, a, c, convstore.ID{}); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("CreateTag(%+v) = %v, want EINVALID", c, err)
		}
	}
	y := mustTag(t, ctx, svc, a, "Billing") // titles need not be unique
	z := mustTag(t, ctx, svc, a, "Refund")
	page, more, err := svc.FindTags(ctx, a, convstore.TagFilter{PageFilter: convstore.PageFilter{Limit: 2}})
	if err != nil || !more || len(page) != 2 || page[0].ID != z.ID || page[1].ID != y.ID {
		t.Fatalf("page 1: %v, %v, %v", page, more, err)
	}
	page, more, err = svc.FindTags(ctx, a, convstore.TagFilter{PageFilter: convstore.PageFilter{Limit: 2, After: y.ID}})
	if err != nil || more || len(page) != 1 || page[0].ID != x.ID || page[0].Title != "Billing" {
		t.Fatalf("page 2: %v, %v, %v", page, more, err)
	}
	if _, _, err := svc.FindTags(ctx, a, convstore.TagFilter{PageFilter: convstore.PageFilter{Limit: -1}}); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("a bad page: %v", err)
	}

	up, err := svc.UpdateTag(ctx, a, x.ID, &convstore.TagUpdate{Title: strp("Bills")})
	if err != nil || up.Title != "Bills" || up.Description != "line 1\nline 2" || up.UpdatedAt.Before(x.UpdatedAt) {
		t.Errorf("UpdateTag = %+v, %v", up, err)
	}
	if up, err = svc.UpdateTag(ctx, a, x.ID, &convstore.TagUpdate{Description: strp("")}); err != nil || up.Title != "Bills" || up.Description != "" {
		t.Errorf("UpdateTag description = %+v, %v", up, err)
	}
	if got, _ := svc.FindTagByID(ctx, a, x.ID); got == nil || got.Title != "Bills" || got.Description != "" {
		t.Errorf("after the updates %+v", got)
	}
	for _, u := range []*convstore.TagUpdate{nil, {Title: strp("")}, {Title: strp("a\x01")}} {
		if _, err := svc.UpdateTag(ctx, a, x.ID, u); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("UpdateTag(%+v) = %v, want EINVALID", u, err)
		}
	}
	missing := convstore.NewID()
	if _, err := svc.UpdateTag(ctx, a, missing, &convstore.TagUpdate{Title: strp("x")}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("UpdateTag of a missing tag: %v", err)
	}

	p := convstore.DeleteParams{Door: "servicetest", RequestID: "req_1"}
	if err := svc.DeleteTag(ctx, a, x.ID, p); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FindTagByID(ctx, a, x.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("FindTagByID after the delete: %v", err)
	}
	if err := svc.DeleteTag(ctx, a, x.ID, p); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("DeleteTag again: %v", err)
	}
	entries, _, err := svc.FindAuditEntries(ctx, a, convstore.AuditFilter{Action: convstore.AuditTagDelete})
	if err != nil || len(entries) != 1 || entries[0].TargetID != x.ID || entries[0].RequestID != "req_1" {
		t.Errorf("audit entries %+v, %v", entries, err)
	}
}

// Attach and detach, all or none, the bounds, and links going with their
// tag and their conversation.
func testTagLinks(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	h := &Harness{RowCounts: db.RowCounts, ConversationRows: db.ConversationRows}
	c1, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{})
	c2, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{})
	x, y := mustTag(t, ctx, svc, a, "x"), mustTag(t, ctx, svc, a, "y")
	ids := func(c *convstore.Conversation) []convstore.ID {
		t.Helper()
		m, err := svc.ConversationTagIDs(ctx, a, []convstore.ID{c.ID})
		if err != nil {
			t.Fatal(err)
		}
		return m[c.ID]
	}
	if err := svc.AddConversationTags(ctx, a, c1.ID, []convstore.ID{x.ID, y.ID, x.ID}); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddConversationTags(ctx, a, c1.ID, []convstore.ID{y.ID}); err != nil { // attached already
		t.Fatal(err)
	}
	if got := ids(c1); len(got) != 2 {
		t.Fatalf("c1 tags %v", got)
	}
	// All or none: a missing tag attaches nothing.
	if err := svc.AddConversationTags(ctx, a, c2.ID, []convstore.ID{x.ID, convstore.NewID()}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("a missing tag: %v", err)
	}
	if got := ids(c2); len(got) != 0 {
		t.Errorf("c2 tags after a failed add: %v", got)
	}
	if err := svc.AddConversationTags(ctx, a, c2.ID, nil); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("no tags: %v", err)
	}
	if err := svc.AddConversationTags(ctx, a, convstore.NewID(), []convstore.ID{x.ID}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("a missing conversation: %v", err)
	}
	// The bound on a conversation's tags.
	many := make([]convstore.ID, convstore.MaxConversationTags)
	for i := range many {
		many[i] = mustTag(t, ctx, svc, a, "m").ID
	}
	if err := svc.AddConversationTags(ctx, a, c2.ID, many); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddConversationTags(ctx, a, c2.ID, []convstore.ID{x.ID}); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("one tag over the bound: %v", err)
	}
	if got := ids(c2); len(got) != convstore.MaxConversationTags {
		t.Errorf("c2 carries %d tags", len(got))
	}

	// Detach: a tag not carried is no error; a missing tag is ENOTFOUND.
	if err := svc.RemoveConversationTag(ctx, a, c1.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveConversationTag(ctx, a, c1.ID, x.ID); err != nil {
		t.Errorf("detaching again: %v", err)
	}
	if got := ids(c1); len(got) != 1 || got[0] != y.ID {
		t.Errorf("c1 tags after the detach: %v", got)
	}
	if err := svc.RemoveConversationTag(ctx, a, c1.ID, convstore.NewID()); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("detaching a missing tag: %v", err)
	}

	// A tag's delete detaches it everywhere.
	if err := svc.DeleteTag(ctx, a, y.ID, operator); err != nil {
		t.Fatal(err)
	}
	if got := ids(c1); len(got) != 0 {
		t.Errorf("c1 tags after the tag's delete: %v", got)
	}
	// A conversation's delete (and purge) takes its links; its tags stay.
	if _, err := svc.DeleteConversation(ctx, a, c2.ID, operator); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddConversationTags(ctx, a, c2.ID, []convstore.ID{x.ID}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("tagging a deleted conversation: %v", err)
	}
	if _, err := svc.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if rows := nonZero(MustConversationRows(t, ctx, h, c2.ID)); len(rows) != 0 {
		t.Errorf("rows of the purged conversation: %v", rows)
	}
	if n := MustRowCounts(t, ctx, h)["conversation_tags"]; n != 0 {
		t.Errorf("%d links left", n)
	}
	if _, err := svc.FindTagByID(ctx, a, many[0]); err != nil {
		t.Errorf("a tag after its conversation's delete: %v", err)
	}
}

// Another tenant's tags and conversations are missing ones.
func testTagIsolation(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	ta, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	tb, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a, b := ta.ID, tb.ID
	ca, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{})
	cb, _ := MustCreateConversation(t, ctx, svc, b, &convstore.ConversationCreate{})
	xa, xb := mustTag(t, ctx, svc, a, "a"), mustTag(t, ctx, svc, b, "b")
	if err := svc.AddConversationTags(ctx, a, ca.ID, []convstore.ID{xa.ID}); err != nil {
		t.Fatal(err)
	}
	notFound := func(what string, err error) {
		t.Helper()
		if convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", what, err)
		}
	}
	_, err := svc.FindTagByID(ctx, b, xa.ID)
	notFound("find", err)
	_, err = svc.UpdateTag(ctx, b, xa.ID, &convstore.TagUpdate{Title: strp("z")})
	notFound("update", err)
	notFound("delete", svc.DeleteTag(ctx, b, xa.ID, operator))
	notFound("attach a foreign tag", svc.AddConversationTags(ctx, b, cb.ID, []convstore.ID{xa.ID}))
	notFound("attach to a foreign conversation", svc.AddConversationTags(ctx, b, ca.ID, []convstore.ID{xb.ID}))
	notFound("detach from a foreign conversation", svc.RemoveConversationTag(ctx, b, ca.ID, xa.ID))
	notFound("detach a foreign tag", svc.RemoveConversationTag(ctx, b, cb.ID, xa.ID))
	if m, err := svc.ConversationTagIDs(ctx, b, []convstore.ID{ca.ID}); err != nil || len(m) != 0 {
		t.Errorf("B's view of A's conversation's tags: %v, %v", m, err)
	}
	if list, _, err := svc.FindTags(ctx, b, convstore.TagFilter{}); err != nil || len(list) != 1 || list[0].ID != xb.ID {
		t.Errorf("B's tags: %v, %v", list, err)
	}
	if got, err := svc.FindTagByID(ctx, a, xa.ID); err != nil || got.Title != "a" {
		t.Errorf("A's tag after B's calls: %+v, %v", got, err)
	}
	if m, _ := svc.ConversationTagIDs(ctx, a, []convstore.ID{ca.ID}); len(m[ca.ID]) != 1 {
		t.Errorf("A's conversation's tags after B's calls: %v", m)
	}
}

// Titles and descriptions are stored sealed under the tag's own key.
func testTagSealed(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	const canary = "CANARY-9b1e"
	tag, err := svc.CreateTag(ctx, tenant.ID, &convstore.TagCreate{Title: "title " + canary, Description: "desc " + canary}, convstore.ID{})
	if err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		rows := rawTags(t, ctx, db, tenant.ID)
		if len(rows) != 1 {
			t.Fatalf("%d stored tags", len(rows))
		}
		r := rows[0]
		for col, v := range map[string][]byte{"title": []byte(r.Title), "description": []byte(r.Description), "wrapped_key": r.WrappedKey} {
			if len(v) == 0 || bytes.Contains(v, []byte(canary)) {
				t.Errorf("%s stored as %q: want sealed, without the plaintext", col, v)
			}
		}
		if r.KeyEpoch != db.Keyring.Current().ID {
			t.Errorf("key epoch %d, want the current %d", r.KeyEpoch, db.Keyring.Current().ID)
		}
	}
	check()
	if _, err := svc.UpdateTag(ctx, tenant.ID, tag.ID, &convstore.TagUpdate{Title: strp("new " + canary)}); err != nil {
		t.Fatal(err)
	}
	check()
	// A new node opens it (no cached key).
	fresh := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	if got, err := fresh.FindTagByID(ctx, tenant.ID, tag.ID); err != nil || got.Title != "new "+canary || got.Description != "desc "+canary {
		t.Errorf("reopened %+v, %v", got, err)
	}
}

// A rotation re-wraps the tags' keys, so the old epoch can be destroyed
// and the tags still open.
func testTagRotation(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	kept := mustTag(t, ctx, svc, a, "Kept")
	gone := mustTag(t, ctx, svc, a, "Gone")
	first := db.Keyring.Current().ID
	if err := svc.DeleteTag(ctx, a, gone.ID, operator); err != nil {
		t.Fatal(err)
	}
	mustRotatePast(t, ctx, svc, db, first)
	if rows := rawTags(t, ctx, db, a); len(rows) != 1 || rows[0].KeyEpoch == first {
		t.Errorf("stored tags after the rotation: %+v", rows)
	}
	fresh := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	if got, err := fresh.FindTagByID(ctx, a, kept.ID); err != nil || got.Title != "Kept" {
		t.Errorf("after the rotation: %+v, %v", got, err)
	}
}

// A restore carries the tags' keys into the backup, and a tag deleted
// after the backup is deleted again.
func testTagRestore(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	kept := mustTag(t, ctx, svc, a, "Kept")
	gone := mustTag(t, ctx, svc, a, "Gone")
	e := &convstore.AuditEntry{ID: convstore.NewID(), TenantID: a, Action: convstore.AuditTagDelete, TargetID: gone.ID,
		Door: "elevenlabs", CreatedAt: kept.CreatedAt}
	for range 2 {
		r, err := svc.ReapplyAudit(ctx, []*convstore.AuditEntry{e})
		if err != nil {
			t.Fatal(err)
		}
		if (r.Tags == 1) != (r.Entries == 1) {
			t.Errorf("ReapplyAudit = %+v", r)
		}
	}
	if _, err := svc.FindTagByID(ctx, a, gone.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the tag after its delete was re-applied: %v", err)
	}
	var keys []*driver.ConversationKey
	if err := svc.EachConversationKeyBatch(ctx, func(batch []*driver.ConversationKey) error {
		keys = append(keys, batch...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ConversationID != kept.ID {
		t.Fatalf("keys carried over: %+v, want the kept tag's", keys)
	}
	if n, err := svc.AdoptKeys(ctx, keys); err != nil || n != 1 {
		t.Errorf("AdoptKeys = %d, %v; want the tag's key adopted", n, err)
	}
	if got, err := svc.FindTagByID(ctx, a, kept.ID); err != nil || got.Title != "Kept" {
		t.Errorf("the kept tag after adopting its key: %+v, %v", got, err)
	}
}

// Concurrent adds of the same tags in opposite orders to one conversation
// neither deadlock nor fail, and leave each link once.
func testTagConcurrent(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	a := tenant.ID
	c, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{})
	x, y, z := mustTag(t, ctx, svc, a, "x"), mustTag(t, ctx, svc, a, "y"), mustTag(t, ctx, svc, a, "z")
	orders := [][]convstore.ID{{x.ID, y.ID, z.ID}, {z.ID, y.ID, x.ID}, {y.ID, z.ID, x.ID}}
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- svc.AddConversationTags(ctx, a, c.ID, orders[i%len(orders)])
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a concurrent add: %v", err)
		}
	}
	m, err := svc.ConversationTagIDs(ctx, a, []convstore.ID{c.ID})
	if err != nil || len(m[c.ID]) != 3 {
		t.Errorf("links after the concurrent adds: %v, %v", m, err)
	}
}
