package postgres_test

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// A background purge batch says whether foreground transactions ran on
// the node beside it (GaveWay, which paces the purger): not when it runs
// alone, nor when it is not a background write; yes when a foreground
// write or read began during it, or is still under way as it ends.
func TestPurgeBatchSaysForegroundRan(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	node := openPurgeNode(t, pgtest.NewSchema(t), nil) // skips without CONVSTORE_TEST_POSTGRES_URL
	svc := node.Service
	tenant, _, err := svc.CreateTenant(ctx, "busy", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := svc.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := svc.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	var in []*convstore.MessageCreate
	for range 20 {
		in = append(in, &convstore.MessageCreate{Role: convstore.RoleUser, Content: "hello"})
	}
	if _, err := svc.CreateMessages(ctx, tenant.ID, conv.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	appendOther := func(ctx context.Context) error {
		_, err := svc.CreateMessages(ctx, tenant.ID, other.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}})
		return err
	}
	var after convstore.ID
	// batch purges 2 rows in a write marked background or not, running
	// beside first (if set) before it does.
	batch := func(background bool, beside func(ctx context.Context) error) bool {
		t.Helper()
		var r *driver.PurgeBatchResult
		err := node.DB.Write(ctx, driver.WriteParams{Background: background}, func(ctx context.Context, tx driver.Tx) error {
			if beside != nil {
				if err := beside(ctx); err != nil {
					return err
				}
			}
			var err error
			r, err = tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: tenant.ID, ConversationID: conv.ID, Limit: 2, After: after})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Rows != 2 || r.Done {
			t.Fatalf("a batch of 2 of 20 messages: %+v", r)
		}
		after = r.Last
		return r.GaveWay
	}

	if batch(true, nil) {
		t.Error("a background batch alone says the foreground ran beside it")
	}
	if batch(false, appendOther) {
		t.Error("a foreground batch says the foreground ran beside it")
	}
	if !batch(true, appendOther) {
		t.Error("a background batch during which an append ran does not say so")
	}
	if batch(true, nil) {
		t.Error("the next batch alone says the foreground ran beside it")
	}
	read := func(ctx context.Context) error {
		_, _, err := svc.FindMessages(ctx, tenant.ID, other.ID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 5}})
		return err
	}
	if !batch(true, read) {
		t.Error("a background batch during which a read ran does not say so")
	}

	// A foreground write that began before the batch and is still under
	// way when it ends.
	started, release, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		finished <- node.DB.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	gave := batch(true, nil)
	close(release)
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	if !gave {
		t.Error("a background batch beside a write under way does not say so")
	}
	if batch(true, nil) {
		t.Error("a batch after the write ended says the foreground ran beside it")
	}
}

// A background batch that meets the foreground ends after the step during
// which it did, well before its limit, and says so; alone it runs to its
// limit through as many steps as that takes.
func TestPurgeBatchEndsAfterStepBesideForeground(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	node := openPurgeNode(t, pgtest.NewSchema(t), nil) // skips without CONVSTORE_TEST_POSTGRES_URL
	svc := node.Service
	tenant, _, err := svc.CreateTenant(ctx, "steps", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := svc.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := svc.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	total := 3*postgres.PurgeStep + 10
	for done := 0; done < total; {
		var in []*convstore.MessageCreate
		for range min(500, total-done) {
			in = append(in, &convstore.MessageCreate{Role: convstore.RoleUser, Content: "hello"})
		}
		if _, err := svc.CreateMessages(ctx, tenant.ID, conv.ID, in); err != nil {
			t.Fatal(err)
		}
		done += len(in)
	}
	if _, err := svc.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	var after convstore.ID
	batch := func(limit int, beside bool) *driver.PurgeBatchResult {
		t.Helper()
		var r *driver.PurgeBatchResult
		err := node.DB.Write(ctx, driver.WriteParams{Background: true}, func(ctx context.Context, tx driver.Tx) error {
			if beside {
				if _, err := svc.CreateMessages(ctx, tenant.ID, other.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}); err != nil {
					return err
				}
			}
			var err error
			r, err = tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: tenant.ID, ConversationID: conv.ID, Limit: limit, After: after})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		after = r.Last
		return r
	}
	if r := batch(total, true); r.Rows != postgres.PurgeStep || !r.GaveWay || r.Done || r.Last.IsZero() {
		t.Errorf("beside an append: %d rows, gave way %v, done %v, last %v; want %d, true, false, set",
			r.Rows, r.GaveWay, r.Done, r.Last, postgres.PurgeStep)
	}
	if r := batch(2*postgres.PurgeStep, false); r.Rows != 2*postgres.PurgeStep || r.GaveWay || r.Done {
		t.Errorf("alone: %d rows, gave way %v, done %v; want %d, false, false", r.Rows, r.GaveWay, r.Done, 2*postgres.PurgeStep)
	}
	if r := batch(total, false); r.Rows != 10 || r.GaveWay || !r.Done {
		t.Errorf("the rest: %d rows, gave way %v, done %v; want 10, false, true", r.Rows, r.GaveWay, r.Done)
	}
	var left int
	if err := postgres.Pool(node.DB).QueryRow(ctx, `SELECT count(*) FROM messages WHERE conversation_id = $1`, conv.ID[:]).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d messages left after the purge", left)
	}
}
