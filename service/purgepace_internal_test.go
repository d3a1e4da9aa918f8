package service

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/sqlite"
)

// The pause after a batch: none when the foreground was idle or yield is
// off; on a single-writer engine yield times the run, counted up to
// maxPurgeRun, and at least minPurgePause; on a concurrent one yield times
// the run, up to maxPurgeRunConcurrent.
func TestPurgePause(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		yield     float64
		run       time.Duration
		busy, one bool
		want      time.Duration
	}{
		{1, 100 * ms, false, false, 0},
		{1, 100 * ms, false, true, 0},
		{-1, 100 * ms, true, false, 0},
		{-1, 100 * ms, true, true, 0},
		{1, 2 * ms, true, true, minPurgePause},
		{1, 30 * ms, true, true, 30 * ms},
		{1, 400 * ms, true, true, maxPurgeRun},
		{2, 30 * ms, true, true, 60 * ms},
		{1, 2 * ms, true, false, 2 * ms},
		{1, 150 * ms, true, false, 150 * ms},
		{0.5, 150 * ms, true, false, 75 * ms},
		{3, 150 * ms, true, false, 450 * ms},
		{1, 5 * time.Second, true, false, maxPurgeRunConcurrent},
		{1, -ms, true, false, 0}, // a clock that went back
	} {
		p := newPurger(&Options{PurgeYield: c.yield})
		if got := p.pause(c.run, c.busy, c.one); got != c.want {
			t.Errorf("yield %v, run %v, busy %v, one writer %v: pause %v, want %v", c.yield, c.run, c.busy, c.one, got, c.want)
		}
	}
	if p := newPurger(&Options{}); p.yield != DefaultPurgeYield {
		t.Errorf("default yield %v, want %v", p.yield, DefaultPurgeYield)
	}
}

// busyDriver is a driver with concurrent writers (it hides the SQLite
// driver's OneWriter and Checkpointer) whose purge batches each take
// batchTime on a fake clock and say the foreground was busy when busy
// says so for the batch's number.
type busyDriver struct {
	driver.Driver
	clock     *fakeClock
	batchTime time.Duration
	busy      func(batch int) bool
	batches   int
	perWrite  []int // PurgeBatch calls in each background write
}

func (d *busyDriver) Write(ctx context.Context, p driver.WriteParams, fn func(ctx context.Context, tx driver.Tx) error) error {
	return d.Driver.Write(ctx, p, func(ctx context.Context, tx driver.Tx) error {
		if p.Background {
			d.perWrite = append(d.perWrite, 0)
		}
		return fn(ctx, &busyTx{Tx: tx, d: d})
	})
}

type busyTx struct {
	driver.Tx
	d *busyDriver
}

func (tx *busyTx) PurgeBatch(ctx context.Context, p *driver.PurgeBatchParams) (*driver.PurgeBatchResult, error) {
	r, err := tx.Tx.PurgeBatch(ctx, p)
	if err != nil {
		return nil, err
	}
	tx.d.clock.advance(tx.d.batchTime)
	tx.d.batches++
	if n := len(tx.d.perWrite); n > 0 {
		tx.d.perWrite[n-1]++
	}
	return r, nil
}

