package sqlite

import (
	"context"
	"database/sql"
	"errors"
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
	return func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`,
			idArg(convstore.NewID()), name, micros(now))
		return translate(err)
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
	db, _ := openTest(t, t.TempDir(), nil)
	ctx := context.Background()
	failure := errors.New("refused")
	reqs := []*writeReq{
		request(ctx, insertTenant("a")),
		request(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
			if err := insertTenant("b")(ctx, tx, now); err != nil {
				return err
			}
			return failure
		}),
		request(ctx, insertTenant("a")), // UNIQUE violation: a statement error
		request(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error { panic("bug") }),
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
	db, _ := openTest(t, t.TempDir(), nil)
	ctx := context.Background()
	reqs := []*writeReq{
		request(ctx, insertTenant("before")),
		request(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
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
	if _, _, err := db.CreateTenant(ctx, "later", convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
}

// A caller that gives up while its write waits is answered at once, and
// its write never runs; one whose write already runs waits for it.
func TestWriteAbandonedBeforeItRuns(t *testing.T) {
	db, _ := openTest(t, t.TempDir(), nil)
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	go func() {
		blocker <- db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
			close(started)
			<-release
			return insertTenant("blocker")(ctx, tx, now)
		})
	}()
	<-started // the committer is busy with the blocker

	waiting, cancel := context.WithCancel(ctx)
	ran := make(chan struct{}, 1)
	abandoned := make(chan error, 1)
	go func() {
		abandoned <- db.write(waiting, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
			ran <- struct{}{}
			return insertTenant("abandoned")(ctx, tx, now)
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
	if _, _, err := db.CreateTenant(ctx, "next", convstore.DeleteParams{Door: "test"}); err != nil { // runs after the abandoned one would have
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
	db, _ := openTest(t, t.TempDir(), nil)
	db.Close()
	if _, _, err := db.CreateTenant(context.Background(), "late", convstore.DeleteParams{Door: "test"}); convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Errorf("CreateTenant after Close: %v, want EUNAVAILABLE", err)
	}
}
