package service

import (
	"context"
	"errors"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Defaults of the purger.
const (
	// DefaultPurgeBatch is how many rows one purge transaction removes
	// on a single-writer engine (SQLite) when no other write waits. The
	// engine runs a batch only when no foreground write is queued and ends
	// it early when one arrives (driver.WriteParams.Background), so the
	// size is for throughput when idle (fewer commits per row) within a
	// few MB of WAL.
	DefaultPurgeBatch = 2000
	// DefaultPurgeBatchConcurrent is the same on an engine whose writers
	// run side by side (PostgreSQL): a batch blocks no other write, so it
	// is sized for throughput (fewer commits and statements per row).
	DefaultPurgeBatchConcurrent = 10000
	// purgeStep is how many rows a batch removes between two looks at the
	// foreground (driver.Tx.Busy), after which a busy one ends the batch:
	// a request then meets one step of the purge, not the batch. On a
	// single-writer engine (SQLite) a step is about a millisecond of the
	// writer, which a write that arrives waits for.
	purgeStep = 64
	// purgeStepConcurrent is the same on an engine with concurrent
	// writers (PostgreSQL): a couple of milliseconds of a backend and
	// about 100 KB of WAL, which the batch's commit then flushes itself.
	// While the foreground stays idle each step is twice the one before
	// (up to the batch), so an idle purge pays few statements per row.
	purgeStepConcurrent = 250
	// DefaultPurgeInterval is how often the purger looks for jobs it was
	// not told about: deletes on other nodes, and jobs whose purger died
	// (their lease ended).
	DefaultPurgeInterval = 10 * time.Second
	// DefaultPurgeLease is how long a purger holds a job without renewing
	// it (each batch renews it): the longest a job waits after its purger
	// dies.
	DefaultPurgeLease = time.Minute
	// DefaultPurgeYield is how long the purger pauses after a batch that
	// ran while the foreground was busy (driver.PurgeBatchResult.GaveWay),
	// as a multiple of the time it ran since its last pause: 1 leaves the
	// foreground at least half of the time, of the writer on a
	// single-writer engine (SQLite; the run counted at most maxPurgeRun,
	// the pause at least minPurgePause) and of a CPU and the disk on
	// any. A batch with no foreground beside it is followed by the next
	// at once, so an idle server purges at the engine's full rate.
	DefaultPurgeYield = 1.0
	// minPurgePause is the shortest pause after a batch that gave way:
	// foreground requests come in bursts, and one that just wrote is
	// likely to read next, which a purge running beside it would slow
	// (CPU, and SQLite's locks on the WAL index).
	minPurgePause = 10 * time.Millisecond
	// maxPurgeRun bounds the run a pause after giving way is a share
	// of: a purge that ran alone for seconds pauses as after a batch.
	maxPurgeRun = 50 * time.Millisecond
	// maxPurgeRunConcurrent is the same on an engine with concurrent
	// writers (PostgreSQL), whose batches do not stop for the foreground
	// and run for a hundred milliseconds or more: the pause matches the
	// batch, up to this bound on a host so slow that a batch takes
	// seconds.
	maxPurgeRunConcurrent = time.Second
	// checkpointRows is how many rows the purger removes between two
	// checkpoints of an engine's log. SQLite's checkpoint runs beside the
	// writer (see sqlite.DB.Checkpoint) and lets the next write reuse the
	// WAL from its start: every few thousand rows keeps the WAL to a few
	// MB and under the 1000 pages at which a commit on the writer would
	// checkpoint itself, with the foreground's writes waiting behind it.
	checkpointRows = 4000
)

// purger removes the rows of deleted conversations in the background, in
// bounded batches (see Options.PurgeBatch), on every node: jobs are leased
// (driver.PurgeJobClaim), so two purgers never work on one, and a job
// whose purger died is resumed once its lease ends.
type purger struct {
	batch    int
	step     int           // rows between two looks at the foreground (purgeStep)
	interval time.Duration // negative: no background loop
	lease    time.Duration
	owner    convstore.ID // this purger's leases
	yield    float64      // pause after a batch, as a multiple of its duration (Options.PurgeYield)
	kick     chan struct{}
	// clock and sleep time the pauses (time.Now and a timer; tests
	// inject their own).
	clock func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// afterBatch, if set, runs after each committed batch; an error stops
	// the job there, as a crash would (tests).
	afterBatch func(rows int) error
}

func newPurger(opts *Options) *purger {
	p := &purger{
		batch:      opts.PurgeBatch, // 0: by the engine (Open)
		interval:   opts.PurgeInterval,
		lease:      positiveDuration(opts.PurgeLease, DefaultPurgeLease),
		owner:      convstore.NewID(),
		kick:       make(chan struct{}, 1),
		afterBatch: opts.PurgeAfterBatch,
		yield:      opts.PurgeYield,
		clock:      time.Now,
		sleep:      sleepCtx,
	}
	if p.interval == 0 {
		p.interval = DefaultPurgeInterval
	}
	if p.yield == 0 {
		p.yield = DefaultPurgeYield
	} else if p.yield < 0 {
		p.yield = 0
	}
	return p
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pause is how long the purger waits after a batch, given how long the
// purge ran since its last pause, whether the foreground was busy beside
// the batch (driver.Tx.Busy) and whether the engine has a single writer. Idle,
// none: the next batch follows at once. Busy, yield times the run: the
// purge then runs at most 1/(1+yield) of the time the foreground is busy
// (half by default), leaving it the rest of the writer (SQLite), the CPU
// and the disk. On SQLite a batch gives way within a millisecond, so the
// run is counted up to maxPurgeRun and the pause is at least
// minPurgePause; on PostgreSQL a batch runs to its limit and the pause
// follows its length, up to maxPurgeRunConcurrent.
func (p *purger) pause(run time.Duration, gaveWay, oneWriter bool) time.Duration {
	if !gaveWay || p.yield <= 0 {
		return 0
	}
	if oneWriter {
		return max(minPurgePause, time.Duration(float64(min(run, maxPurgeRun))*p.yield))
	}
	return time.Duration(float64(min(max(run, 0), maxPurgeRunConcurrent)) * p.yield)
}

// recheck is how long a job whose conversation is held waits before it is
// looked at again: the purge interval, so a released hold's purge starts
// at about the purger's next pass (the lease when no loop runs).
func (p *purger) recheck() time.Duration {
	if p.interval > 0 {
		return p.interval
	}
	return p.lease
}

// wake tells the loop a job was queued here, without waiting.
func (p *purger) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// runPurger purges until ctx ends: whenever a delete here queues a job,
// and every interval for the others. RunSweeper runs it.
func (s *Service) runPurger(ctx context.Context) {
	t := time.NewTicker(s.purge.interval)
	defer t.Stop()
	for {
		if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("purge failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.purge.kick:
		}
	}
}

// Purge runs every purge job it can claim to the end, one job and one
// batch at a time, and returns how many jobs it finished. A job another
// purger holds under a live lease is left to it. Tests and the CLI call it
// to purge at once; RunSweeper calls it in the background.
func (s *Service) Purge(ctx context.Context) (int, error) {
	done := 0
	for {
		var jobs []*driver.PurgeJob
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			now := s.now()
			var err error
			jobs, err = tx.PurgeJobClaim(ctx, &driver.PurgeJobClaimParams{Now: now, Owner: s.purge.owner, Until: now.Add(s.purge.lease), Limit: 1})
			return err
		})
		if err != nil || len(jobs) == 0 {
			return done, err
		}
		finished, err := s.purgeJob(ctx, jobs[0])
		if err != nil {
			return done, err
		}
		if finished {
			done++
		}
	}
}

