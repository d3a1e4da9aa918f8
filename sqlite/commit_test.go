package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

// request returns a write request as the committer receives it.
func request(ctx context.Context, fn writeFunc) *writeReq {
	return &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
}

// insertTenant returns a write that inserts a tenant named name.
func insertTenant(name string) writeFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`,
			idArg(convstore.NewID()), name, micros(time.Now()))
		return (&DB{}).translate(err)
	}
}

func tenantNames(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.r.Query(`SELECT name FROM tenants ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, ",")
}

// In a batch, a write that fails is rolled back alone: the writes before
// and after it commit, in the same transaction.
func TestGroupCommitIsolatesAFailedWrite(t *testing.T) {
	db := openDriver(t, filepath.Join(t.TempDir(), "convstore.db"))
	ctx := context.Background()
	failure := errors.New("refused")
	reqs := []*writeReq{
		request(ctx, insertTenant("a")),
		request(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if err := insertTenant("b")(ctx, tx); err != nil {
				return err
			}
			return failure
		}),
		request(ctx, insertTenant("a")), // UNIQUE violation: a statement error
		request(ctx, func(ctx context.Context, tx *sql.Tx) error { panic("bug") }),
		request(ctx, insertTenant("c")),
	}
	db.commits.commit(reqs)
	got := make([]error, len(reqs))
	for i, r := range reqs {
		got[i] = <-r.done
	}
	if got[0] != nil || !errors.Is(got[1], failure) || convstore.ErrorCode(got[2]) != convstore.ECONFLICT ||
		got[3] == nil || !strings.Contains(got[3].Error(), "panic") || got[4] != nil {
		t.Errorf("outcomes %v; want nil, refused, ECONFLICT, a panic error, nil", got)
	}
	if names := tenantNames(t, db); names != "a,c" {
		t.Errorf("tenants %q, want a,c", names)
	}
}

// A write that makes SQLite end the shared transaction takes the writes
// before it down with it (they fail, nothing of them commits); the writes
// after it run in a fresh transaction.
func TestGroupCommitLostTransaction(t *testing.T) {
	db := openDriver(t, filepath.Join(t.TempDir(), "convstore.db"))
	ctx := context.Background()
	reqs := []*writeReq{
		request(ctx, insertTenant("before")),
		request(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `ROLLBACK`); err != nil {
				return err
			}
			return errors.New("transaction ended")
		}),
		request(ctx, insertTenant("after")),
	}
	db.commits.commit(reqs)
	first, second, third := <-reqs[0].done, <-reqs[1].done, <-reqs[2].done
	if first == nil || second == nil || third != nil {
		t.Errorf("outcomes %v, %v, %v; want an error, an error, nil", first, second, third)
	}
	if names := tenantNames(t, db); names != "after" {
		t.Errorf("tenants %q, want after", names)
	}
	// The writer is usable after that.
	if err := db.commits.write(ctx, insertTenant("later")); err != nil {
		t.Fatal(err)
	}
}

// A caller that gives up while its write waits is answered at once, and
// its write never runs; one whose write already runs waits for it.
func TestWriteAbandonedBeforeItRuns(t *testing.T) {
	db := openDriver(t, filepath.Join(t.TempDir(), "convstore.db"))
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	go func() {
		blocker <- db.commits.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			close(started)
			<-release
			return insertTenant("blocker")(ctx, tx)
		})
	}()
	<-started // the committer is busy with the blocker

	waiting, cancel := context.WithCancel(ctx)
	ran := make(chan struct{}, 1)
	abandoned := make(chan error, 1)
	go func() {
		abandoned <- db.commits.write(waiting, func(ctx context.Context, tx *sql.Tx) error {
			ran <- struct{}{}
			return insertTenant("abandoned")(ctx, tx)
		})
	}()
	for len(db.commits.reqs) == 0 { // until it is queued behind the blocker
		runtime.Gosched()
	}
	cancel()
	if err := <-abandoned; !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned write: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	if err := db.commits.write(ctx, insertTenant("next")); err != nil { // runs after the abandoned one would have
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Error("the abandoned write ran")
	default:
	}
	if names := tenantNames(t, db); !strings.Contains(names, "blocker") || strings.Contains(names, "abandoned") {
		t.Errorf("tenants %q", names)
	}
}

// Writes to a closed store fail with EUNAVAILABLE instead of hanging.
func TestWriteAfterClose(t *testing.T) {
	db := openDriver(t, filepath.Join(t.TempDir(), "convstore.db"))
	db.Close()
	if err := db.commits.write(context.Background(), insertTenant("late")); convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Errorf("a write after Close: %v, want EUNAVAILABLE", err)
	}
}
