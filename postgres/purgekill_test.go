package postgres_test

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
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
)

// purgeChildEnv carries "dir schema" to the child of TestPurgeKilled;
// set, the test is the child.
const purgeChildEnv = "CONVSTORE_PURGE_KILL_CHILD"

func openPurgeNode(tb testing.TB, schema string, afterBatch func(int) error) *pgtest.Node {
	return pgtest.OpenNode(tb, schema, pgtest.NodeOptions{Service: service.Options{PurgeInterval: -1, PurgeBatch: 100,
		PurgeLease: time.Second, PurgeAfterBatch: afterBatch}})
}

// A node killed (SIGKILL) in the middle of purging a deleted conversation
// leaves its job leased and the rest of its rows hidden; once the lease
// ends, another node purges the rest: no row, blob or job is left, and the
// receipt is stamped.
func TestPurgeKilled(t *testing.T) {
	if v := os.Getenv(purgeChildEnv); v != "" {
		dir, schema, _ := strings.Cut(v, " ")
		purgeChild(t, dir, schema)
		return
	}
	t.Parallel()
	schema := pgtest.NewSchema(t) // skips without CONVSTORE_TEST_POSTGRES_URL
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPurgeKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), purgeChildEnv+"="+dir+" "+schema)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(dir, "ready")
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the child never purged a batch:\n%s", out)
		}
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

	ctx := testCtx(t)
	node := openPurgeNode(t, schema, nil)
	left := count(t, node, `SELECT count(*) FROM messages WHERE conversation_id = $1`, conv[:])
	if left == 0 || left == 500 || count(t, node, `SELECT count(*) FROM purge_jobs`) != 1 {
		t.Fatalf("after the kill: %d of 500 messages left; want some, and the job", left)
	}
	if _, err := node.FindConversationByID(ctx, tenant, conv); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the half-purged conversation: %v, want ENOTFOUND", err)
	}
	time.Sleep(1100 * time.Millisecond) // the dead node's lease ends
	if n, err := node.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge on another node = %d, %v; want the job finished", n, err)
	}
	if err := node.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := pgtest.NewTables(t, schema).ConversationRows(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range rows {
		if n != 0 {
			t.Errorf("%s: %d rows of the conversation left", table, n)
		}
	}
	if n := count(t, node, `SELECT count(*) FROM purge_jobs`); n != 0 {
		t.Errorf("%d purge jobs left", n)
	}
	if got := blobRows(t, node); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("blob store after the purge: %s", got)
	}
	d, err := node.FindDeletionByID(ctx, tenant, receipt)
	if err != nil || d.PurgedAt == nil || d.Messages != 500 {
		t.Errorf("receipt after the resumed purge: %+v, %v", d, err)
	}
}

// purgeChild deletes a conversation of 500 messages and an attachment,
// purges one batch, says so in dir/ready, and waits to be killed.
func purgeChild(t *testing.T, dir, schema string) {
	ctx := context.Background()
	node := openPurgeNode(t, schema, func(int) error { select {} })
	tenant, _, err := node.CreateTenant(ctx, "killed", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := node.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := node.CreateMessages(ctx, tenant.ID, conv.ID, textBatch(fmt.Sprint(i), 100)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := node.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "call.wav", Body: strings.NewReader("audio")}); err != nil {
		t.Fatal(err)
	}
	d, err := node.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// The first batch has committed once the hook blocks.
		for {
			time.Sleep(50 * time.Millisecond)
			if count(t, node, `SELECT count(*) FROM messages WHERE conversation_id = $1`, conv.ID[:]) < 500 {
				ids := fmt.Sprintf("%x %x %x", tenant.ID[:], conv.ID[:], d.ID[:])
				if err := os.WriteFile(filepath.Join(dir, "ready.tmp"), []byte(ids), 0o600); err == nil {
					os.Rename(filepath.Join(dir, "ready.tmp"), filepath.Join(dir, "ready"))
				}
				return
			}
		}
	}()
	node.Purge(ctx)
	t.Fatal("the purge returned in the child")
}
