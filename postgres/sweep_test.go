package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
)

// crashedDeletes makes n conversations with one attachment each through a
// node whose blob removals fail, as if it died between each delete's commit
// and the removal of the bytes, and deletes them. It returns the blob
// store under the failing spy.
func crashedDeletes(t *testing.T, schema string, n int) convstore.BlobStore {
	t.Helper()
	ctx := testCtx(t)
	plain := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	failing := newBlobSpy(plain.DB.Blobs())
	failing.fail = true
	node := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Blobs: failing})
	tenant := mustTenant(t, ctx, node)
	for i := range n {
		conv, _, err := node.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
		if err != nil {
			t.Fatal(err)
		}
		body := bytes.Repeat([]byte{'r'}, 100+i)
		if _, err := node.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "rec.wav", Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		d, err := node.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"})
		if err != nil {
			t.Fatalf("DeleteConversation with a failing blob removal: %v (the delete committed and must succeed)", err)
		}
		if d.Attachments != 1 {
			t.Fatalf("receipt %+v, want 1 attachment", d)
		}
	}
	// The removals fail in the background: wait until they have, so that
	// they hold no claim when the test sweeps.
	if err := node.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := blobRows(t, plain), fmt.Sprintf("blobs=%d chunks=%d removals=%d", n, n, n); got != want {
		t.Fatalf("after deletes whose blob removal failed: %s, want %s", got, want)
	}
	return plain.DB.Blobs()
}

// TestSweepAfterCrash: a delete commits, its blob removal fails (the node
// "crashed"); the next node to open the store sweeps the bytes and the
// queue rows.
func TestSweepAfterCrash(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	crashedDeletes(t, schema, 3)
	fresh := pgtest.OpenNode(t, schema, pgtest.NodeOptions{}) // a service starting sweeps once
	if got := blobRows(t, fresh); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after a new node opened: %s, want everything swept", got)
	}
	if n, err := fresh.SweepBlobs(testCtx(t)); err != nil || n != 0 {
		t.Errorf("second sweep: %d, %v; want 0, nil", n, err)
	}
}

// TestSweepTwoNodes sweeps the same queue from two nodes at once: SKIP
// LOCKED gives each blob to exactly one of them.
func TestSweepTwoNodes(t *testing.T) {
	t.Parallel()
	const blobs = 40
	schema := pgtest.NewSchema(t)
	// The sweeping nodes open first, while the queue is empty, so their
	// sweeps at Open find nothing.
	plain := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	spyA := newBlobSpy(plain.DB.Blobs())
	spyA.delay = 2 * time.Millisecond // keep the sweeps overlapping
	spyB := spyA.sharing()
	nodeA := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Blobs: spyA, Service: service.Options{SweepBatch: 4}})
	nodeB := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Blobs: spyB, Service: service.Options{SweepBatch: 4}})
	crashedDeletes(t, schema, blobs)

	ctx := testCtx(t)
	var wg sync.WaitGroup
	removed := make([]int, 2)
	for i, node := range []*pgtest.Node{nodeA, nodeB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := node.SweepBlobs(ctx)
			if err != nil {
				t.Errorf("node %d: SweepBlobs: %v", i, err)
			}
			removed[i] = n
		}()
	}
	wg.Wait()
	t.Logf("node A removed %d blobs, node B %d", removed[0], removed[1])
	if removed[0]+removed[1] != blobs {
		t.Errorf("the nodes removed %d + %d blobs, want %d in all", removed[0], removed[1], blobs)
	}
	counts := spyA.counts()
	if len(counts) != blobs {
		t.Errorf("%d distinct keys removed, want %d", len(counts), blobs)
	}
	for k, n := range counts {
		if n != 1 {
			t.Errorf("blob %s removed %d times, want once", k, n)
		}
	}
	if got := blobRows(t, plain); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after both sweeps: %s", got)
	}
}

// TestSweepDeadNodeClaim: a node that claimed removals and died before
// committing releases its claim with its connection; until then other
// sweeps skip the claimed rows, afterwards they remove them.
func TestSweepDeadNodeClaim(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	crashedDeletes(t, schema, 2)
	ctx := testCtx(t)

	cfg, err := pgx.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	dead, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close(context.Background())
	tx, err := dead.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var claimed int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT blob_key FROM blob_removals WHERE due_at <= now() FOR UPDATE SKIP LOCKED) AS c`).Scan(&claimed); err != nil || claimed != 2 {
		t.Fatalf("the dying node claimed %d rows (%v), want 2", claimed, err)
	}

	live := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	if n, err := live.SweepBlobs(ctx); err != nil || n != 0 {
		t.Errorf("sweep while another node holds the claim: %d, %v; want 0, nil", n, err)
	}
	dead.Close(ctx) // the node dies: its transaction rolls back
	// The server releases the claim when it notices the connection is
	// gone, a moment after the close.
	removed := 0
	for deadline := time.Now().Add(10 * time.Second); removed < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n, err := live.SweepBlobs(ctx)
		if err != nil {
			t.Fatalf("sweep after the claiming node died: %v", err)
		}
		removed += n
	}
	if removed != 2 {
		t.Errorf("sweeps after the claiming node died removed %d blobs, want 2", removed)
	}
	if got := blobRows(t, live); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after the sweep: %s", got)
	}
}

// TestAbandonedUpload: an upload whose intent the sweeper removed (it took
// longer than the upload timeout) fails instead of pointing at removed
// bytes, and leaves nothing.
func TestAbandonedUpload(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	conv, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	gen := &genReader{n: 3000}
	gen.hook = func(off int64) {
		if off == 0 { // the upload "took an hour": its intent is due
			if _, err := postgres.Pool(db.DB).Exec(ctx, `UPDATE blob_removals SET due_at = now()`); err != nil {
				t.Error(err)
			}
			if n, err := db.SweepBlobs(ctx); err != nil || n != 1 {
				t.Errorf("sweep of the abandoned intent: %d, %v", n, err)
			}
		}
	}
	_, err = db.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "slow.bin", Body: gen})
	if convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Errorf("PutAttachment whose intent was swept: %v, want EUNAVAILABLE", err)
	}
	if err := db.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if got := blobRows(t, db); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after the failed upload: %s", got)
	}
	if n := count(t, db, `SELECT count(*) FROM attachments`); n != 0 {
		t.Errorf("%d attachment records after the failed upload", n)
	}
}
