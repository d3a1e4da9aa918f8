package service_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

// The service's own tests run over the SQLite driver; the rules every
// engine shares are in servicetest.

type env struct {
	ctx   context.Context
	dir   string
	drv   *sqlite.DB
	blobs *blob.FS
	svc   *service.Service
}

func open(t *testing.T, opts service.Options) *env {
	t.Helper()
	return openIn(t, t.TempDir(), opts, nil)
}

func openIn(t *testing.T, dir string, opts service.Options, wrap func(convstore.BlobStore) convstore.BlobStore) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	drv, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = servicetest.Logger(t)
	}
	var blobs convstore.BlobStore = fs
	if wrap != nil {
		blobs = wrap(fs)
	}
	svc := service.New(drv, blobs, opts)
	t.Cleanup(func() { svc.Close() })
	return &env{ctx: ctx, dir: dir, drv: drv, blobs: fs, svc: svc}
}

func (e *env) tenant(t *testing.T) (*convstore.Tenant, *convstore.NewKey) {
	t.Helper()
	return servicetest.MustCreateTenant(t, e.ctx, e.svc, "t-"+convstore.NewID().Base32())
}

// A sequence number that collides draws a fresh id, in the same
// transaction, up to ten times; then the create is ECONFLICT.
func TestSeqCollisionRetries(t *testing.T) {
	var draws atomic.Int64
	var clash atomic.Value // the id to repeat, once set
	newID := func() convstore.ID {
		draws.Add(1)
		if c, ok := clash.Load().(convstore.ID); ok {
			c[9] ^= byte(draws.Load()) // another id, same millisecond and same 12 random bits
			return c
		}
		return convstore.NewID()
	}
	e := open(t, service.Options{NewID: newID})
	tn, _ := e.tenant(t)
	first, _ := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, nil)
	clash.Store(first.ID)
	drawn := draws.Load()
	_, _, err := e.svc.CreateConversation(e.ctx, tn.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
	if convstore.ErrorCode(err) != convstore.ECONFLICT {
		t.Fatalf("a sequence number that always collides: %v, want ECONFLICT", err)
	}
	if n := draws.Load() - drawn; n != 10 {
		t.Errorf("%d ids drawn, want 10", n)
	}
	// Two collisions, then a fresh id: the create succeeds with it.
	var left atomic.Int64
	left.Store(2)
	e2 := open(t, service.Options{NewID: func() convstore.ID {
		if left.Add(-1) >= 0 {
			c := first.ID
			c[9] ^= byte(left.Load() + 1)
			return c
		}
		return convstore.NewID()
	}})
	// The first conversation's seq must exist in e2's database too.
	if err := e2.drv.Write(e2.ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		tn2 := &convstore.Tenant{ID: tn.ID, Name: "same", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		if err := tx.TenantInsert(ctx, tn2); err != nil {
			return err
		}
		return tx.ConversationInsert(ctx, &driver.ConversationRow{Conversation: *first})
	}); err != nil {
		t.Fatal(err)
	}
	c, msgs, err := e2.svc.CreateConversation(e2.ctx, tn.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
	if err != nil {
		t.Fatalf("after two collisions: %v", err)
	}
	if c.Seq == first.Seq || c.Seq != convstore.NewSeq(c.ID) || len(msgs) != 1 {
		t.Errorf("conversation %v seq %d (first %d)", c.ID, c.Seq, first.Seq)
	}
	if got, err := e2.svc.FindConversationBySeq(e2.ctx, tn.ID, c.Seq); err != nil || got.ID != c.ID || got.MessageCount != 1 {
		t.Errorf("FindConversationBySeq: %+v, %v", got, err)
	}
}

// The caps come from the options.
func TestCaps(t *testing.T) {
	capped := open(t, service.Options{MaxConversationMessages: 2, MaxAttachments: 1})
	tn, _ := capped.tenant(t)
	conv, _ := servicetest.MustCreateConversation(t, capped.ctx, capped.svc, tn.ID, nil)
	msgs := []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "a"}, {Role: convstore.RoleUser, Content: "b"}, {Role: convstore.RoleUser, Content: "c"}}
	if _, err := capped.svc.CreateMessages(capped.ctx, tn.ID, conv.ID, msgs); !convstore.IsMessageCapError(err) {
		t.Errorf("3 messages over a cap of 2: %v", err)
	}
	servicetest.MustPutAttachment(t, capped.ctx, capped.svc, tn.ID, conv.ID, "a", []byte("a"))
	if _, err := capped.svc.PutAttachment(capped.ctx, tn.ID, conv.ID, &convstore.AttachmentPut{Name: "b", Body: strings.NewReader("b")}); convstore.ErrorCode(err) != convstore.ECONFLICT {
		t.Errorf("a second attachment over a cap of 1: %v", err)
	}
	// Replacing the one attachment is not a second one.
	servicetest.MustPutAttachment(t, capped.ctx, capped.svc, tn.ID, conv.ID, "a", []byte("again"))
}

