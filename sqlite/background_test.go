package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore/driver"
)

// order records which writes ran, in order, and in which transaction.
type order struct {
	mu  sync.Mutex
	ran []string
	txs map[string]*sql.Tx
}

func (o *order) write(name string) writeFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.ran = append(o.ran, name)
		if o.txs == nil {
			o.txs = map[string]*sql.Tx{}
		}
		o.txs[name] = tx
		return insertTenant(name)(ctx, tx)
	}
}

// queueBehindBlocker occupies the committer with a write that waits for
// release, then queues a background write and after it foreground writes
// a and b, and returns a function that releases the blocker and waits for
// every write.
func queueBehindBlocker(t *testing.T, db *DB, o *order) (finish func()) {
	t.Helper()
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	errs := make(chan error, 4)
	go func() {
		errs <- db.commits.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			close(started)
			<-release
			return o.write("blocker")(ctx, tx)
		})
	}()
	<-started
	go func() { errs <- db.commits.writeBackground(ctx, o.write("background")) }()
	for len(db.commits.bg) == 0 {
		runtime.Gosched()
	}
	for i, name := range []string{"a", "b"} {
		go func() { errs <- db.commits.write(ctx, o.write(name)) }()
		for len(db.commits.reqs) <= i {
			runtime.Gosched()
		}
	}
	return func() {
		close(release)
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A background write queued before two foreground writes runs after them,
// and alone: the foreground writes share a transaction, never the
// background one's.
func TestBackgroundWriteGivesWay(t *testing.T) {
	db := openDriver(t, filepath.Join(t.TempDir(), "convstore.db"))
	db.commits.bgWait = time.Hour
	o := &order{}
	queueBehindBlocker(t, db, o)()
	if want := []string{"blocker", "a", "b", "background"}; !slices.Equal(o.ran, want) {
		t.Errorf("ran %v, want %v", o.ran, want)
	}
	if o.txs["a"] != o.txs["b"] || o.txs["background"] == o.txs["a"] {
		t.Error("the background write shared a transaction with foreground ones, or a and b did not share theirs")
	}
	if names := tenantNames(t, db); names != "a,b,background,blocker" {
		t.Errorf("tenants %q", names)
	}
	// The writer is back to synchronous=FULL for the foreground.
	var level int
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&level); err != nil || level != 2 {
		t.Errorf("synchronous after a background write = %d, %v; want 2 (FULL)", level, err)
	}
}

// A background write that has waited backgroundWait runs before the
// foreground writes queued after it: a busy writer still purges.
func TestBackgroundWriteNotStarved(t *testing.T) {
	db := openDriver(t, filepath.Join(t.TempDir(), "convstore.db"))
	db.commits.bgWait = 0
	o := &order{}
	queueBehindBlocker(t, db, o)()
	if want := []string{"blocker", "background", "a", "b"}; !slices.Equal(o.ran, want) {
		t.Errorf("ran %v, want %v", o.ran, want)
	}
}

// A background write reports Busy while a foreground write waits for the
// writer or a read is under way, and not with neither, nor in a foreground
// write: the purge ends its batch after the step during which it was.
func TestBusyBesideForeground(t *testing.T) {
	_, db, _ := openTest(t, t.TempDir(), nil)
	ctx := context.Background()
	// fg: "write" queues a foreground write during the transaction,
	// "read" holds a read transaction open during it.
	busy := func(background bool, fg string) bool {
		var busy bool
		errs, release := make(chan error, 1), make(chan struct{})
		mustOK(t, db.Write(ctx, driver.WriteParams{Background: background}, func(ctx context.Context, tx driver.Tx) error {
			switch fg {
			case "write":
				go func() { errs <- db.commits.write(ctx, insertTenant("fg")) }()
				for !db.commits.waiting() {
					runtime.Gosched()
				}
			case "read":
				go func() {
					errs <- db.Read(ctx, func(ctx context.Context, _ driver.Reader) error { <-release; return nil })
				}()
				for db.reading.Load() == 0 {
					runtime.Gosched()
				}
			}
			busy = tx.Busy()
			close(release)
			return nil
		}))
		if fg != "" {
			mustOK(t, <-errs)
		}
		return busy
	}
	if !busy(true, "write") {
		t.Error("a background write with a foreground write waiting is not busy")
	}
	if !busy(true, "read") {
		t.Error("a background write with a read under way is not busy")
	}
	if busy(true, "") {
		t.Error("a background write alone is busy")
	}
	if busy(false, "read") {
		t.Error("a foreground write is busy")
	}
}
