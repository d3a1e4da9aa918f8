package servicetest

import (
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// An erasure job outlives the key epoch it was created under: rotations
// re-wrap the data key of a waiting job's sealed selector as they do the
// conversations' keys, so the epoch can be destroyed while the job waits
// (keys rotate with no retention, twice); the job then reads back and
// runs to its end, and a job that finished before the rotations reads
// back too.
func testErasureAcrossRotation(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	w := newPurgeWorld(t, ctx, svc, 3)
	operatorJob := func(user string) *convstore.Erasure {
		t.Helper()
		e, err := svc.CreateErasure(ctx, w.tenant.ID, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: user}}, operator)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	finished := operatorJob("nobody")
	if _, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	waiting := operatorJob("purged-user")
	created := db.Keyring.Current().ID
	for range 2 {
		if _, err := svc.RotateKeys(ctx, -1); err != nil {
			t.Fatalf("RotateKeys: %v", err)
		}
	}
	for _, e := range db.Keyring.Epochs() {
		if e.ID == created && e.Destroyed.IsZero() {
			t.Fatalf("epoch %d, which wrapped the jobs' keys, is not destroyed after two rotations", created)
		}
	}
	if got, err := svc.FindErasureByID(ctx, w.tenant.ID, finished.ID); err != nil || got.State != convstore.ErasureSucceeded {
		t.Errorf("the job finished before the rotations: %+v, %v", got, err)
	}
	if got, err := svc.FindErasureByID(ctx, w.tenant.ID, waiting.ID); err != nil || got.State != convstore.ErasureQueued {
		t.Errorf("the job waiting across the rotations: %+v, %v", got, err)
	}
	if n, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil || n != 1 {
		t.Fatalf("RunErasures after the rotations = %d, %v", n, err)
	}
	got, err := svc.FindErasureByID(ctx, w.tenant.ID, waiting.ID)
	if err != nil || got.State != convstore.ErasureSucceeded || got.Done.Conversations != 2 || got.Error != "" {
		t.Errorf("the job after the rotations: %+v, %v; want it succeeded over both conversations", got, err)
	}
}