// purgeJob removes a job's rows batch by batch, each batch renewing the
// lease in its transaction (a purger whose lease was taken over stops at
// once: ENOTFOUND) and queueing the removed attachments' bytes. Batches
// are background writes (driver.WriteParams.Background): on SQLite they
// give way to foreground writes and may be lost to a power failure, which
// only means purging them again, since their progress is in the database.
// Once the last batch removed the conversation's row, an ordinary write
// finishes the job and stamps the receipt, durably: a purged_at once seen
// never goes back. Between batches the engine may trim its log (SQLite's
// WAL). It reports false if the job was lost to another purger.
func (s *Service) purgeJob(ctx context.Context, j *driver.PurgeJob) (bool, error) {
	if !j.DueAt.IsZero() {
		// A restore window ended: the key goes before any row does.
		err := s.expirePurgeJob(ctx, j)
		if errors.Is(err, errJobHeld) {
			s.logger.Debug("purge held", "conversation_id", j.ConversationID)
			return false, nil
		}
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			s.logger.Warn("purge job left", "conversation_id", j.ConversationID, "error", err)
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	cp, _ := s.drv.(driver.Checkpointer)
	_, oneWriter := s.drv.(driver.OneWriter)
	var after convstore.ID     // the messages' cursor (driver.PurgeBatchParams.After)
	running := s.purge.clock() // since the last pause
	for rows := 0; ; {
		var r *driver.PurgeBatchResult
		var gaveWay bool
		err := s.drv.Write(ctx, driver.WriteParams{Background: true}, func(ctx context.Context, tx driver.Tx) error {
			now := s.now()
			if err := tx.PurgeJobRenew(ctx, j.ConversationID, s.purge.owner, now.Add(s.purge.lease)); err != nil {
				return err
			}
			var err error
			if r, gaveWay, err = s.purgeSteps(ctx, tx, j, after); err != nil {
				return err
			}
			if len(r.BlobKeys) > 0 {
				return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: r.BlobKeys, DueAt: now, Now: now})
			}
			return nil
		})
		if err == nil && len(r.BlobKeys) > 0 {
			s.removeLater(r.BlobKeys)
		}
		if err == nil && r.Done {
			err = s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
				now := s.now()
				if err := tx.PurgeJobRenew(ctx, j.ConversationID, s.purge.owner, now.Add(s.purge.lease)); err != nil {
					return err
				}
				if err := tx.PurgeJobFinish(ctx, j, now); err != nil {
					return err
				}
				return s.emit(ctx, tx, now, conversationPurged(j, now))
			})
		}
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			// Lost the lease, or the conversation is live (a job that
			// should not exist): either way not this purger's to finish.
			s.logger.Warn("purge job left", "conversation_id", j.ConversationID, "error", err)
			return false, nil
		}
		if err != nil {
			return false, err
		}
		after = r.Last
		if rows += r.Rows; cp != nil && rows >= checkpointRows {
			rows = 0
			if _, err := cp.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				s.logger.Debug("checkpoint after a purge batch failed", "error", err)
			}
		}
		if r.Done {
			return true, nil
		}
		// A batch that gave way found the foreground busy: leave it the
		// writer (SQLite), the CPU and the disk (any engine: on
		// PostgreSQL the batch's WAL is what the foreground's commits
		// flush) for a share of the time the purge ran since its last
		// pause. Idle, the next batch follows at once.
		if y := s.purge.pause(s.purge.clock().Sub(running), gaveWay, oneWriter); y > 0 {
			if err := s.purge.sleep(ctx, y); err != nil {
				return false, err
			}
			running = s.purge.clock()
		}
		if s.purge.afterBatch != nil {
			// A test's hook is not the purge's run: its time counts
			// toward no pause.
			t := s.purge.clock()
			if err := s.purge.afterBatch(r.Rows); err != nil {
				return false, err
			}
			running = running.Add(s.purge.clock().Sub(t))
		}
	}
}

