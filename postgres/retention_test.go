package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
)

// TestRetentionTwoNodes runs the retention runner on two nodes of one
// database, with the clock past every conversation's policy: between them
// they erase each conversation exactly once (one receipt each), taking
// turns per tenant.
func TestRetentionTwoNodes(t *testing.T) {
	schema := pgtest.NewSchema(t)
	ctx := testCtx(t)
	var mu sync.Mutex
	offset := time.Duration(0)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(offset)
	}
	a := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Service: service.Options{Now: now}})
	b := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Service: service.Options{Now: now}})
	const tenants, perTenant = 3, 40
	var ids []convstore.ID
	var owners []convstore.ID
	for range tenants {
		tenant := mustTenant(t, ctx, a)
		if _, err := a.ReplaceRetention(ctx, tenant.ID, []*convstore.RetentionPolicy{{Conversations: &convstore.RetentionRule{Days: 1}}},
			convstore.DeleteParams{Door: "test"}); err != nil {
			t.Fatal(err)
		}
		for range perTenant {
			c, _, err := a.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Title: "old"})
			if err != nil {
				t.Fatal(err)
			}
			ids, owners = append(ids, c.ID), append(owners, tenant.ID)
		}
	}
	mu.Lock()
	offset = 49 * time.Hour
	mu.Unlock()

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, n := range []*pgtest.Node{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.RunRetention(runCtx, 20*time.Millisecond)
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < len(ids); {
		if _, err := a.FindConversationByID(ctx, owners[i], ids[i]); convstore.ErrorCode(err) == convstore.ENOTFOUND {
			i++
			continue
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("conversation %d of %d still there after 30 s of retention runs", i+1, len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	wg.Wait()
	for i, id := range ids {
		dels, _, err := a.FindDeletions(ctx, owners[i], convstore.DeletionFilter{ConversationID: id})
		if err != nil || len(dels) != 1 || dels[0].Policy != "default" {
			t.Fatalf("receipts of conversation %d: %d (%v), want exactly one naming the default policy", i, len(dels), err)
		}
	}
}
