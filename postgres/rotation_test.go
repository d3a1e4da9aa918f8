package postgres_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
)

// TestRotationTwoNodes runs a rotation on two nodes sharing one database
// and one keyring file, at once, while both serve appends and deletes:
// every live conversation's content reads back under the new epoch, and
// the old epoch is destroyed with no key left under it.
func TestRotationTwoNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := pgtest.NewSchema(t)
	ringPath := filepath.Join(t.TempDir(), "keyring")
	var nodes []*service.Service
	for i := range 2 {
		ring, err := keyring.Open(ctx, keyring.Config{Path: ringPath, Create: i == 0})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ring.Close() })
		db := pgtest.OpenSchema(t, schema, postgres.Options{MaxConns: 6})
		svc, err := service.Open(db, db.Blobs(), service.Options{Keyring: ring, RewrapBatch: 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		nodes = append(nodes, svc)
	}
	tenant, _, err := nodes[0].CreateTenant(ctx, "rotation", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	live := map[convstore.ID]string{}
	var ids []convstore.ID
	for i := range 200 {
		title := "conversation " + string(rune('a'+i%26))
		c, _, err := nodes[i%2].CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Title: title,
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: title}}})
		if err != nil {
			t.Fatal(err)
		}
		live[c.ID] = title
		ids = append(ids, c.ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := make(chan error, 8)
	// Both nodes rotate at once (each starts an epoch: 1 -> 3), while
	// each also deletes some conversations and appends to others.
	for i, n := range nodes {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := n.RotateKeys(ctx, time.Hour); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			for j := i; j < 60; j += 2 {
				id := ids[j]
				if j%3 == 0 {
					if _, err := n.DeleteConversation(ctx, tenant.ID, id, convstore.DeleteParams{Door: "test"}); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					delete(live, id)
					mu.Unlock()
					continue
				}
				if _, err := n.CreateMessages(ctx, tenant.ID, id, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "more"}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A last pass on one node, retention 0: every key moves to the newest
	// epoch and every older one is destroyed.
	out, err := nodes[0].RotateKeys(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	if out.Blocked != 0 || len(out.Destroyed) == 0 {
		t.Fatalf("final pass: %+v", out)
	}
	drv := nodes[0].Driver()
	counts, err := drv.Reads().ConversationKeyEpochs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 1 || counts[0] != (driver.EpochKeys{Epoch: out.Current.ID, Keys: int64(len(live))}) {
		t.Fatalf("keys by epoch %+v; want all %d under epoch %d", counts, len(live), out.Current.ID)
	}
	for id, title := range live {
		for _, n := range nodes {
			c, err := n.FindConversationByID(ctx, tenant.ID, id)
			if err != nil || c.Title != title {
				t.Fatalf("conversation %v after rotation: %+v, %v", id, c, err)
			}
		}
	}
}
