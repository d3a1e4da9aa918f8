package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
)

func mustTenant(tb testing.TB, db convstore.Store) *convstore.Tenant {
	tb.Helper()
	t, _, err := db.CreateTenant(context.Background(), "t-"+convstore.NewID().Base32(), convstore.DeleteParams{Door: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func mustConversation(tb testing.TB, db convstore.Store, tenantID convstore.ID, msgs []*convstore.MessageCreate) *convstore.Conversation {
	tb.Helper()
	c, _, err := db.CreateConversation(context.Background(), tenantID, &convstore.ConversationCreate{Title: "t", Messages: msgs})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func mustPut(tb testing.TB, db convstore.Store, tenantID, convID convstore.ID, name, body string) *convstore.Attachment {
	tb.Helper()
	a, err := db.PutAttachment(context.Background(), tenantID, convID, &convstore.AttachmentPut{Name: name, Body: strings.NewReader(body)})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func blobCount(tb testing.TB, b convstore.BlobStore) int {
	tb.Helper()
	n := 0
	if err := b.Keys(context.Background(), func(string) error { n++; return nil }); err != nil {
		tb.Fatal(err)
	}
	return n
}

func queueLen(tb testing.TB, db *DB) int {
	tb.Helper()
	var n int
	if err := db.r.QueryRow(`SELECT count(*) FROM blob_removals`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// The pragmas live in the DSN, so every connection of both pools has them,
// not just the first one.
func TestPragmasOnEveryConnection(t *testing.T) {
	_, db, _ := openTest(t, t.TempDir(), nil)
	ctx := context.Background()
	want := map[string]string{
		"foreign_keys":  "1",
		"journal_mode":  "wal",
		"secure_delete": "1",
		"synchronous":   "2", // FULL: a commit is durable when it returns
		"busy_timeout":  fmt.Sprint(busyTimeout.Milliseconds()),
	}
	// Hold several reader connections at once so the pool must open more
	// than one.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	w, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conns = append(conns, w)
	for i, c := range conns {
		for p, v := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, p, got, v)
			}
		}
		var qo string
		c.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo)
		if isWriter := i == len(conns)-1; (qo == "1") == isWriter {
			t.Errorf("connection %d (writer %v): query_only = %s", i, isWriter, qo)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// failingBlobs wraps a blob store whose Delete fails, to simulate a crash
// between a delete's commit and the removal of its bytes.
type failingBlobs struct {
	convstore.BlobStore
	mu       sync.Mutex
	failures int
}

func (f *failingBlobs) Delete(ctx context.Context, key string) error {
	f.mu.Lock()
	f.failures++
	f.mu.Unlock()
	return errors.New("simulated crash")
}

func TestCrashBetweenCommitAndBlobRemoval(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	crashing := &failingBlobs{BlobStore: fs}
	svc, db, _ := openTest(t, dir, crashing)
	tenant := mustTenant(t, svc)
	conv := mustConversation(t, svc, tenant.ID, nil)
	mustPut(t, svc, tenant.ID, conv.ID, "a.wav", "audio")
	mustPut(t, svc, tenant.ID, conv.ID, "b.txt", "text")

	// The delete succeeds: the blobs are queued, their removal fails.
	if _, err := svc.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := svc.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	crashing.mu.Lock()
	defer crashing.mu.Unlock()
	if crashing.failures != 2 || blobCount(t, fs) != 2 || queueLen(t, db) != 2 {
		t.Fatalf("after failed removal: %d failures, %d blobs, %d queued; want 2, 2, 2", crashing.failures, blobCount(t, fs), queueLen(t, db))
	}
	svc.Close()

	// Reopening repairs it.
	_, db, _ = openTest(t, dir, nil)
	if n := blobCount(t, fs); n != 0 {
		t.Errorf("%d blob files left after reopen", n)
	}
	if n := queueLen(t, db); n != 0 {
		t.Errorf("%d removals still queued after reopen", n)
	}
}

// An upload that crashed after writing its blob leaves the blob and its
// intent; once the upload timeout has passed, the sweep removes both, and
// not before.
func TestUploadCrashSwept(t *testing.T) {
	ctx := context.Background()
	svc, db, fs := openTest(t, t.TempDir(), nil)
	queue := func(key string, due time.Time) {
		t.Helper()
		err := db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{key}, DueAt: due, Now: time.Now(), Upload: true})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	overdue, pending := newBlobKey(), newBlobKey()
	queue(overdue, time.Now().Add(-time.Second))
	queue(pending, time.Now().Add(service.DefaultUploadTimeout))
	for _, k := range []string{overdue, pending} {
		if _, _, err := fs.Put(ctx, k, strings.NewReader("partial upload"), 100); err != nil {
			t.Fatal(err)
		}
	}
	n, err := svc.SweepBlobs(ctx)
	if err != nil || n != 1 {
		t.Fatalf("SweepBlobs = %d, %v; want 1", n, err)
	}
	if _, err := fs.Open(ctx, overdue); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("overdue upload's blob still there: %v", err)
	}
	if _, err := fs.Open(ctx, pending); err != nil {
		t.Errorf("in-progress upload's blob removed: %v", err)
	}
	if n := queueLen(t, db); n != 1 {
		t.Errorf("queue has %d rows, want the pending intent only", n)
	}
	// The in-progress upload's blob is covered by its intent, so the
	// orphan sweep leaves it too.
	if n, err := svc.SweepOrphans(ctx); err != nil || n != 0 {
		t.Errorf("SweepOrphans = %d, %v; want 0", n, err)
	}
}

// slowBlobs runs a sweep right after each Put with every queued removal
// made due, as if the upload had taken longer than uploadTimeout.
type slowBlobs struct {
	convstore.BlobStore
	db  *DB
	svc *service.Service
}

func (s *slowBlobs) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, []byte, error) {
	n, sum, err := s.BlobStore.Put(ctx, key, r, max)
	if err == nil {
		if _, err = s.db.w.ExecContext(ctx, `UPDATE blob_removals SET due_at = 0`); err == nil {
			_, err = s.svc.SweepBlobs(ctx)
		}
	}
	return n, sum, err
}

// An upload whose intent the sweeper took (it ran past the timeout) must
// fail rather than record bytes that are gone.
func TestUploadPastTimeoutFails(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	slow := &slowBlobs{BlobStore: fs}
	svc, db, _ := openTest(t, dir, slow)
	slow.db, slow.svc = db, svc
	tenant := mustTenant(t, svc)
	conv := mustConversation(t, svc, tenant.ID, nil)
	_, err = svc.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "slow.bin", Body: strings.NewReader("bytes")})
	if convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Fatalf("err = %v, want EUNAVAILABLE", err)
	}
	if _, err := svc.FindAttachmentByName(ctx, tenant.ID, conv.ID, "slow.bin"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("record kept: %v", err)
	}
	if blobCount(t, fs) != 0 || queueLen(t, db) != 0 {
		t.Errorf("%d blobs, %d queued; want none", blobCount(t, fs), queueLen(t, db))
	}
}

