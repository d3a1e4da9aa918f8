package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
)

// blockingBlobs is a blob store whose Delete announces itself on entered
// and then waits until release is closed or its context ends.
type blockingBlobs struct {
	convstore.BlobStore
	entered chan string
	release chan struct{}
}

func (b *blockingBlobs) Delete(ctx context.Context, key string) error {
	b.entered <- key
	select {
	case <-b.release:
		return b.BlobStore.Delete(ctx, key)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A delete answers once its commit is done, while the removal of its bytes
// is blocked; the bytes go once the blob store lets them. Close stops a
// blocked removal without hanging, leaving it queued.
func TestDeleteAnswersBeforeBlobRemoval(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	plain := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	blocking := &blockingBlobs{BlobStore: plain.DB.Blobs(), entered: make(chan string, 4), release: make(chan struct{})}
	db := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Blobs: blocking})
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
	if err := db.DeleteAttachment(ctx, tenant.ID, conv.ID, "a.wav", convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	<-blocking.entered // the removal runs, blocked
	if got := blobRows(t, plain); got != "blobs=2 chunks=2 removals=1" {
		t.Fatalf("while the removal is blocked: %s", got)
	}
	close(blocking.release)
	if err := db.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if got := blobRows(t, plain); got != "blobs=1 chunks=1 removals=0" {
		t.Errorf("after the removal: %s", got)
	}

	// Close with a removal blocked.
	stuck := &blockingBlobs{BlobStore: plain.DB.Blobs(), entered: make(chan string, 4), release: make(chan struct{})}
	closing := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Blobs: stuck})
	d, err := closing.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{})
	if err != nil || d.Attachments != 1 {
		t.Fatalf("DeleteConversation = %+v, %v", d, err)
	}
	<-stuck.entered
	closing.Close()
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
