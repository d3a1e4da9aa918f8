package servicetest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// restoreSvc opens a service without a background purger on a clock the
// test moves, with a purge world whose tenant has a restore window of days.
func restoreSvc(t *testing.T, db *Database, days int) (context.Context, *service.Service, *Clock, *purgeWorld) {
	t.Helper()
	ctx := testContext(t)
	clock := &Clock{}
	svc := OpenService(t, db, service.Options{Logger: Logger(t), Now: clock.Now, PurgeInterval: -1})
	w := newPurgeWorld(t, ctx, svc, 5)
	if days > 0 {
		if err := svc.SetRestoreWindow(ctx, w.tenant.ID, days, operator); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := svc.FindRestoreWindow(ctx, w.tenant.ID); err != nil || got != days {
		t.Fatalf("FindRestoreWindow = %d, %v; want %d", got, err, days)
	}
	return ctx, svc, clock, w
}

func mustNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("%s: %v, want ENOTFOUND", what, err)
	}
}

// deletedList returns the ids of the tenant's restorable deleted
// conversations.
func deletedList(t *testing.T, ctx context.Context, s convstore.Store, tenantID convstore.ID) []convstore.ID {
	t.Helper()
	list, _, err := s.FindConversations(ctx, tenantID, convstore.ConversationFilter{Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []convstore.ID
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids
}

// With the window off (the default) a delete destroys the key at once
// and the purge is due at once: no restore.
func testRestoreWindowOff(t *testing.T, db *Database) {
	ctx, svc, _, w := restoreSvc(t, db, 0)
	d := MustDeleteConversation(t, ctx, svc, w.tenant.ID, w.conv.ID, operator)
	if d.RestorableUntil != nil || d.KeyEpoch == 0 {
		t.Errorf("receipt = %+v; want no restorable_until and the key epoch recorded", d)
	}
	if ids := deletedList(t, ctx, svc, w.tenant.ID); len(ids) != 0 {
		t.Errorf("deleted list = %v, want empty", ids)
	}
	_, err := svc.RestoreConversation(ctx, w.tenant.ID, w.conv.ID, operator)
	mustNotFound(t, "restore without a window", err)
	if n, err := svc.Purge(ctx); err != nil || n != 1 {
		t.Errorf("Purge = %d, %v; want the job due at once", n, err)
	}
	if err := svc.SetRestoreWindow(ctx, w.tenant.ID, convstore.MaxRestoreWindowDays+1, operator); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("a window of %d days: %v, want EINVALID", convstore.MaxRestoreWindowDays+1, err)
	}
}

// With a window a delete hides the conversation from every read at once
// but keeps its key; nothing is purged before the deadline; a restore
// within it brings everything back, readable, and marks the receipt.
func testRestoreWithinWindow(t *testing.T, db *Database) {
	ctx, svc, clock, w := restoreSvc(t, db, 7)
	a, c := w.tenant.ID, w.conv.ID
	before := clock.Now()
	d := MustDeleteConversation(t, ctx, svc, a, c, operator)
	if d.RestorableUntil == nil || d.RestorableUntil.Before(before.Add(7*24*time.Hour)) || d.KeyEpoch != 0 {
		t.Errorf("receipt = %+v; want restorable_until 7 days on and no key epoch yet", d)
	}
	_, err := svc.FindConversationByID(ctx, a, c)
	mustNotFound(t, "FindConversationByID of a hidden conversation", err)
	_, err = svc.FindConversationByExternalID(ctx, a, w.conv.ExternalID)
	mustNotFound(t, "FindConversationByExternalID of a hidden conversation", err)
	_, _, err = svc.OpenAttachment(ctx, a, c, "a.wav")
	mustNotFound(t, "OpenAttachment of a hidden conversation", err)
	_, err = svc.FindMessageByID(ctx, a, c, w.msgs[0].ID)
	mustNotFound(t, "FindMessageByID of a hidden conversation", err)
	if list, _, err := svc.FindConversations(ctx, a, convstore.ConversationFilter{}); err != nil || len(list) != 1 || list[0].ID != w.other.ID {
		t.Errorf("live list = %d, %v; want only the other", len(list), err)
	}
	if ids := deletedList(t, ctx, svc, a); len(ids) != 1 || ids[0] != c {
		t.Errorf("deleted list = %v, want the deleted conversation", ids)
	}
	clock.Advance(6 * 24 * time.Hour)
	if n, err := svc.Purge(ctx); err != nil || n != 0 {
		t.Fatalf("Purge within the window = %d, %v; want nothing", n, err)
	}
	// Another tenant's restore answers as for a missing conversation.
	other, _ := MustCreateTenant(t, ctx, svc, uniqueName("other"))
	_, err = svc.RestoreConversation(ctx, other.ID, c, operator)
	mustNotFound(t, "a foreign tenant's restore", err)
	_, err = svc.RestoreConversation(ctx, a, convstore.NewID(), operator)
	mustNotFound(t, "restore of an unknown id", err)

	got, err := svc.RestoreConversation(ctx, a, c, operator)
	if err != nil || got.ID != c || got.ExternalID != w.conv.ExternalID {
		t.Fatalf("RestoreConversation = %+v, %v", got, err)
	}
	if msgs, _, err := svc.FindMessages(ctx, a, c, convstore.MessageFilter{}); err != nil || len(msgs) != 5 || msgs[0].Content != w.msgs[0].Content {
		t.Errorf("messages after the restore: %d, %v", len(msgs), err)
	}
	_, rc, err := svc.OpenAttachment(ctx, a, c, "a.wav")
	if err != nil {
		t.Fatalf("OpenAttachment after the restore: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "recording" {
		t.Errorf("attachment after the restore = %q", b)
	}
	if _, err := svc.FindConversationByExternalID(ctx, a, w.conv.ExternalID); err != nil {
		t.Errorf("FindConversationByExternalID after the restore: %v", err)
	}
	// The tombstone went with the restore: appends work again.
	if _, err := svc.CreateMessages(ctx, a, c, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "after"}}); err != nil {
		t.Errorf("append after the restore: %v", err)
	}
	r, err := svc.FindDeletionByID(ctx, a, d.ID)
	if err != nil || r.RestoredAt == nil || r.PurgedAt != nil {
		t.Errorf("receipt after the restore: %+v, %v; want restored_at set, not purged", r, err)
	}
	if ids := deletedList(t, ctx, svc, a); len(ids) != 0 {
		t.Errorf("deleted list after the restore = %v", ids)
	}
	clock.Advance(2 * 24 * time.Hour)
	if n, err := svc.Purge(ctx); err != nil || n != 0 {
		t.Errorf("Purge after the restore = %d, %v; want nothing", n, err)
	}
	_, err = svc.RestoreConversation(ctx, a, c, operator)
	mustNotFound(t, "a second restore", err)
	entries, _, err := svc.FindAuditEntries(ctx, a, convstore.AuditFilter{})
	if err != nil || len(entries) == 0 || entries[0].Action != convstore.AuditConversationRestore || entries[0].TargetID != d.ID {
		t.Errorf("latest audit entry: %v, %v; want conversation.restore of the receipt", entries, err)
	}
	// Deleted again, it is hidden again with a fresh window.
	d2 := MustDeleteConversation(t, ctx, svc, a, c, operator)
	if d2.RestorableUntil == nil {
		t.Errorf("second receipt = %+v", d2)
	}
}