func TestPutAttachmentFailuresLeaveNothing(t *testing.T) {
	ctx := context.Background()
	svc, db, fs := openTest(t, t.TempDir(), nil)
	tenant := mustTenant(t, svc)
	conv := mustConversation(t, svc, tenant.ID, nil)
	_, err := svc.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "big", Body: strings.NewReader("0123456789"), MaxBytes: 5})
	if convstore.ErrorCode(err) != convstore.ETOOLARGE {
		t.Fatalf("err = %v, want ETOOLARGE", err)
	}
	_, err = svc.PutAttachment(ctx, tenant.ID, convstore.NewID(), &convstore.AttachmentPut{Name: "x", Body: strings.NewReader("x")})
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("err = %v, want ENOTFOUND", err)
	}
	if blobCount(t, fs) != 0 || queueLen(t, db) != 0 {
		t.Errorf("%d blobs, %d queued; want none", blobCount(t, fs), queueLen(t, db))
	}
	// Replacing removes the old bytes, in the background.
	mustPut(t, svc, tenant.ID, conv.ID, "a", "first")
	mustPut(t, svc, tenant.ID, conv.ID, "a", "second")
	if err := svc.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if blobCount(t, fs) != 1 || queueLen(t, db) != 0 {
		t.Errorf("after replace: %d blobs, %d queued; want 1, 0", blobCount(t, fs), queueLen(t, db))
	}
}

