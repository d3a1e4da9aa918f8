package removal

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// Wait returns after the jobs enqueued before it, in order.
func TestWaitAfterJobs(t *testing.T) {
	var mu sync.Mutex
	var got []string
	w := New(func(ctx context.Context, keys []string) {
		mu.Lock()
		got = append(got, keys...)
		mu.Unlock()
	}, 8)
	defer w.Close()
	for _, k := range []string{"a", "b", "c"} {
		if !w.Enqueue([]string{k}) {
			t.Fatalf("Enqueue(%s) refused", k)
		}
	}
	if err := w.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("removed %v", got)
	}
}

// A full queue refuses instead of blocking the caller, and Close stops a
// removal that is blocked, then refuses new jobs.
func TestFullQueueAndClose(t *testing.T) {
	entered := make(chan struct{})
	stopped := make(chan struct{})
	w := New(func(ctx context.Context, keys []string) {
		if keys[0] == "blocked" {
			close(entered)
			<-ctx.Done()
			close(stopped)
		}
	}, 1)
	if !w.Enqueue([]string{"blocked"}) {
		t.Fatal("first Enqueue refused")
	}
	<-entered
	if !w.Enqueue([]string{"queued"}) {
		t.Fatal("Enqueue into an empty queue refused")
	}
	if w.Enqueue([]string{"overflow"}) {
		t.Error("Enqueue into a full queue accepted")
	}
	w.Close()
	<-stopped
	if w.Enqueue([]string{"late"}) {
		t.Error("Enqueue after Close accepted")
	}
	if err := w.Wait(context.Background()); err != nil {
		t.Errorf("Wait after Close: %v", err)
	}
}
