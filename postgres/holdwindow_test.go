package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// TestHoldRacesDeadline places holds on conversations past their restore
// window's deadline on one node while another node's purger destroys
// their keys: each conversation ends either held with its key and rows
// kept, or with its key destroyed and the hold refused (404), never held
// with its key gone.
func TestHoldRacesDeadline(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	ctx := testCtx(t)
	var mu sync.Mutex
	offset := time.Duration(0)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(offset)
	}
	// One keyring for both nodes, as they share one file.
	opts := service.Options{Now: now, PurgeInterval: -1, Keyring: servicetest.NewKeyring(t)}
	a := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Service: opts})
	b := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Service: opts})
	tables := pgtest.NewTables(t, schema)
	tenant := mustTenant(t, ctx, a)
	p := convstore.DeleteParams{Door: "test"}
	if err := a.SetRestoreWindow(ctx, tenant.ID, 1, p); err != nil {
		t.Fatal(err)
	}
	type conv struct {
		id, receipt convstore.ID
		holdErr     error
	}
	convs := make([]*conv, 30)
	for i := range convs {
		c, _, err := a.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Messages: textBatch("m", 3)})
		if err != nil {
			t.Fatal(err)
		}
		d, err := a.DeleteConversation(ctx, tenant.ID, c.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		convs[i] = &conv{id: c.ID, receipt: d.ID}
	}
	mu.Lock()
	offset = 25 * time.Hour
	mu.Unlock()

	purged := make(chan error, 1)
	go func() {
		_, err := b.Purge(ctx)
		purged <- err
	}()
	// Newest first, against the purger's oldest first: they meet.
	for i := len(convs) - 1; i >= 0; i-- {
		c := convs[i]
		_, c.holdErr = a.CreateHold(ctx, tenant.ID, &convstore.HoldCreate{ConversationID: c.id, Reason: "race"}, p)
	}
	if err := <-purged; err != nil {
		t.Fatal(err)
	}
	if _, err := a.Purge(ctx); err != nil { // what b may have missed; held jobs stay leased
		t.Fatal(err)
	}
	held := 0
	for i, c := range convs {
		r, err := a.FindDeletionByID(ctx, tenant.ID, c.receipt)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := tables.Count(ctx, `SELECT count(*) FROM conversation_keys WHERE conversation_id = $1`, c.id[:])
		if err != nil {
			t.Fatal(err)
		}
		switch code := convstore.ErrorCode(c.holdErr); {
		case c.holdErr == nil:
			held++
			if r.KeyEpoch != 0 || r.PurgedAt != nil || keys != 1 {
				t.Errorf("conversation %d is held but its key is gone: receipt %+v, %d keys", i, r, keys)
			}
		case code == convstore.ENOTFOUND:
			if r.KeyEpoch == 0 || keys != 0 {
				t.Errorf("the hold on conversation %d was refused, but its key is kept: receipt %+v, %d keys", i, r, keys)
			}
		default:
			t.Errorf("hold on conversation %d: %v", i, c.holdErr)
		}
	}
	t.Logf("%d of %d conversations held before their key was destroyed", held, len(convs))
}
