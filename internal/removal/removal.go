// Package removal runs a storage engine's blob removals in the background,
// so that a delete is answered as soon as its commit is durable rather than
// after its attachment bytes are gone.
//
// The engines' blob_removals table stays the source of truth: a removal
// handed to a Worker has already been queued there in the committing
// transaction, so a job the Worker drops (queue full, store closing, crash)
// is done later by the sweeper. The Worker only makes removal prompt.
package removal

import (
	"context"
	"sync"
)

// Worker removes blobs one job at a time on a goroutine of its own. It is
// safe for concurrent use.
type Worker struct {
	remove func(ctx context.Context, keys []string)
	jobs   chan job

	ctx    context.Context // ends with Close, cancelling a removal under way
	cancel context.CancelFunc
	exited chan struct{}

	mu     sync.RWMutex // held for reading while a job is being sent
	closed bool
}

// job is a set of keys to remove, or (keys nil) a marker that Wait waits
// for.
type job struct {
	keys   []string
	marker chan struct{}
}

// New starts a Worker that calls remove for each job, with a context that
// ends when Close is called. remove must log its own failures and leave the
// keys it could not remove queued in the database. At most queue jobs wait;
// beyond that Enqueue refuses.
func New(remove func(ctx context.Context, keys []string), queue int) *Worker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{remove: remove, jobs: make(chan job, max(1, queue)), ctx: ctx, cancel: cancel, exited: make(chan struct{})}
	go w.loop()
	return w
}

func (w *Worker) loop() {
	defer close(w.exited)
	for {
		select {
		case <-w.ctx.Done():
			return
		case j := <-w.jobs:
			if j.marker != nil {
				close(j.marker)
				continue
			}
			w.remove(w.ctx, j.keys)
		}
	}
}

// Enqueue hands keys to the worker without waiting. It reports false if the
// queue is full or the worker closed; the keys are then left to the
// sweeper.
func (w *Worker) Enqueue(keys []string) bool {
	if len(keys) == 0 {
		return true
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return false
	}
	select {
	case w.jobs <- job{keys: keys}:
		return true
	default:
		return false
	}
}

// Wait returns once every job enqueued before the call has been done, or
// with ctx's error, or at once if the worker is closed.
func (w *Worker) Wait(ctx context.Context) error {
	marker := make(chan struct{})
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return nil
	}
	select {
	case w.jobs <- job{marker: marker}:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-marker:
		return nil
	case <-w.exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close cancels the removal under way, drops the jobs still waiting (their
// removals stay queued in the database) and returns once the worker has
// stopped. The remove function must honour its context for Close to be
// prompt.
func (w *Worker) Close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	<-w.exited
}
