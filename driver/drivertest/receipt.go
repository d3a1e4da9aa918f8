package drivertest

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var receiptTests = []test{
	{"Deletions", testDeletions},
	{"Audit", testAudit},
	{"AuditFilters", testAuditFilters},
	{"DeletionsShredded", testDeletionsShredded},
}

// testDeletionsShredded checks key epochs on receipts and marking them
// shredded by epoch, across tenants, once.
func testDeletionsShredded(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	insert := func(tenantID convstore.ID, epoch uint32) *convstore.Deletion {
		d := &convstore.Deletion{ID: convstore.NewID(), TenantID: tenantID, ConversationID: convstore.NewID(), ConversationSeq: 1,
			Door: "native", RequestID: "req", CreatedAt: now(), KeyEpoch: epoch}
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.DeletionInsert(ctx, d) })
		return d
	}
	plain, e1a, e1b, e2, e3 := insert(a.ID, 0), insert(a.ID, 1), insert(b.ID, 1), insert(a.ID, 2), insert(b.ID, 3)
	get := func(d *convstore.Deletion) *convstore.Deletion {
		t.Helper()
		got, err := f.drv.Reads().DeletionGet(f.ctx, d.TenantID, d.ID)
		must(t, err)
		return got
	}
	if got := get(e2); got.KeyEpoch != 2 || got.ShreddedAt != nil {
		t.Fatalf("a fresh receipt: epoch %d, shredded %v; want 2, nil", got.KeyEpoch, got.ShreddedAt)
	}
	if got := get(plain); got.KeyEpoch != 0 {
		t.Fatalf("a receipt without an epoch reads back epoch %d", got.KeyEpoch)
	}
	at := now()
	var marked []driver.ShreddedReceipt
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		marked, err = tx.DeletionMarkShredded(ctx, 2, at)
		return err
	})
	if n := len(marked); n != 3 {
		t.Errorf("DeletionMarkShredded(2) = %d, want 3 (epochs 1, 1 and 2, both tenants)", n)
	}
	for _, d := range []*convstore.Deletion{e1a, e1b, e2} {
		if got := get(d); got.ShreddedAt == nil || !got.ShreddedAt.Equal(at) {
			t.Errorf("receipt of epoch %d: shredded_at %v, want %v", d.KeyEpoch, got.ShreddedAt, at)
		}
	}
	for _, d := range []*convstore.Deletion{plain, e3} {
		if got := get(d); got.ShreddedAt != nil {
			t.Errorf("receipt of epoch %d shredded at %v", d.KeyEpoch, got.ShreddedAt)
		}
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		marked, err = tx.DeletionMarkShredded(ctx, 3, at.Add(time.Hour))
		return err
	})
	if n := len(marked); n != 1 {
		t.Errorf("DeletionMarkShredded(3) = %d, want 1 (only the unmarked)", n)
	} else if m := marked[0]; m.ID != e3.ID || m.TenantID != e3.TenantID || m.ConversationID != e3.ConversationID || m.KeyEpoch != 3 {
		t.Errorf("DeletionMarkShredded(3) returned %+v, want the receipt of epoch 3", m)
	}
	if got := get(e1a); !got.ShreddedAt.Equal(at) {
		t.Errorf("a marked receipt moved to %v", got.ShreddedAt)
	}
}