// At the deadline the restore is gone: the purger destroys the key,
// records its epoch, and purges every row.
func testRestoreWindowDeadline(t *testing.T, db *Database) {
	ctx, svc, clock, w := restoreSvc(t, db, 1)
	a, c := w.tenant.ID, w.conv.ID
	d := MustDeleteConversation(t, ctx, svc, a, c, operator)
	clock.Advance(24*time.Hour + time.Second)
	if ids := deletedList(t, ctx, svc, a); len(ids) != 0 {
		t.Errorf("deleted list past the deadline = %v", ids)
	}
	_, err := svc.RestoreConversation(ctx, a, c, operator)
	mustNotFound(t, "restore past the deadline", err)
	if n, err := svc.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge past the deadline = %d, %v; want 1", n, err)
	}
	if err := svc.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if rows := nonZero(MustConversationRows(t, ctx, &Harness{ConversationRows: db.ConversationRows}, c)); len(rows) != 0 {
		t.Errorf("rows after the purge: %v", rows)
	}
	r, err := svc.FindDeletionByID(ctx, a, d.ID)
	if err != nil || r.KeyEpoch == 0 || r.PurgedAt == nil || r.RestoredAt != nil || r.RestorableUntil == nil {
		t.Errorf("receipt after the deadline: %+v, %v; want key epoch and purged_at", r, err)
	}
	_, err = svc.RestoreConversation(ctx, a, c, operator)
	mustNotFound(t, "restore after the purge", err)
}

