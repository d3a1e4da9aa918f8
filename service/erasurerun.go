package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// DefaultErasureLease is how long a runner holds a job between two
// commits of its progress: a node that dies mid-job leaves the job to
// another node (or itself, restarted) once this much time has passed.
const DefaultErasureLease = time.Minute

// ErasureRunOptions tune RunErasures.
type ErasureRunOptions struct {
	// Lease is how long a claim holds a job between commits; 0 means
	// DefaultErasureLease.
	Lease time.Duration
	// Batch is how many conversations are deleted between two commits of
	// progress; 0 means the default (20).
	Batch int
	// StopAfter, if positive, makes the run stop dead after that many
	// deletes, without committing what followed its last commit and
	// without releasing its lease: what a node killed mid-job leaves (for
	// tests of the resume).
	StopAfter int
	// Refuse, if set, is asked before each delete; an error it returns
	// is taken as the delete's (for tests of refusals, such as a held
	// conversation's).
	Refuse func(tenantID, conversationID convstore.ID) error
}

// errStopped ends a run that StopAfter cut short.
var errStopped = errors.New("service: erasure run stopped")

// erasureWork is the service's erasure runner state: its lease owner
// name and the channel that wakes its loop when a job is created here.
type erasureWork struct {
	once  sync.Once
	wake  chan struct{}
	owner string
	lease time.Duration // of the background runs (Options.ErasureLease)
}

func (w *erasureWork) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		var b [12]byte
		_, _ = rand.Read(b[:])
		w.owner = hex.EncodeToString(b[:])
	})
}

// signal wakes the loop, if it sleeps.
func (w *erasureWork) signal() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// runErasureLoop runs erasure jobs until ctx ends: every interval, and at
// once when a job is created on this node. Jobs of other nodes are
// claimed when queued or when their lease ran out.
func (s *Service) runErasureLoop(ctx context.Context, interval time.Duration) {
	s.erasures.init()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RunErasures(ctx, ErasureRunOptions{Lease: s.erasures.lease}); err != nil && ctx.Err() == nil {
			s.logger.Error("erasure run failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.erasures.wake:
		}
	}
}

// RunErasures claims and runs erasure jobs of any tenant until none is
// left to claim, and returns how many it ran to an end (succeeded,
// canceled or failed). A transient failure (a timeout, an unavailable
// store) stops the run with the error; the job stays claimed until its
// lease ends, then any node resumes it.
func (s *Service) RunErasures(ctx context.Context, o ErasureRunOptions) (int, error) {
	s.erasures.init()
	if o.Lease <= 0 {
		o.Lease = DefaultErasureLease
	}
	if o.Batch <= 0 {
		o.Batch = erasureBatch
	}
	finished, deletes := 0, 0
	for {
		var row *driver.ErasureRow
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			now := s.now()
			var err error
			row, err = tx.ErasureClaim(ctx, &driver.ErasureClaimParams{Now: now, Until: now.Add(o.Lease), Owner: s.erasures.owner})
			return err
		})
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return finished, nil
		} else if err != nil {
			return finished, err
		}
		done, err := s.runErasure(ctx, row, &o, &deletes)
		if errors.Is(err, errStopped) {
			return finished, nil
		} else if err != nil {
			return finished, err
		}
		if done {
			finished++
		}
	}
}

// erasureRun is one claimed job's progress, as committed next.
type erasureRun struct {
	row    *driver.ErasureRow
	cursor convstore.ID
	done   convstore.ErasureCounts
	held   int
}