func testDeletions(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c1, c2 := convstore.NewID(), convstore.NewID()
	var ds []*convstore.Deletion
	for i, conv := range []convstore.ID{c1, c2, c1} {
		d := &convstore.Deletion{ID: convstore.NewID(), TenantID: a.ID, ConversationID: conv, ConversationSeq: int64(i + 1),
			Door: "native", RequestID: "req", ClientRequestID: "client", Messages: i, Artifacts: 1, Attachments: 2,
			AttachmentBytes: 3, CreatedAt: now()}
		if i == 0 {
			d.ActorKeyID = convstore.NewID()
		}
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.DeletionInsert(ctx, d) })
		ds = append(ds, d)
	}
	got, err := f.drv.Reads().DeletionGet(f.ctx, a.ID, ds[0].ID)
	must(t, err)
	if !reflect.DeepEqual(got, ds[0]) {
		t.Errorf("DeletionGet = %+v, want %+v", got, ds[0])
	}
	if got, _ := f.drv.Reads().DeletionGet(f.ctx, a.ID, ds[1].ID); got == nil || !got.ActorKeyID.IsZero() {
		t.Errorf("an operator's receipt: %+v, want no actor", got)
	}
	_, err = f.drv.Reads().DeletionGet(f.ctx, b.ID, ds[0].ID)
	wantCode(t, "DeletionGet from another tenant", err, convstore.ENOTFOUND, "deletion")
	list, err := f.drv.Reads().DeletionList(f.ctx, &driver.DeletionListParams{TenantID: a.ID, ConversationID: c1, Page: page(10, true)})
	must(t, err)
	if !sameIDs(ids(list, func(d *convstore.Deletion) convstore.ID { return d.ID }), []convstore.ID{ds[2].ID, ds[0].ID}) {
		t.Errorf("DeletionList of c1 = %v", list)
	}
	list, err = f.drv.Reads().DeletionList(f.ctx, &driver.DeletionListParams{TenantID: a.ID, Page: driver.Page{After: ds[0].ID, Limit: 10}})
	must(t, err)
	if len(list) != 2 {
		t.Errorf("DeletionList after the first: %d", len(list))
	}
	if list, _ := f.drv.Reads().DeletionList(f.ctx, &driver.DeletionListParams{TenantID: b.ID, Page: page(10, false)}); len(list) != 0 {
		t.Errorf("another tenant lists %d receipts", len(list))
	}
}

func testAudit(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	conv, target := convstore.NewID(), convstore.NewID()
	e := &convstore.AuditEntry{ID: convstore.NewID(), TenantID: a.ID, Action: convstore.AuditMessageDelete, ActorKeyID: convstore.NewID(),
		Door: "botpress", RequestID: "req", ClientRequestID: "cli", ConversationID: conv, TargetID: target, CreatedAt: now()}
	keyEntry := &convstore.AuditEntry{ID: convstore.NewID(), TenantID: a.ID, Action: convstore.AuditKeyCreate, Door: "cli",
		TargetID: convstore.NewID(), CreatedAt: now()}
	for _, x := range []*convstore.AuditEntry{e, keyEntry} {
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.AuditInsert(ctx, x) })
	}
	got, err := f.drv.Reads().AuditGet(f.ctx, a.ID, e.ID)
	must(t, err)
	if *got != *e {
		t.Errorf("AuditGet = %+v, want %+v", got, e)
	}
	if got, _ := f.drv.Reads().AuditGet(f.ctx, a.ID, keyEntry.ID); got == nil || !got.ConversationID.IsZero() || !got.ActorKeyID.IsZero() {
		t.Errorf("a key entry: %+v, want no conversation and no actor", got)
	}
	_, err = f.drv.Reads().AuditGet(f.ctx, b.ID, e.ID)
	wantCode(t, "AuditGet from another tenant", err, convstore.ENOTFOUND, "audit entry")
	list, err := f.drv.Reads().AuditList(f.ctx, &driver.AuditListParams{TenantID: a.ID, Page: page(10, true)})
	must(t, err)
	if len(list) != 2 || list[0].ID != keyEntry.ID {
		t.Errorf("AuditList = %v", list)
	}
	if list, _ := f.drv.Reads().AuditList(f.ctx, &driver.AuditListParams{TenantID: b.ID, Page: page(10, false)}); len(list) != 0 {
		t.Errorf("another tenant lists %d entries", len(list))
	}
}

