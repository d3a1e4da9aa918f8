package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// holdBlob locks the built-in blob store's row of key from a session of
// its own, as another transaction would, until the returned function
// rolls that transaction back: a removal of the blob waits on the lock in
// PostgreSQL, holding its claim and its pooled connection.
func holdBlob(t *testing.T, schema, key string) (release func()) {
	t.Helper()
	tx, err := rawConn(t, schema).Begin(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := tx.QueryRow(testCtx(t), `SELECT 1 FROM blobs WHERE key = $1 FOR UPDATE`, key).Scan(&one); err != nil {
		t.Fatal(err)
	}
	return func() { tx.Rollback(context.Background()) }
}

// waitLockWait waits until a connection of application app waits on a
// lock (polled: PostgreSQL tells nobody).
func waitLockWait(t *testing.T, schema, app string) {
	t.Helper()
	monitor := rawConn(t, schema)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		err := monitor.QueryRow(testCtx(t), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection of the node waits on the blob's lock")
		}
	}
}

// blobKeys returns the keys of the attachments of a conversation.
func blobKeys(t *testing.T, node *pgtest.Node, conv convstore.ID) []string {
	t.Helper()
	rows, err := postgres.Pool(node.DB).Query(testCtx(t), `SELECT blob_key FROM attachments WHERE conversation_id = $1 ORDER BY name`, conv[:])
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// A delete answers once its commit is done, while the removal of its bytes
// waits on a row of the blob store that another session holds; the bytes
// go once that session lets go. Close stops a removal blocked in the
// database without hanging (the statement is cancelled, the claim rolls
// back) and leaves it queued for a sweep.
func TestDeleteAnswersBeforeBlobRemoval(t *testing.T) {
	t.Parallel()
	dsn, app := appURL(t)
	schema := pgtest.NewSchema(t)
	plain := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	db := pgtest.OpenNode(t, schema, pgtest.NodeOptions{URL: dsn})
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	conv, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.wav", "b.wav"} {
		if _, err := db.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: name, Body: strings.NewReader(name)}); err != nil {
			t.Fatal(err)
		}
	}
	keys := blobKeys(t, db, conv.ID)
	release := holdBlob(t, schema, keys[0])
	if err := db.DeleteAttachment(ctx, tenant.ID, conv.ID, "a.wav", convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	waitLockWait(t, schema, app) // the removal runs, blocked
	if got := blobRows(t, plain); got != "blobs=2 chunks=2 removals=1" {
		t.Fatalf("while the removal is blocked: %s", got)
	}
	release()
	if err := db.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if got := blobRows(t, plain); got != "blobs=1 chunks=1 removals=0" {
		t.Errorf("after the removal: %s", got)
	}

	// Close with a removal blocked in the database.
	dsn2, app2 := appURL(t)
	closing := pgtest.OpenNode(t, schema, pgtest.NodeOptions{URL: dsn2})
	release = holdBlob(t, schema, keys[1])
	defer release()
	d, err := closing.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{})
	if err != nil || d.Attachments != 1 {
		t.Fatalf("DeleteConversation = %+v, %v", d, err)
	}
	if _, err := closing.Purge(ctx); err != nil { // queues the bytes as their record goes
		t.Fatal(err)
	}
	waitLockWait(t, schema, app2)
	closed := make(chan error, 1)
	go func() { closed <- closing.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close with a removal blocked: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a removal blocked in the database")
	}
	release()
	if got := blobRows(t, plain); got != "blobs=1 chunks=1 removals=1" {
		t.Errorf("after Close stopped the removal: %s, want it still queued", got)
	}
	if _, err := plain.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if got := blobRows(t, plain); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after a sweep: %s", got)
	}
}
