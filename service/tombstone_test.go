package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// A restore that re-applies a delete made after its backup leaves the
// delete's tombstone too: the restored store refuses the external id.
func TestReapplyDeletionsBuries(t *testing.T) {
	e := open(t, service.Options{})
	tn, _ := e.tenant(t)
	c, _ := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{ExternalID: "crm-9"})
	d := &convstore.Deletion{ID: convstore.NewID(), TenantID: tn.ID, ConversationID: c.ID, ConversationSeq: c.Seq,
		Door: "native", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	r, err := e.svc.ReapplyDeletions(e.ctx, []*convstore.Deletion{d})
	if err != nil || r.Conversations != 1 {
		t.Fatalf("ReapplyDeletions = %+v, %v", r, err)
	}
	_, _, err = e.svc.CreateConversation(e.ctx, tn.ID, &convstore.ConversationCreate{ExternalID: "crm-9"})
	if !convstore.IsTombstone(err) {
		t.Errorf("a create with the re-deleted conversation's external id: %v, want a TombstoneError", err)
	}
}

// RunSweeper removes expired tombstones and Idempotency-Keys.
func TestRunSweeperSweepsTombstonesAndKeys(t *testing.T) {
	e := open(t, service.Options{TombstoneRetention: time.Millisecond, IdempotencyRetention: time.Millisecond})
	tn, _ := e.tenant(t)
	c, _ := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{ExternalID: "crm-1"})
	servicetest.MustDeleteConversation(t, e.ctx, e.svc, tn.ID, c.ID, convstore.DeleteParams{Door: "cli"})
	req := &convstore.IdempotentRequest{Key: "k", Fingerprint: []byte("DELETE /x")}
	claim, err := e.svc.ClaimIdempotencyKey(e.ctx, tn.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SettleIdempotencyKey(e.ctx, tn.ID, req, claim, &convstore.IdempotentAnswer{Status: 200}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { e.svc.RunSweeper(ctx, time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	left := func() (tombstones, keys int) {
		far := time.Now().Add(time.Hour)
		err := e.drv.Write(e.ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			// Counted by deleting what would be left, rolled back.
			var err error
			if tombstones, err = tx.TombstoneDeleteExpired(ctx, far, 10); err != nil {
				return err
			}
			if keys, err = tx.IdempotencyDeleteExpired(ctx, far, 10); err != nil {
				return err
			}
			return errRollback
		})
		if err != errRollback {
			t.Fatal(err)
		}
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts, ks := left()
		if ts == 0 && ks == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s of sweeps, %d tombstones and %d keys are left", ts, ks)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var errRollback = convstore.Errorf(convstore.ECONFLICT, "rollback")
