package postgres_test

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/postgres/pgtest"
)

// A background write says whether foreground transactions ran on the node
// beside it (Busy, which ends a purge batch and paces the purger): not when
// it runs alone, nor when it is not a background write; yes when a
// foreground write or read began during it, or is still under way.
func TestBusyBesideForeground(t *testing.T) {
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
		var busy bool
		err := node.DB.Write(ctx, driver.WriteParams{Background: background}, func(ctx context.Context, tx driver.Tx) error {
			if beside != nil {
				if err := beside(ctx); err != nil {
					return err
				}
			}
			var err error
			r, err = tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: tenant.ID, ConversationID: conv.ID, Limit: 2, After: after})
			busy = tx.Busy()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Rows != 2 || r.Done {
			t.Fatalf("a batch of 2 of 20 messages: %+v", r)
		}
		after = r.Last
		return busy
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
