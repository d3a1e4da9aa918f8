package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestKillRestoreWindowSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillRestoreWindow(t, dir, sqliteKillStore(t, dir))
}

func TestKillRestoreWindowPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillRestoreWindow(t, dir, postgresKillStore(t, dir))
}

// testKillRestoreWindow deletes a conversation under a one-day restore
// window and kills the server (SIGKILL); the server comes back a day and
// an hour later (its clock moved), past the deadline: it destroys the
// key, is killed again in the middle of the purge, and once restarted
// purges every row. The receipt shows the deadline, the key's epoch and
// the purge; a conversation deleted after the restart is still within its
// window and restores whole.
func testKillRestoreWindow(t *testing.T, dir string, st *killStore) {
	ctx := context.Background()
	clockFile := filepath.Join(dir, "clock")
	p := startProc(t, clockFile, st.args...)
	c := p.client()
	if err := c.SetRestoreWindow(ctx, convstore.ID{}, 1, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	convs := createKillConvs(t, c, "windowed", 3) // the first has an attachment
	gone, late, kept := convs[0], convs[1], convs[2]
	for i := range 4 {
		batch := make([]*convstore.MessageCreate, 100)
		for j := range batch {
			batch[j] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprintf("more %d %d", i, j)}
		}
		if _, err := c.CreateMessages(ctx, convstore.ID{}, gone.id, batch); err != nil {
			t.Fatal(err)
		}
	}
	late.body = []byte("the late one's recording")
	if _, err := c.PutAttachment(ctx, convstore.ID{}, late.id, &convstore.AttachmentPut{Name: "call.wav",
		ContentType: "audio/wav", Body: bytes.NewReader(late.body)}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DeleteConversation(ctx, convstore.ID{}, gone.id, convstore.DeleteParams{})
	if err != nil || d.RestorableUntil == nil || d.KeyEpoch != 0 || d.Messages != 403 {
		t.Fatalf("windowed delete: %+v, %v; want restorable_until, no key epoch, 403 messages", d, err)
	}
	p.kill(t)

	// A day and an hour later: the deadline passed while the server was
	// down.
	if err := os.WriteFile(clockFile, []byte("25h"), 0o600); err != nil {
		t.Fatal(err)
	}
	p = startProc(t, clockFile, st.args...)
	c = p.client()
	var r *convstore.Deletion
	waitUntil(t, 2*time.Minute, "the purger to destroy the expired key", func() bool {
		r, err = c.FindDeletionByID(ctx, convstore.ID{}, d.ID)
		return err == nil && r.KeyEpoch != 0
	})
	p.kill(t)
	if r.PurgedAt != nil {
		t.Logf("the purge had finished before the second kill")
	}
	epoch := r.KeyEpoch

	p = startProc(t, clockFile, st.args...)
	c = p.client()
	if _, err := c.DeleteConversation(ctx, convstore.ID{}, late.id, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 2*time.Minute, "the purge to finish after the restart", func() bool {
		r, err = c.FindDeletionByID(ctx, convstore.ID{}, d.ID)
		return err == nil && r.PurgedAt != nil
	})
	if r.RestorableUntil == nil || !r.RestorableUntil.Equal(*d.RestorableUntil) || r.KeyEpoch != epoch ||
		r.RestoredAt != nil || !r.PurgedAt.After(*r.RestorableUntil) || r.Messages != 403 {
		t.Errorf("receipt after the purge: %+v; want the deadline %v, key epoch %d and a purge after the deadline",
			r, d.RestorableUntil, epoch)
	}
	if _, err := c.RestoreConversation(ctx, convstore.ID{}, gone.id, convstore.DeleteParams{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("restore after the deadline: %v, want not found", err)
	}
	if _, err := c.FindConversationByID(ctx, convstore.ID{}, gone.id); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the purged conversation: %v, want not found", err)
	}
	// Deleted after the restart, the other is within its own window.
	if _, err := c.RestoreConversation(ctx, convstore.ID{}, late.id, convstore.DeleteParams{}); err != nil {
		t.Errorf("restore within the window after the restarts: %v", err)
	}
	checkKept(t, c, []killConv{late, kept}, "a restored or live")
	waitUntil(t, time.Minute, "the purged attachment's body to be removed", func() bool { return st.blobs(t) == 1 })
	p.stop(t)
	for table, rows := range st.rows(t, gone.id) {
		if rows != 0 {
			t.Errorf("purged conversation: %d rows left in %s", rows, table)
		}
	}
	if n := st.purgeJobs(t); n != 0 {
		t.Errorf("%d purge jobs left", n)
	}
}
