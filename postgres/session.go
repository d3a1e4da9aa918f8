package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// session is the node's own connection, apart from the pool, for two jobs
// that must not queue behind ordinary work:
//
//   - Ping (readiness) runs on it, so /readyz answers whether the database
//     answers, even while every pooled connection is busy or waits on a
//     lock; a load balancer must not take out a node whose database is
//     healthy.
//   - It holds a session-level advisory lock on the node's id for the
//     life of the connection. Upload intents record that id as their
//     owner; an intent whose owner's lock is free belongs to a node that
//     is gone (killed mid-upload), and a node starting up removes it (see
//     reclaimUploads). PostgreSQL releases the lock itself when the
//     connection ends, however the node died.
//
// If the connection breaks, the next Ping opens a new one and takes the
// lock again.
type session struct {
	cfg    *pgx.ConnConfig
	nodeID int64
	logger *slog.Logger

	turn   chan struct{} // one user of conn at a time; a channel, to honour contexts
	conn   *pgx.Conn
	locked bool // conn holds the node lock
}

func newSession(cfg *pgx.ConnConfig, nodeID int64, logger *slog.Logger) *session {
	return &session{cfg: cfg, nodeID: nodeID, logger: logger, turn: make(chan struct{}, 1)}
}

// ping checks the database on the session's connection, opening it (and
// taking the node lock) if needed. A broken connection is replaced once.
func (s *session) ping(ctx context.Context) error {
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return ctx.Err()
	}
	var err error
	for range 2 {
		if err = s.connect(ctx); err != nil {
			continue
		}
		if err = s.conn.Ping(ctx); err == nil {
			return nil
		}
		s.drop()
		if ctx.Err() != nil {
			break
		}
	}
	return err
}

// connect opens the connection if it is not open, and takes the node lock
// if the connection does not hold it. The caller has the turn.
func (s *session) connect(ctx context.Context) error {
	if s.conn != nil && s.conn.IsClosed() {
		s.drop()
	}
	if s.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, s.cfg)
		if err != nil {
			return err
		}
		s.conn = conn
	}
	if !s.locked {
		// Not blocking: the lock can only be held by this node's previous
		// connection, whose end PostgreSQL has not noticed yet.
		if err := s.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, s.nodeID).Scan(&s.locked); err != nil {
			s.drop()
			return err
		}
		if !s.locked {
			s.logger.WarnContext(ctx, "postgres: the node lock is still held by a previous connection; will retry", "node", s.nodeID)
		}
	}
	return nil
}

// drop closes the connection; the lock goes with it.
func (s *session) drop() {
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.conn.Close(ctx)
		cancel()
	}
	s.conn, s.locked = nil, false
}

// close closes the connection, waiting for a ping under way.
func (s *session) close() {
	s.turn <- struct{}{}
	s.drop()
	<-s.turn
}
