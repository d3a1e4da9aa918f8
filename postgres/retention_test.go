package postgres_test

import (
	"bytes"
	"context"
	"fmt"
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

// TestRetentionAndPurgeTwoNodes runs the whole background of two nodes of
// one database at once, as two servers do: each its sweeper (purger,
// erasure runner, blob removals) and its retention runner, with the clock
// past every policy and purges in small batches so that they overlap.
// Between them every conversation is erased once (one receipt, naming the
// policy that erased it) and purged once (purged_at stamped, no row and
// no attachment body left, no purge job).
func TestRetentionAndPurgeTwoNodes(t *testing.T) {
	schema := pgtest.NewSchema(t)
	ctx := testCtx(t)
	var mu sync.Mutex
	offset := time.Duration(0)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(offset)
	}
	opts := service.Options{Now: now, PurgeBatch: 7, PurgeInterval: 20 * time.Millisecond, PurgeLease: 2 * time.Second}
	a := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Service: opts})
	b := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Service: opts})
	tables := pgtest.NewTables(t, schema)
	type conv struct {
		tenant, id convstore.ID
		policy     string
	}
	var convs []conv
	for range 2 {
		tenant := mustTenant(t, ctx, a)
		if _, err := a.ReplaceRetention(ctx, tenant.ID, []*convstore.RetentionPolicy{
			{Conversations: &convstore.RetentionRule{Days: 1}},
			{AgentID: "bot", Conversations: &convstore.RetentionRule{Days: 2}},
		}, convstore.DeleteParams{Door: "test"}); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			c := conv{tenant: tenant.ID, policy: "default"}
			create := &convstore.ConversationCreate{Title: "old", Messages: textBatch("m", 20)}
			if i%2 == 0 {
				create.AgentID, c.policy = "bot", "agent:bot"
			}
			created, _, err := a.CreateConversation(ctx, tenant.ID, create)
			if err != nil {
				t.Fatal(err)
			}
			c.id = created.ID
			if i%3 == 0 {
				body := bytes.NewReader(bytes.Repeat([]byte(fmt.Sprintf("call %d ", i)), 100))
				if _, err := a.PutAttachment(ctx, tenant.ID, c.id, &convstore.AttachmentPut{Name: "call.wav", Body: body}); err != nil {
					t.Fatal(err)
				}
			}
			convs = append(convs, c)
		}
	}
	mu.Lock()
	offset = 73 * time.Hour
	mu.Unlock()

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, n := range []*pgtest.Node{a, b} {
		wg.Add(2)
		go func() {
			defer wg.Done()
			n.RunSweeper(runCtx, 20*time.Millisecond)
		}()
		go func() {
			defer wg.Done()
			n.RunRetention(runCtx, 20*time.Millisecond)
		}()
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < len(convs); {
		dels, _, err := a.FindDeletions(ctx, convs[i].tenant, convstore.DeletionFilter{ConversationID: convs[i].id})
		if err != nil {
			t.Fatal(err)
		}
		if len(dels) == 1 && dels[0].PurgedAt != nil {
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation %d of %d not erased and purged after a minute of both nodes' runs: %d receipts", i+1, len(convs), len(dels))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The removed attachments' bodies go after their rows; then let both
	// nodes run on a while: a second erasure or purge would show.
	for n := -1; n != 0; time.Sleep(20 * time.Millisecond) {
		var err error
		if n, err = tables.Count(ctx, `SELECT count(*) FROM blobs`); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attachment bodies left after a minute", n)
		}
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	wg.Wait()
	for i, c := range convs {
		dels, _, err := a.FindDeletions(ctx, c.tenant, convstore.DeletionFilter{ConversationID: c.id})
		if err != nil || len(dels) != 1 || dels[0].Policy != c.policy || dels[0].PurgedAt == nil || dels[0].Messages != 20 {
			t.Errorf("receipts of conversation %d: %d (%v); want exactly one, naming %q, purged, of 20 messages", i, len(dels), err, c.policy)
			continue
		}
		rows, err := tables.ConversationRows(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range rows {
			if n != 0 {
				t.Errorf("conversation %d: %d rows left in %s", i, n, table)
			}
		}
	}
	for _, q := range []string{`SELECT count(*) FROM purge_jobs`, `SELECT count(*) FROM blobs`, `SELECT count(*) FROM conversations`} {
		if n, err := tables.Count(ctx, q); err != nil || n != 0 {
			t.Errorf("%s = %d, %v; want 0", q, n, err)
		}
	}
}
