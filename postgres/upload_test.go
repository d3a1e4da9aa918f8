package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// afterPut is a blob store that runs hook after each successful Put, to
// cut an upload off between its bytes and its record.
type afterPut struct {
	convstore.BlobStore
	hook func()
}

func (a *afterPut) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, []byte, error) {
	n, sum, err := a.BlobStore.Put(ctx, key, r, max)
	if err == nil {
		a.hook()
	}
	return n, sum, err
}

// An upload whose request is cancelled after its bytes were stored leaves
// nothing once the request has ended: the chunks go at once, not when the
// intent falls due an hour later.
func TestCancelledUploadRemovedPromptly(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	plain := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	db := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Blobs: &afterPut{BlobStore: plain.DB.Blobs(), hook: cancel}})
	tenant := mustTenant(t, testCtx(t), db)
	conv, _, err := db.CreateConversation(testCtx(t), tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "a.wav", Body: bytes.NewReader(make([]byte, 5000))})
	if err == nil {
		t.Fatal("PutAttachment with its context cancelled before the record succeeded")
	}
	if err := db.WaitBlobRemovals(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := blobRows(t, plain); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after the cancelled upload: %s", got)
	}
}

// sameOutage is a blob store in the database behind a proxy: while the
// proxy is down, its removals fail as the database's statements do.
type sameOutage struct {
	convstore.BlobStore
	down atomic.Bool
}

func (s *sameOutage) Delete(ctx context.Context, key string) error {
	if s.down.Load() {
		return convstore.Errorf(convstore.EUNAVAILABLE, "database unavailable")
	}
	return s.BlobStore.Delete(ctx, key)
}

// An upload cut off by an outage, when not even its clean-up can reach the
// database, is cleaned up by the first sweep after the database is back.
func TestUploadCutOffByOutage(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil || u.Host == "" {
		t.Skipf("%s is not a URL with a host: %v", pgtest.EnvURL, err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := newProxy(t, target)
	u.Host = p.addr
	schema := pgtest.NewSchema(t)
	direct := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	// The bytes reach the database; the node then loses it.
	blobs := &sameOutage{BlobStore: direct.DB.Blobs()}
	cut := &afterPut{BlobStore: blobs, hook: func() { blobs.down.Store(true); p.stop() }}
	db := pgtest.OpenNode(t, schema, pgtest.NodeOptions{URL: u.String(), Blobs: cut})
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	conv, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "a.wav", Body: bytes.NewReader(make([]byte, 5000))})
	if code := convstore.ErrorCode(err); code != convstore.EUNAVAILABLE && code != convstore.ETIMEOUT {
		t.Fatalf("PutAttachment cut off by an outage: %v, want EUNAVAILABLE", err)
	}
	if got := blobRows(t, direct); got != "blobs=1 chunks=1 removals=1" {
		t.Fatalf("during the outage: %s, want the bytes and their intent", got)
	}
	p.start()
	blobs.down.Store(false)
	waitPing(t, db)
	if _, err := db.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if got := blobRows(t, direct); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after the first sweep once the database was back: %s", got)
	}
}

// A node starting up removes the uploads of nodes that are gone (their
// intents name an owner whose lock nobody holds), and leaves those of live
// nodes alone.
func TestStartReclaimsDeadNodesUploads(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	live := pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
	ctx := testCtx(t)
	bs := live.DB.Blobs()
	intents := map[string]int64{
		"deadnodeupload": 0x5eadbeef, // no connection holds this lock: its node is gone
		"livenodeupload": postgres.NodeID(live.DB),
		"ownerlessblob1": 0, // an intent from before owners were recorded
	}
	for key, owner := range intents {
		if _, _, err := bs.Put(ctx, key, bytes.NewReader([]byte("partial upload")), 100); err != nil {
			t.Fatal(err)
		}
		var o any
		if owner != 0 {
			o = owner
		}
		if _, err := postgres.Pool(live.DB).Exec(ctx, `INSERT INTO blob_removals (blob_key, due_at, owner) VALUES ($1, now() + interval '1 hour', $2)`, key, o); err != nil {
			t.Fatal(err)
		}
	}
	pgtest.OpenNode(t, schema, pgtest.NodeOptions{}) // a node starts
	var keys []string
	if err := bs.Keys(ctx, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys, ","); got != "livenodeupload,ownerlessblob1" {
		t.Errorf("blobs after a node started: %s, want livenodeupload,ownerlessblob1", got)
	}
	if n := count(t, live, `SELECT count(*) FROM blob_removals WHERE due_at > now()`); n != 2 {
		t.Errorf("%d intents still pending, want 2", n)
	}
}

// resetReader yields some bytes and then fails as a connection the client
// reset does.
type resetReader struct{ sent bool }

func (r *resetReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "first bytes"), nil
	}
	return 0, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

// A client that goes away mid-upload is not "database unavailable": the
// body's own error comes back, and nothing is stored.
func TestUploadBodyErrorIsNotUnavailable(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	ctx := testCtx(t)
	_, _, err := db.DB.Blobs().Put(ctx, "reset", &resetReader{}, 1<<20)
	if !errors.Is(err, syscall.ECONNRESET) || convstore.ErrorCode(err) == convstore.EUNAVAILABLE {
		t.Errorf("Put with a reset body: %v, want the reset, not EUNAVAILABLE", err)
	}
	if got := blobRows(t, db); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("after the failed Put: %s", got)
	}
}