// RunSweeper removes due blobs every interval, reports each sweep, and
// returns when its context ends.
func TestRunSweeper(t *testing.T) {
	e := open(t, service.Options{})
	key := strings.ReplaceAll(convstore.NewID().UUID(), "-", "")
	if _, _, err := e.blobs.Put(e.ctx, key, strings.NewReader("queued"), 100); err != nil {
		t.Fatal(err)
	}
	if err := e.drv.Write(e.ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := time.Now()
		return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{key}, DueAt: now, Now: now})
	}); err != nil {
		t.Fatal(err)
	}
	swept := make(chan int, 16)
	e.svc.ObserveBlobSweeps(func(n int, err error) {
		if err == nil {
			swept <- n
		}
	})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { e.svc.RunSweeper(ctx, time.Millisecond); close(done) }()
	if n := <-swept; n != 1 {
		t.Errorf("the first sweep removed %d blobs, want 1", n)
	}
	if _, err := e.blobs.Open(e.ctx, key); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("swept blob still there: %v", err)
	}
	if due, total, err := e.svc.BlobRemovalQueue(e.ctx); err != nil || due != 0 || total != 0 {
		t.Errorf("queue after the sweep: %d due, %d total, %v", due, total, err)
	}
	cancel()
	<-done
}

// Close writes the key uses recorded since the last background write.
func TestCloseWritesKeyUses(t *testing.T) {
	dir := t.TempDir()
	e := openIn(t, dir, service.Options{}, nil)
	tn, key := e.tenant(t)
	if _, err := e.svc.Authenticate(e.ctx, key.Secret); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	again := openIn(t, dir, service.Options{}, nil)
	keys, err := again.svc.FindKeys(again.ctx, tn.ID)
	if err != nil || len(keys) != 1 || keys[0].LastUsedAt == nil {
		t.Errorf("after Close and reopening: %+v, %v; want the key's last use stored", keys, err)
	}
}

// With the cache off, a revoke on another node applies at once.
func TestAuthCacheOff(t *testing.T) {
	dir := t.TempDir()
	a := openIn(t, dir, service.Options{AuthCacheTTL: -1}, nil)
	b := openIn(t, dir, service.Options{AuthCacheTTL: -1}, nil)
	tn, _ := a.tenant(t)
	k, err := a.svc.CreateKey(a.ctx, tn.ID, &convstore.KeyCreate{Name: "r", Scopes: []convstore.Scope{convstore.ScopeRead}}, convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Authenticate(b.ctx, k.Secret); err != nil {
		t.Fatal(err)
	}
	if err := a.svc.DeleteKey(a.ctx, tn.ID, k.ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Authenticate(b.ctx, k.Secret); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Errorf("a key revoked on another node without a cache: %v", err)
	}
}

// refusingBlobs fails every Delete.
type refusingBlobs struct{ convstore.BlobStore }

func (refusingBlobs) Delete(context.Context, string) error { return errors.New("refused") }

// tooLargeBody fails the upload after some bytes.
type tooLargeBody struct{ n int }

func (b *tooLargeBody) Read(p []byte) (int, error) {
	if b.n > 1000 {
		return 0, io.ErrUnexpectedEOF
	}
	b.n += len(p)
	return len(p), nil
}

// A failed upload whose bytes cannot be removed at once leaves their
// removal queued, due now, for the sweeper: nothing is left for good.
func TestAbandonedUploadQueued(t *testing.T) {
	e := openIn(t, t.TempDir(), service.Options{}, func(b convstore.BlobStore) convstore.BlobStore { return refusingBlobs{b} })
	tn, _ := e.tenant(t)
	conv, _ := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, nil)
	_, err := e.svc.PutAttachment(e.ctx, tn.ID, conv.ID, &convstore.AttachmentPut{Name: "x", Body: strings.NewReader("0123456789"), MaxBytes: 5})
	if convstore.ErrorCode(err) != convstore.ETOOLARGE {
		t.Fatalf("PutAttachment = %v, want ETOOLARGE", err)
	}
	// blob.FS leaves nothing of a refused Put; an upload cut off by its
	// client after writing is the same path.
	_, err = e.svc.PutAttachment(e.ctx, convstore.NewID(), conv.ID, &convstore.AttachmentPut{Name: "y", Body: &tooLargeBody{}})
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("PutAttachment under another tenant = %v, want ENOTFOUND", err)
	}
	if due, total, err := e.svc.BlobRemovalQueue(e.ctx); err != nil || due != 1 || total != 1 {
		t.Errorf("after a failed upload whose bytes could not be removed: %d due of %d, %v; want 1 of 1", due, total, err)
	}
}