// runErasure runs a claimed job until it ends, its lease is lost or a
// transient error stops it; it reports whether the job ended. Progress is
// committed every o.Batch conversations. Its done counts are summed from
// the job's receipts when it is claimed, so a run that died between a
// delete and its commit loses no count, and a conversation already
// deleted is found gone, never deleted twice.
func (s *Service) runErasure(ctx context.Context, row *driver.ErasureRow, o *ErasureRunOptions, deletes *int) (bool, error) {
	run := &erasureRun{row: row, cursor: row.Cursor, held: row.Held}
	sel, err := s.openSelector(ctx, row)
	if err != nil {
		s.logger.Error("an erasure's selector does not open", "erasure", row.ID.UUID(), "error", err)
		return s.finishErasure(ctx, run, o, convstore.ErasureFailed,
			"the job's selector can no longer be read (its key epoch was destroyed); create the job again")
	}
	if run.done, err = s.drv.Reads().DeletionTotals(ctx, row.TenantID, row.ID); err != nil {
		return false, err
	}
	bound := row.ID
	if row.IncludeNew {
		bound = convstore.ID{}
	}
	cands := s.erasureCandidates(row.TenantID, sel, bound)
	params := convstore.DeleteParams{ActorKeyID: row.ActorKeyID, Door: row.Door, RequestID: row.RequestID,
		ClientRequestID: row.ClientRequestID, ErasureID: row.ID}
	for {
		ids, more, err := cands.next(ctx, run.cursor, o.Batch)
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			// Between conversations: a cancel stops the job here.
			cur, err := s.drv.Reads().ErasureGet(ctx, row.TenantID, row.ID)
			if err != nil {
				return false, err
			}
			if cur.State.Final() || cur.LeaseOwner != s.erasures.owner {
				return false, nil // the lease ran out and another node took the job
			}
			if cur.CancelRequested {
				return s.finishErasure(ctx, run, o, convstore.ErasureCanceled, "")
			}
			if o.StopAfter > 0 && *deletes >= o.StopAfter {
				return false, errStopped
			}
			*deletes++
			err = nil
			if o.Refuse != nil {
				err = o.Refuse(row.TenantID, id)
			}
			var d *convstore.Deletion
			if err == nil {
				d, err = s.DeleteConversation(ctx, row.TenantID, id, params)
			}
			switch code := convstore.ErrorCode(err); {
			case code == "":
				run.done.Add(convstore.ErasureCounts{Conversations: 1, Messages: d.Messages, Artifacts: d.Artifacts,
					Attachments: d.Attachments, Bytes: d.AttachmentBytes})
			case code == convstore.ENOTFOUND:
				// Deleted meanwhile (by another run of this job, whose
				// receipt is counted, or by someone else): never twice.
			case refusedByRule(code):
				// A rule keeps it (a legal hold): skipped and counted.
				run.held++
			case code == convstore.ETIMEOUT || code == convstore.EUNAVAILABLE:
				return false, err
			default:
				if ctx.Err() != nil {
					return false, ctx.Err()
				}
				s.logger.Error("an erasure failed to delete a conversation", "erasure", row.ID.UUID(),
					"conversation", id.UUID(), "error", err)
				return s.finishErasure(ctx, run, o, convstore.ErasureFailed,
					"a conversation could not be deleted: "+convstore.ErrorMessage(err))
			}
			run.cursor = id
		}
		if !more {
			if err := s.eraseEndUser(ctx, row.TenantID, sel, params, run); err != nil {
				if code := convstore.ErrorCode(err); code == convstore.ETIMEOUT || code == convstore.EUNAVAILABLE || ctx.Err() != nil {
					return false, err
				}
				s.logger.Error("an erasure failed to delete an end-user record", "erasure", row.ID.UUID(), "error", err)
				return s.finishErasure(ctx, run, o, convstore.ErasureFailed,
					"the end user's record could not be deleted: "+convstore.ErrorMessage(err))
			}
			return s.finishErasure(ctx, run, o, convstore.ErasureSucceeded, "")
		}
		lost, err := s.commitErasure(ctx, run, o)
		if err != nil || lost {
			return false, err
		}
	}
}

// refusedByRule reports a delete refused by a rule on the conversation
// (a legal hold: EHELD), which a job skips and counts as held rather
// than fails on; a conflict-class code is taken as such a rule too.
func refusedByRule(code string) bool {
	return code == convstore.EHELD || code == convstore.ECONFLICT
}

// commitErasure records a run's progress and renews its lease; lost
// reports a lease another node took (the run stops: that node goes on).
func (s *Service) commitErasure(ctx context.Context, run *erasureRun, o *ErasureRunOptions) (lost bool, err error) {
	err = s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		row, err := tx.ErasureUpdate(ctx, &driver.ErasureUpdateParams{TenantID: run.row.TenantID, ID: run.row.ID,
			Owner: s.erasures.owner, State: convstore.ErasureRunning, Cursor: run.cursor, Done: run.done, Held: run.held,
			LeaseUntil: now.Add(o.Lease), UpdatedAt: now})
		if err == nil {
			run.row = row
		}
		return err
	})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return true, nil
	}
	return false, err
}

// finishErasure ends a job in state with its last progress, clears its
// sealed selector and writes the AuditErasureFinish entry, under the
// actor, door and request that created the job. It reports false if the
// lease was lost meanwhile: the node that holds it ends the job.
func (s *Service) finishErasure(ctx context.Context, run *erasureRun, o *ErasureRunOptions, state convstore.ErasureState, reason string) (bool, error) {
	err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		r := run.row
		_, err := tx.ErasureUpdate(ctx, &driver.ErasureUpdateParams{TenantID: r.TenantID, ID: r.ID,
			Owner: s.erasures.owner, State: state, Cursor: run.cursor, Done: run.done, Held: run.held, Error: reason,
			UpdatedAt: now, FinishedAt: &now})
		if err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, r.TenantID, convstore.AuditErasureFinish, convstore.ID{}, r.ID,
			convstore.DeleteParams{ActorKeyID: r.ActorKeyID, Door: r.Door, RequestID: r.RequestID, ClientRequestID: r.ClientRequestID}); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, erasureCompleted(r, state, run.done, run.held, now))
	})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// eraseEndUser deletes, after a job that erases one end user (a selector
// of user_id alone) has erased their conversations, the end-user record
// of that user id, if there is one: its receipt joins the job's (Kind
// DeletionEndUser; the job's counts are of conversations). A legal hold
// on the user keeps it, counted as held; one already deleted (by an
// earlier run of the job) is not deleted twice.
func (s *Service) eraseEndUser(ctx context.Context, tenantID convstore.ID, sel *convstore.ErasureSelector, p convstore.DeleteParams, run *erasureRun) error {
	if sel.UserID == "" || sel.AgentID != "" || len(sel.ExternalIDs) > 0 || sel.CreatedBefore != nil || len(sel.Metadata) > 0 {
		return nil
	}
	u, err := s.FindEndUserByUserID(ctx, tenantID, sel.UserID)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	_, err = s.DeleteEndUser(ctx, tenantID, u.ID, p)
	switch code := convstore.ErrorCode(err); {
	case code == "" || code == convstore.ENOTFOUND:
		return nil
	case refusedByRule(code):
		run.held++
		return nil
	}
	return err
}