// An erasure job's delete is an explicit erasure: final at once, window
// or not.
func testRestoreWindowErasure(t *testing.T, db *Database) {
	ctx, svc, _, w := restoreSvc(t, db, 30)
	job, err := svc.CreateErasure(ctx, w.tenant.ID, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "purged-user"}}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	list, _, err := svc.FindDeletions(ctx, w.tenant.ID, convstore.DeletionFilter{ErasureID: job.ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("erasure receipts: %d, %v; want 2", len(list), err)
	}
	for _, d := range list {
		if d.RestorableUntil != nil || d.KeyEpoch == 0 {
			t.Errorf("erasure receipt %+v: want final at once", d)
		}
	}
	if ids := deletedList(t, ctx, svc, w.tenant.ID); len(ids) != 0 {
		t.Errorf("deleted list after an erasure = %v", ids)
	}
}

// A legal hold placed on a conversation within its restore window (on the
// conversation itself, its user or its agent) keeps its key and rows past
// the deadline, for as long as it lasts; once released, the purger's next
// look at the job destroys the key and purges. A conversation whose key is
// destroyed can no longer be held.
func testRestoreWindowHold(t *testing.T, db *Database) {
	for _, kind := range []string{"conversation", "user", "agent"} {
		t.Run(kind, func(t *testing.T) {
			ctx, svc, clock, w := restoreSvc(t, db, 1)
			a, c := w.tenant.ID, w.conv.ID
			agent := "agent-" + kind
			if _, err := svc.UpdateConversation(ctx, a, c, &convstore.ConversationUpdate{AgentID: &agent}); err != nil {
				t.Fatal(err)
			}
			d := MustDeleteConversation(t, ctx, svc, a, c, operator)
			h := &convstore.HoldCreate{Reason: "litigation"}
			switch kind {
			case "conversation":
				h.ConversationID = c
			case "user":
				h.UserID = "purged-user"
			case "agent":
				h.AgentID = agent
			}
			hold, err := svc.CreateHold(ctx, a, h, operator)
			if err != nil {
				t.Fatalf("a hold on a conversation within its restore window: %v", err)
			}
			rows := &Harness{ConversationRows: db.ConversationRows}
			for _, wait := range []time.Duration{24*time.Hour + time.Second, 30 * 24 * time.Hour} {
				clock.Advance(wait)
				if n, err := svc.Purge(ctx); err != nil || n != 0 {
					t.Fatalf("Purge of a held conversation past its deadline = %d, %v; want nothing", n, err)
				}
				r, err := svc.FindDeletionByID(ctx, a, d.ID)
				if err != nil || r.KeyEpoch != 0 || r.PurgedAt != nil {
					t.Fatalf("receipt while held: %+v, %v; want the key kept and nothing purged", r, err)
				}
				if got := MustConversationRows(t, ctx, rows, c); got["messages"] != 5 || got["conversation_keys"] != 1 || got["attachments"] != 2 {
					t.Fatalf("rows while held: %v; want the messages, attachments and key kept", got)
				}
			}
			if err := svc.DeleteHold(ctx, a, hold.ID, operator); err != nil {
				t.Fatal(err)
			}
			clock.Advance(service.DefaultPurgeLease + time.Second)
			if n, err := svc.Purge(ctx); err != nil || n != 1 {
				t.Fatalf("Purge after the hold's release = %d, %v; want the job", n, err)
			}
			if err := svc.WaitBlobRemovals(ctx); err != nil {
				t.Fatal(err)
			}
			if got := nonZero(MustConversationRows(t, ctx, rows, c)); len(got) != 0 {
				t.Errorf("rows after the purge: %v", got)
			}
			r, err := svc.FindDeletionByID(ctx, a, d.ID)
			if err != nil || r.KeyEpoch == 0 || r.PurgedAt == nil || r.RestorableUntil == nil {
				t.Errorf("receipt after the release: %+v, %v; want key epoch, purged_at and restorable_until", r, err)
			}
			if kind == "conversation" {
				_, err := svc.CreateHold(ctx, a, h, operator)
				mustNotFound(t, "a hold on a purged conversation", err)
			}
		})
	}
}