// testAuditFilters: every filter of AuditList, alone and together, keeps
// exactly the entries a scan would, pages by cursor in both orders, and
// never reaches another tenant's entries.
func testAuditFilters(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	k1, k2, c1, c2, tg := convstore.NewID(), convstore.NewID(), convstore.NewID(), convstore.NewID(), convstore.NewID()
	base := now().Add(-time.Hour)
	var all []*convstore.AuditEntry
	add := func(tenant convstore.ID, action string, key, conv, target convstore.ID, door string, at time.Duration) {
		e := &convstore.AuditEntry{ID: convstore.NewID(), TenantID: tenant, Action: action, ActorKeyID: key, Door: door,
			ConversationID: conv, TargetID: target, CreatedAt: base.Add(at)}
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.AuditInsert(ctx, e) })
		if tenant == a.ID {
			all = append(all, e)
		}
	}
	add(a.ID, "erasure.create", k1, convstore.ID{}, convstore.NewID(), "console", 1*time.Minute)
	add(a.ID, "erasure.complete", convstore.ID{}, convstore.ID{}, convstore.NewID(), "erasure", 2*time.Minute)
	add(a.ID, "erasures.other", k1, convstore.ID{}, convstore.NewID(), "native", 3*time.Minute) // not of the erasure. family
	add(a.ID, "erasure", k1, convstore.ID{}, convstore.NewID(), "native", 4*time.Minute)        // nor this
	add(a.ID, convstore.AuditConversationDelete, k2, c1, convstore.NewID(), "native", 5*time.Minute)
	add(a.ID, convstore.AuditMessageDelete, k2, c1, tg, "symbl", 6*time.Minute)
	add(a.ID, convstore.AuditMessageDelete, k1, c2, convstore.NewID(), "retention", 7*time.Minute)
	add(a.ID, convstore.AuditHoldCreate, k1, c2, convstore.NewID(), "console", 8*time.Minute)
	add(b.ID, "erasure.create", k1, c1, tg, "console", 5*time.Minute) // another tenant's, matching every filter
	slices.SortFunc(all, func(x, y *convstore.AuditEntry) int { return bytes.Compare(y.ID[:], x.ID[:]) })
	at := func(d time.Duration) *time.Time { x := base.Add(d); return &x }
	cases := []struct {
		name string
		p    driver.AuditListParams
		keep func(e *convstore.AuditEntry) bool
	}{
		{"action", driver.AuditListParams{Action: convstore.AuditMessageDelete}, func(e *convstore.AuditEntry) bool { return e.Action == convstore.AuditMessageDelete }},
		{"family", driver.AuditListParams{Action: "erasure."}, func(e *convstore.AuditEntry) bool { return strings.HasPrefix(e.Action, "erasure.") }},
		{"actor", driver.AuditListParams{ActorKeyID: k1}, func(e *convstore.AuditEntry) bool { return e.ActorKeyID == k1 }},
		{"conversation", driver.AuditListParams{ConversationID: c1}, func(e *convstore.AuditEntry) bool { return e.ConversationID == c1 }},
		{"target", driver.AuditListParams{TargetID: tg}, func(e *convstore.AuditEntry) bool { return e.TargetID == tg }},
		{"door", driver.AuditListParams{Door: "console"}, func(e *convstore.AuditEntry) bool { return e.Door == "console" }},
		{"time range", driver.AuditListParams{CreatedAfter: at(2 * time.Minute), CreatedBefore: at(7 * time.Minute)},
			func(e *convstore.AuditEntry) bool {
				return e.CreatedAt.After(*at(2 * time.Minute)) && e.CreatedAt.Before(*at(7 * time.Minute))
			}},
		{"together", driver.AuditListParams{Action: "message.delete", ActorKeyID: k2, ConversationID: c1, Door: "symbl", CreatedAfter: at(0)},
			func(e *convstore.AuditEntry) bool {
				return e.Action == "message.delete" && e.ActorKeyID == k2 && e.Door == "symbl"
			}},
		{"nothing", driver.AuditListParams{Action: "erasure.", Door: "symbl"}, func(*convstore.AuditEntry) bool { return false }},
	}
	for _, c := range cases {
		var want []convstore.ID
		for _, e := range all {
			if c.keep(e) {
				want = append(want, e.ID)
			}
		}
		for _, desc := range []bool{true, false} {
			// Pages of two, by cursor.
			var got []convstore.ID
			p := c.p
			p.TenantID, p.Page = a.ID, driver.Page{Limit: 2, Desc: desc}
			for range 10 {
				list, err := f.drv.Reads().AuditList(f.ctx, &p)
				must(t, err)
				for _, e := range list {
					got = append(got, e.ID)
				}
				if len(list) < 2 {
					break
				}
				p.Page.After = list[len(list)-1].ID
			}
			w := slices.Clone(want)
			if !desc {
				slices.Reverse(w)
			}
			if !sameIDs(got, w) {
				t.Errorf("%s (desc %v): %d entries %v, want %d %v", c.name, desc, len(got), got, len(w), w)
			}
		}
	}
}