// purgeSteps removes up to a batch of the job's rows, from after on, a
// step at a time, and ends after the step during which the foreground was
// busy (gaveWay), or once nothing is left (r.Done). On an engine with
// concurrent writers the steps grow while the foreground stays idle.
func (s *Service) purgeSteps(ctx context.Context, tx driver.Tx, j *driver.PurgeJob, after convstore.ID) (r *driver.PurgeBatchResult, gaveWay bool, err error) {
	r = &driver.PurgeBatchResult{}
	_, oneWriter := s.drv.(driver.OneWriter)
	for size := s.purge.step; !r.Done && r.Rows < s.purge.batch && !gaveWay; {
		step, err := tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: j.TenantID, ConversationID: j.ConversationID,
			Limit: min(size, s.purge.batch-r.Rows), After: after})
		if err != nil {
			return nil, false, err
		}
		r.Rows += step.Rows
		r.BlobKeys = append(r.BlobKeys, step.BlobKeys...)
		r.Done = step.Done
		if !step.Last.IsZero() {
			r.Last, after = step.Last, step.Last
		}
		if gaveWay = tx.Busy(); !oneWriter {
			size *= 2
		}
	}
	return r, gaveWay, nil
}

// PurgeBacklog counts the deleted conversations whose rows are not purged
// yet (for metrics).
func (s *Service) PurgeBacklog(ctx context.Context) (int64, error) {
	return s.drv.Reads().PurgeJobCount(ctx)
}
