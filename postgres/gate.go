package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/convstore/convstore"
)

// gates lets one write at a time per conversation hold a connection on
// this node. Writes to a conversation wait for its row lock in PostgreSQL
// anyway; without the gate, each of them would wait holding a pooled
// connection, so a single row held by someone else (a long transaction, an
// administrator's session, another node) could take every connection of
// the pool and stall unrelated requests. With it, the others wait here,
// without a connection, for at most the lock timeout.
type gates struct {
	timeout time.Duration // how long a write waits for its turn; 0: the caller's context
	mu      sync.Mutex
	m       map[[2]convstore.ID]*gate
}

type gate struct {
	turn chan struct{} // holds a token while a write has the turn
	refs int           // writes holding or waiting for the turn
}

// enter waits for the conversation's turn and returns the function that
// gives it up. Waiting longer than the timeout is ETIMEOUT, like a lock
// wait that lock_timeout ends.
func (g *gates) enter(ctx context.Context, tenantID, conversationID convstore.ID) (func(), error) {
	k := [2]convstore.ID{tenantID, conversationID}
	g.mu.Lock()
	if g.m == nil {
		g.m = map[[2]convstore.ID]*gate{}
	}
	e := g.m[k]
	if e == nil {
		e = &gate{turn: make(chan struct{}, 1)}
		g.m[k] = e
	}
	e.refs++
	g.mu.Unlock()

	var expired <-chan time.Time
	if g.timeout > 0 {
		t := time.NewTimer(g.timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case e.turn <- struct{}{}:
		return func() { <-e.turn; g.leave(k, e) }, nil
	case <-ctx.Done():
		g.leave(k, e)
		return nil, ctx.Err()
	case <-expired:
		g.leave(k, e)
		return nil, errLockTimeout()
	}
}

func (g *gates) leave(k [2]convstore.ID, e *gate) {
	g.mu.Lock()
	if e.refs--; e.refs == 0 {
		delete(g.m, k)
	}
	g.mu.Unlock()
}
