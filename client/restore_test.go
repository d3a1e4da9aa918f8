package client_test

import (
	"testing"

	"github.com/convstore/convstore"
)

// The restore window through the client: set, kept by ReplaceRetention,
// a delete with restorable_until, the deleted list, a restore.
func TestRestoreWindow(t *testing.T) {
	f := setup(t)
	if err := f.c.SetRestoreWindow(f.ctx, convstore.ID{}, 7, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.ReplaceRetention(f.ctx, convstore.ID{}, nil, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if days, err := f.c.FindRestoreWindow(f.ctx, convstore.ID{}); err != nil || days != 7 {
		t.Fatalf("FindRestoreWindow after ReplaceRetention = %d, %v; want the window kept", days, err)
	}
	if err := f.c.SetRestoreWindow(f.ctx, convstore.ID{}, 400, convstore.DeleteParams{}); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("a 400-day window: %v, want EINVALID", err)
	}
	cv := f.mustConversation(t, "call", 2)
	d, err := f.c.DeleteConversation(f.ctx, convstore.ID{}, cv.ID, convstore.DeleteParams{})
	if err != nil || d.RestorableUntil == nil {
		t.Fatalf("delete: %+v, %v; want restorable_until", d, err)
	}
	list, _, err := f.c.FindConversations(f.ctx, convstore.ID{}, convstore.ConversationFilter{Deleted: true})
	if err != nil || len(list) != 1 || list[0].ID != cv.ID {
		t.Fatalf("deleted list: %d, %v", len(list), err)
	}
	back, err := f.c.RestoreConversation(f.ctx, convstore.ID{}, cv.ID, convstore.DeleteParams{})
	if err != nil || back.ID != cv.ID || back.MessageCount != 2 {
		t.Fatalf("RestoreConversation = %+v, %v", back, err)
	}
	got, err := f.c.FindDeletionByID(f.ctx, convstore.ID{}, d.ID)
	if err != nil || got.RestoredAt == nil {
		t.Fatalf("receipt after the restore: %+v, %v", got, err)
	}
	if _, err := f.c.RestoreConversation(f.ctx, convstore.ID{}, cv.ID, convstore.DeleteParams{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("a second restore: %v, want ENOTFOUND", err)
	}
}
