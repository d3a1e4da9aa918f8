package service

import (
	"context"
	"sync"

	"github.com/convstore/convstore/driver"
)

// outboxWake tells this node's relays (webhook deliveries, the NATS
// publisher) that a write committed events, so they deliver at once
// instead of at their next poll. Writes on other nodes reach them at that
// poll.
type outboxWake struct {
	mu   sync.Mutex
	subs []chan struct{}
}

// subscribe returns a channel that receives (at most one pending value)
// after every commit of events from now on.
func (w *outboxWake) subscribe() <-chan struct{} {
	c := make(chan struct{}, 1)
	w.mu.Lock()
	w.subs = append(w.subs, c)
	w.mu.Unlock()
	return c
}

// notify wakes every subscriber without waiting for any.
func (w *outboxWake) notify() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// writeEvents is drv.Write for a write whose fn emits events: once it
// has committed, the relays are woken.
func (s *Service) writeEvents(ctx context.Context, p driver.WriteParams, fn func(ctx context.Context, tx driver.Tx) error) error {
	err := s.drv.Write(ctx, p, fn)
	if err == nil {
		s.outbox.notify()
	}
	return err
}
