package client_test

import (
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// The client registers processors, makes a key scoped to one, confirms
// with it (201 then 200 read as recorded, then not), and reads receipts
// by state.
func TestProcessorsAndConfirmations(t *testing.T) {
	f := setup(t)
	none := convstore.DeleteParams{}
	p, err := f.c.CreateProcessor(f.ctx, convstore.ID{}, &convstore.ProcessorCreate{Name: "vector-index", Deadline: 90 * time.Minute}, none)
	if err != nil || p.Name != "vector-index" || p.Deadline != 90*time.Minute || p.TenantID != f.tenant.ID {
		t.Fatalf("CreateProcessor = %+v, %v", p, err)
	}
	if list, err := f.c.FindProcessors(f.ctx, convstore.ID{}); err != nil || len(list) != 1 || list[0].ID != p.ID {
		t.Fatalf("FindProcessors = %+v, %v", list, err)
	}
	d := 2 * time.Hour
	if up, err := f.c.UpdateProcessor(f.ctx, convstore.ID{}, "vector-index", &convstore.ProcessorUpdate{Deadline: &d}, none); err != nil || up.Deadline != d {
		t.Fatalf("UpdateProcessor = %+v, %v", up, err)
	}
	k, err := f.c.CreateKey(f.ctx, convstore.ID{}, &convstore.KeyCreate{Name: "vi", Scopes: []convstore.Scope{convstore.ScopeConfirm}, Processor: "vector-index"}, none)
	if err != nil || k.Processor != "vector-index" {
		t.Fatalf("CreateKey = %+v, %v", k, err)
	}
	cv := f.mustConversation(t, "gone", 1)
	rc, err := f.c.DeleteConversation(f.ctx, convstore.ID{}, cv.ID, none)
	if err != nil || len(rc.Confirmations) != 1 || rc.Confirmations[0].State != convstore.ConfirmationPending || rc.Complete() {
		t.Fatalf("receipt %+v, %v", rc, err)
	}
	if pending, _, err := f.c.FindDeletions(f.ctx, convstore.ID{}, convstore.DeletionFilter{State: convstore.DeletionPending}); err != nil || len(pending) != 1 {
		t.Fatalf("pending receipts: %d, %v", len(pending), err)
	}
	vi := client.New(f.srv.URL, k.Secret)
	got, recorded, err := vi.ConfirmDeletion(f.ctx, convstore.ID{}, rc.ID, &convstore.ConfirmationCreate{Note: "done"}, none)
	if err != nil || !recorded || !got.Complete() || got.Confirmations[0].Note != "done" {
		t.Fatalf("ConfirmDeletion = %+v, %v, %v", got, recorded, err)
	}
	if _, recorded, err := vi.ConfirmDeletion(f.ctx, convstore.ID{}, rc.ID, &convstore.ConfirmationCreate{}, none); err != nil || recorded {
		t.Fatalf("again: recorded %v, %v", recorded, err)
	}
	if _, _, err := vi.FindDeletions(f.ctx, convstore.ID{}, convstore.DeletionFilter{}); convstore.ErrorCode(err) != convstore.EFORBIDDEN {
		t.Fatalf("the confirm key listing receipts: %v, want EFORBIDDEN", err)
	}
	if n, err := f.c.DeleteProcessor(f.ctx, convstore.ID{}, "vector-index", none); err != nil || n != 0 {
		t.Fatalf("DeleteProcessor = %d, %v", n, err)
	}
}
