package sqlite

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// purgeChildEnv names the directory of the child process of
// TestPurgeKilled; set, the test is the child.
const purgeChildEnv = "CONVSTORE_PURGE_KILL_DIR"

// openPurgeService opens a service on dir's database with small purge
// batches and a one-second lease.
func openPurgeService(tb testing.TB, dir string, afterBatch func(int) error) *service.Service {
	tb.Helper()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	db := openDriver(tb, filepath.Join(dir, "db", "convstore.db"))
	svc := service.New(db, fs, service.Options{Logger: servicetest.Logger(tb), PurgeInterval: -1, PurgeBatch: 100,
		PurgeLease: time.Second, PurgeAfterBatch: afterBatch})
	tb.Cleanup(func() { svc.Close() })
	return svc
}

// A process killed (SIGKILL) in the middle of purging a deleted
// conversation leaves the rest of its rows hidden and its job leased; once
// the lease ends, the next process purges the rest: no row, blob or job is
// left, and the receipt is stamped.
func TestPurgeKilled(t *testing.T) {
	if dir := os.Getenv(purgeChildEnv); dir != "" {
		purgeChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPurgeKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), purgeChildEnv+"="+dir)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(dir, "ready")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the child never purged a batch:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	b, err := os.ReadFile(ready)
	if err != nil {
		t.Fatal(err)
	}
	var tenant, conv, receipt convstore.ID
	fields := strings.Fields(string(b))
	for i, id := range []*convstore.ID{&tenant, &conv, &receipt} {
		raw, err := hex.DecodeString(fields[i])
		if err != nil || len(raw) != 16 {
			t.Fatalf("child's ids %q: %v", b, err)
		}
		copy(id[:], raw)
	}

	ctx := context.Background()
	svc := openPurgeService(t, dir, nil)
	db := svc.Driver().(*DB)
	rows, err := db.ConversationRows(ctx, conv)
	if err != nil || rows["messages"] == 0 || rows["messages"] == 500 || rows["purge_jobs"] != 1 {
		t.Fatalf("after the kill: %v, %v; want part of the 500 messages and the job", rows, err)
	}
	if _, err := svc.FindConversationByID(ctx, tenant, conv); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the half-purged conversation: %v, want ENOTFOUND", err)
	}
	time.Sleep(1100 * time.Millisecond) // the dead process's lease ends
	if n, err := svc.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge after restart = %d, %v; want the job finished", n, err)
	}
	if err := svc.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err = db.ConversationRows(ctx, conv)
	mustOK(t, err)
	for table, n := range rows {
		if n != 0 {
			t.Errorf("%s: %d rows of the conversation left", table, n)
		}
	}
	if n := blobCount(t, mustFS(t, dir)); n != 0 {
		t.Errorf("%d blobs left", n)
	}
	d, err := svc.FindDeletionByID(ctx, tenant, receipt)
	if err != nil || d.PurgedAt == nil || d.Messages != 500 {
		t.Errorf("receipt after the resumed purge: %+v, %v", d, err)
	}
	if n, err := svc.PurgeBacklog(ctx); err != nil || n != 0 {
		t.Errorf("backlog %d, %v", n, err)
	}
}

// purgeChild deletes a conversation of 500 messages and an attachment,
// purges one batch, says so in dir/ready, and waits to be killed.
func purgeChild(t *testing.T, dir string) {
	ctx := context.Background()
	svc := openPurgeService(t, dir, func(int) error { select {} })
	tenant, _, err := svc.CreateTenant(ctx, "killed", convstore.DeleteParams{Door: "test"})
	mustOK(t, err)
	conv := mustConversation(t, svc, tenant.ID, nil)
	for i := range 5 {
		batch := make([]*convstore.MessageCreate, 100)
		for j := range batch {
			batch[j] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprintf("m %d %d", i, j)}
		}
		_, err := svc.CreateMessages(ctx, tenant.ID, conv.ID, batch)
		mustOK(t, err)
	}
	mustPut(t, svc, tenant.ID, conv.ID, "call.wav", "audio")
	d, err := svc.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"})
	mustOK(t, err)
	go func() {
		// The first batch has committed once the hook blocks: say so
		// after a moment, from outside the hook.
		for {
			time.Sleep(50 * time.Millisecond)
			if rows, _ := svc.Driver().(*DB).ConversationRows(ctx, conv.ID); rows["attachments"] == 0 && rows["messages"] < 500 {
				ids := fmt.Sprintf("%x %x %x", tenant.ID[:], conv.ID[:], d.ID[:])
				if err := os.WriteFile(filepath.Join(dir, "ready.tmp"), []byte(ids), 0o600); err == nil {
					os.Rename(filepath.Join(dir, "ready.tmp"), filepath.Join(dir, "ready"))
				}
				return
			}
		}
	}()
	svc.Purge(ctx)
	t.Fatal("the purge returned in the child")
}

func mustFS(tb testing.TB, dir string) *blob.FS {
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