func TestSweepOrphans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, _, fs := openTest(t, dir, nil)
	tenant := mustTenant(t, svc)
	conv := mustConversation(t, svc, tenant.ID, nil)
	mustPut(t, svc, tenant.ID, conv.ID, "kept", "kept")
	stray := newBlobKey()
	if _, _, err := fs.Put(ctx, stray, strings.NewReader("stray"), 100); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	svc, _, _ = openTest(t, dir, nil) // a service over one process's database sweeps orphans when it starts
	if _, err := fs.Open(ctx, stray); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("orphan kept: %v", err)
	}
	a, rc, err := svc.OpenAttachment(ctx, tenant.ID, conv.ID, "kept")
	if err != nil {
		t.Fatalf("referenced blob removed: %v", err)
	}
	rc.Close()
	if a.Size != 4 {
		t.Errorf("size %d", a.Size)
	}
}

// With secure_delete, a deleted conversation's text does not survive in the
// database file or the WAL once checkpointed.
func TestSecureDelete(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, db, _ := openTest(t, dir, nil)
	tenant := mustTenant(t, svc)
	secret := "SECRET-" + convstore.NewID().Base32() + "-PINEAPPLE-ZEBRA"
	var msgs []*convstore.MessageCreate
	for i := range 50 {
		msgs = append(msgs, &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprintf("%s %d", secret, i)})
	}
	mustConversation(t, svc, tenant.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "keep me"}})
	conv := mustConversation(t, svc, tenant.ID, msgs)
	if _, err := svc.UpdateConversation(ctx, tenant.ID, conv.ID, &convstore.ConversationUpdate{Title: &secret}); err != nil {
		t.Fatal(err)
	}
	checkpoint := func() {
		t.Helper()
		var busy, logged, moved int
		if err := db.w.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil || busy != 0 {
			t.Fatalf("checkpoint: busy=%d err=%v", busy, err)
		}
	}
	files := func() []byte {
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, "db", "convstore.db"+suffix))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	checkpoint()
	if !bytes.Contains(files(), []byte(secret)) {
		t.Fatal("the text is not in the database before the delete; the test proves nothing")
	}
	if _, err := svc.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	checkpoint()
	if bytes.Contains(files(), []byte(secret)) {
		t.Error("deleted text still in the database files")
	}
	if !bytes.Contains(files(), []byte("keep me")) {
		t.Error("the kept conversation's text is gone")
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, db, _ := openTest(t, dir, nil)
	tenant := mustTenant(t, svc)
	v1, err := schemaVersion(ctx, db.w)
	if err != nil || v1 < 1 {
		t.Fatalf("version %d, %v", v1, err)
	}
	svc.Close()
	for range 2 {
		svc, db, _ = openTest(t, dir, nil)
		v, err := schemaVersion(ctx, db.w)
		if err != nil || v != v1 {
			t.Fatalf("version after reopen %d, %v; want %d", v, err, v1)
		}
		var applied int
		db.r.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied)
		if files, _ := fs.Glob(migrations, "migration/*.sql"); applied != len(files) {
			t.Errorf("%d migrations recorded, want %d (one per embedded file)", applied, len(files))
		}
		ts, err := svc.FindTenants(ctx)
		if err != nil || len(ts) != 1 || ts[0].ID != tenant.ID {
			t.Fatalf("tenants after reopen: %v, %v", ts, err)
		}
		svc.Close()
	}
}

func TestOpenCreatesDirectory(t *testing.T) {
	if _, err := Open(context.Background(), ":memory:", Options{}); err == nil {
		t.Error("Open of an in-memory database succeeded")
	}
	db := openDriver(t, filepath.Join(t.TempDir(), "a", "b", "convstore.db"))
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.Ping(context.Background()); convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Errorf("Ping after Close = %v, want EUNAVAILABLE", err)
	}
}

// newBlobKey returns a key of the form the service draws.
func newBlobKey() string { return strings.ReplaceAll(convstore.NewID().UUID(), "-", "") }
