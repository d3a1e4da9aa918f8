package sqlite

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

// blockingBlobs is a blob store whose Delete announces itself on entered
// and then waits until release is closed or its context ends.
type blockingBlobs struct {
	convstore.BlobStore
	entered chan string
	release chan struct{}
}

func newBlockingBlobs(inner convstore.BlobStore) *blockingBlobs {
	return &blockingBlobs{BlobStore: inner, entered: make(chan string, 16), release: make(chan struct{})}
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
// is still blocked; the bytes go once the blob store lets them.
func TestDeleteAnswersBeforeBlobRemoval(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, _, fsBlobs := openTest(t, filepath.Join(dir, "plain"), nil)
	blocking := newBlockingBlobs(fsBlobs)
	svc, db, _ := openTest(t, dir, blocking)
	tenant := mustTenant(t, svc)
	conv := mustConversation(t, svc, tenant.ID, nil)
	mustPut(t, svc, tenant.ID, conv.ID, "call.wav", "audio bytes")
	mustPut(t, svc, tenant.ID, conv.ID, "doc.txt", "text bytes")

	d, err := svc.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{})
	if err != nil || d.Attachments != 2 {
		t.Fatalf("DeleteConversation = %+v, %v", d, err)
	}
	if _, err := svc.Purge(ctx); err != nil { // queues the bytes as their records go
		t.Fatal(err)
	}
	<-blocking.entered // the removal has started and is blocked
	if n := blobCount(t, fsBlobs); n != 2 {
		t.Fatalf("%d blobs while the removal is blocked, want 2", n)
	}
	if n := queueLen(t, db); n != 2 {
		t.Fatalf("%d removals queued while blocked, want 2", n)
	}
	close(blocking.release)
	if err := svc.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, fsBlobs); n != 0 {
		t.Errorf("%d blobs after the removal, want 0", n)
	}
	if n := queueLen(t, db); n != 0 {
		t.Errorf("%d removals still queued, want 0", n)
	}
}

// Close stops a removal that is blocked, without hanging; the removal
// stays queued and the next open finishes it.
func TestCloseStopsBlockedRemoval(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, _, fsBlobs := openTest(t, filepath.Join(dir, "plain"), nil)
	blocking := newBlockingBlobs(fsBlobs)
	svc, _, _ := openTest(t, dir, blocking)
	tenant := mustTenant(t, svc)
	conv := mustConversation(t, svc, tenant.ID, nil)
	mustPut(t, svc, tenant.ID, conv.ID, "a", "bytes")
	if err := svc.DeleteAttachment(ctx, tenant.ID, conv.ID, "a", convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	<-blocking.entered
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if n := blobCount(t, fsBlobs); n != 1 {
		t.Fatalf("%d blobs after Close, want the blocked one", n)
	}
	_, db, _ := openTest(t, dir, fsBlobs)
	if n := blobCount(t, fsBlobs); n != 0 {
		t.Errorf("%d blobs after reopening, want 0", n)
	}
	if n := queueLen(t, db); n != 0 {
		t.Errorf("%d removals queued after reopening, want 0", n)
	}
}

// Open removes the temporary files of uploads a killed process left.
func TestOpenRemovesPartialUploads(t *testing.T) {
	dir := t.TempDir()
	svc, _, fsBlobs := openTest(t, dir, nil)
	svc.Close()
	shard := filepath.Join(fsBlobs.Root(), "ab", "cd")
	if err := os.MkdirAll(shard, 0o700); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(shard, ".tmp-abcdef0123-42")
	if err := os.WriteFile(partial, []byte("half an upload"), 0o600); err != nil {
		t.Fatal(err)
	}
	openTest(t, dir, nil)
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Errorf("partial upload kept after open: %v", err)
	}
}

// The database, its WAL and shared-memory files and the blob files are
// private to their owner, and so are the directories Open creates.
func TestDataFileModes(t *testing.T) {
	dir := t.TempDir()
	svc, _, fsBlobs := openTest(t, dir, nil)
	tenant := mustTenant(t, svc)
	conv := mustConversation(t, svc, tenant.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}})
	mustPut(t, svc, tenant.ID, conv.ID, "a.txt", "attachment bytes")
	if _, err := svc.FindConversationByID(context.Background(), tenant.ID, conv.ID); err != nil {
		t.Fatal(err)
	}
	dbDir := filepath.Join(dir, "db")
	seen := map[string]bool{}
	for _, root := range []string{dbDir, fsBlobs.Root()} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if perm := fi.Mode().Perm(); perm&0o077 != 0 {
				t.Errorf("%s: mode %v, want no access for group and others", p, perm)
			}
			seen[strings.TrimPrefix(d.Name(), "convstore.db")] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if !seen[suffix] {
			t.Errorf("convstore.db%s not found; the test checks nothing for it", suffix)
		}
	}
}