// Busy says whether the foreground was busy beside the last batch.
func (tx *busyTx) Busy() bool { return tx.d.busy(tx.d.batches - 1) }

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// On an engine with concurrent writers the purger pauses after each batch
// that ran beside the foreground, as long as the batch ran (yield 1), so
// that while the foreground is busy the purge runs half of the time; after
// a batch with the foreground idle it goes on at once.
func TestPurgePacesBesideForeground(t *testing.T) {
	for _, c := range []struct {
		name  string
		yield float64
		busy  func(int) bool
		want  []time.Duration // the pauses, in order
	}{
		{"idle", 0, func(int) bool { return false }, nil},
		{"busy", 0, func(int) bool { return true }, []time.Duration{40, 40, 40, 40, 40}},
		{"busy yield 3", 3, func(int) bool { return true }, []time.Duration{120, 120, 120, 120, 120}},
		{"busy now and then", 0, func(i int) bool { return i%2 == 1 }, []time.Duration{80, 80}},
		{"busy, no yield", -1, func(int) bool { return true }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
			s, drv, _ := deletedFor55(t, clock, 40*time.Millisecond, Options{PurgeInterval: -1, PurgeBatch: 10, PurgeYield: c.yield})
			var pauses []time.Duration
			s.purge.clock = clock.now
			s.purge.sleep = func(ctx context.Context, d time.Duration) error {
				pauses = append(pauses, d)
				clock.advance(d)
				return nil
			}
			drv.busy = c.busy
			start := clock.now()
			if n, err := s.Purge(ctx); err != nil || n != 1 {
				t.Fatalf("Purge = %d, %v", n, err)
			}
			// 55 messages in batches of 10: 6 batches, the last one
			// finishing the job (no pause after it).
			if drv.batches != 6 {
				t.Fatalf("%d batches, want 6", drv.batches)
			}
			want := make([]time.Duration, len(c.want))
			for i, d := range c.want {
				want[i] = d * time.Millisecond
			}
			if len(pauses) != len(want) {
				t.Fatalf("pauses %v, want %v", pauses, want)
			}
			var paused time.Duration
			for i := range want {
				if pauses[i] != want[i] {
					t.Errorf("pause %d: %v, want %v", i, pauses[i], want[i])
				}
				paused += pauses[i]
			}
			if elapsed := clock.now().Sub(start); elapsed != 6*drv.batchTime+paused {
				t.Errorf("the purge took %v on the clock, want %v of batches and %v of pauses", elapsed, 6*drv.batchTime, paused)
			}
		})
	}
}

// A purge batch removes its rows a step at a time and ends after the step
// during which the foreground was busy: beside a busy foreground each
// transaction is one step, idle it is a whole batch of steps, each twice
// the one before on an engine with concurrent writers.
func TestPurgeBatchEndsAfterBusyStep(t *testing.T) {
	for _, c := range []struct {
		name string
		busy func(int) bool
		want []int // PurgeBatch calls in each batch's transaction
	}{
		// 55 messages, batches of 40 in steps of 10, 20, 10 (the
		// batch's rest); the step that finds fewer than it may remove
		// removes the conversation.
		{"idle", func(int) bool { return false }, []int{3, 2}},
		{"busy", func(int) bool { return true }, []int{1, 1, 1, 1, 1, 1}},
		{"busy at the second step", func(i int) bool { return i == 1 }, []int{2, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s, drv, conv := deletedFor55(t, &fakeClock{}, 0, Options{PurgeInterval: -1, PurgeBatch: 40, PurgeYield: -1})
			s.purge.step = 10
			drv.busy = c.busy
			if n, err := s.Purge(ctx); err != nil || n != 1 {
				t.Fatalf("Purge = %d, %v", n, err)
			}
			if !slices.Equal(drv.perWrite, c.want) {
				t.Errorf("steps per batch %v, want %v", drv.perWrite, c.want)
			}
			rows, err := drv.Driver.(*sqlite.DB).ConversationRows(ctx, conv)
			if err != nil {
				t.Fatal(err)
			}
			if rows["messages"] != 0 || rows["conversations"] != 0 {
				t.Errorf("left after the purge: %v", rows)
			}
		})
	}
}

// deletedFor55 opens a service over a busyDriver on a fresh SQLite
// database with opts, and deletes a conversation of 55 messages, leaving
// its purge job to the test; the driver starts idle.
func deletedFor55(t *testing.T, clock *fakeClock, batchTime time.Duration, opts Options) (*Service, *busyDriver, convstore.ID) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	drv := &busyDriver{Driver: db, clock: clock, batchTime: batchTime, busy: func(int) bool { return false }}
	s := New(drv, fs, opts)
	t.Cleanup(func() { s.Close() })
	tenant, _, err := s.CreateTenant(ctx, "pace", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := s.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	var in []*convstore.MessageCreate
	for range 55 {
		in = append(in, &convstore.MessageCreate{Role: convstore.RoleUser, Content: "hello"})
	}
	if _, err := s.CreateMessages(ctx, tenant.ID, conv.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	drv.perWrite = nil
	return s, drv, conv.ID
}
