package service

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
)

// Defaults of key rotation.
const (
	// DefaultKeyEpoch is how long an epoch wraps new data keys before the
	// next one starts.
	DefaultKeyEpoch = 24 * time.Hour
	// DefaultKeyRetention is how long a retired epoch is kept before it is
	// destroyed. A week: a backup restored on its own (without the live
	// database's keys) stays readable for about a week after it was taken,
	// which covers the usual "restore last night's backup" and weekend
	// incidents; the deleted content in WAL, replicas and backups becomes
	// unrecoverable within epoch + retention (8 days by default), well
	// inside the month the GDPR allows for erasure; and it is far longer
	// than a full re-wrap pass (minutes for a million conversations) and
	// than the interval at which nodes reload the keyring (a node that has
	// not reloaded may still wrap under a retired epoch).
	DefaultKeyRetention = 7 * 24 * time.Hour
	// DefaultRewrapBatch is how many data keys one re-wrap transaction
	// claims: small enough that a batch holds SQLite's single writer for
	// a few milliseconds, so appends and deletes interleave with it.
	DefaultRewrapBatch = 100
	// keyRotationTick is how often the rotation loop looks for work: it
	// also reloads the keyring, so every node wraps under the current
	// epoch within a tick of a rotation anywhere.
	keyRotationTick = time.Minute
)

// KeyRotation reports one rotation pass.
type KeyRotation struct {
	Rotated   bool          // a new epoch was started
	Current   keyring.Epoch // the epoch data keys are wrapped by now
	Rewrapped int           // data keys wrapped again under Current
	Destroyed []keyring.Epoch
	Shredded  int // receipts marked shredded
	// Blocked is an epoch due for destruction that still wraps live data
	// keys (0 if none): it is kept until they are re-wrapped.
	Blocked uint32
}

// rotator re-wraps data keys under the current epoch and destroys the
// epochs retired for longer than the retention. It runs on every node;
// the keyring serializes rotations and destructions under its file lock,
// and the driver hands each data key to one re-wrapping transaction.
type rotator struct {
	mu sync.Mutex // one pass at a time in a process

	every, retention time.Duration // of the loop (run)

	drv    driver.Driver
	ring   *keyring.Keyring
	now    func() time.Time
	logger *slog.Logger
	batch  int
	aad    func(tenantID, convID convstore.ID) []byte // what a data key's wrap is bound to

	caughtUp bool // receipts of every destroyed epoch have been marked once
	// emit writes the conversation.shredded events (Service.emit).
	emit func(ctx context.Context, tx driver.Tx, now time.Time, evs ...event) error
	// committed wakes the relays after events committed (nil: none).
	committed func()
	// afterBatch, if set, runs after each committed re-wrap batch (tests
	// stop a pass there, as a crash would).
	afterBatch func(n int) error
}

// pass runs one rotation: it reloads the keyring, starts a new epoch if
// force is set or the current one is every old (never if every is 0),
// re-wraps every data key of an older live epoch, destroys the epochs
// retired longer than retention that no live key is wrapped by, and marks
// the receipts whose last epoch is gone. It is resumable: whatever a pass
// cut short (a crash, kill -9) leaves keys under older epochs, which the
// next pass re-wraps; nothing is destroyed while a key needs it.
func (r *rotator) pass(ctx context.Context, every, retention time.Duration, force bool) (KeyRotation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out KeyRotation
	if _, err := r.ring.Reload(ctx); err != nil {
		return out, err
	}
	switch {
	case force:
		if _, err := r.ring.Rotate(ctx); err != nil {
			return out, err
		}
		out.Rotated = true
	case every > 0:
		_, rotated, err := r.ring.RotateIfDue(ctx, every)
		if err != nil {
			return out, err
		}
		out.Rotated = rotated
	}
	out.Current = r.ring.Current()
	n, err := r.rewrap(ctx, out.Current.ID)
	out.Rewrapped = n
	if err != nil {
		return out, err
	}
	n, err = r.rewrapErasures(ctx, out.Current.ID)
	out.Rewrapped += n
	if err != nil {
		return out, err
	}
	n, err = r.rewrapEndUsers(ctx, out.Current.ID)
	out.Rewrapped += n
	if err != nil {
		return out, err
	}
	n, err = r.rewrapTags(ctx, out.Current.ID)
	out.Rewrapped += n
	if err != nil {
		return out, err
	}
	if out.Destroyed, out.Blocked, err = r.destroy(ctx, retention); err != nil {
		return out, err
	}
	out.Shredded, err = r.markShredded(ctx)
	return out, err
}

// oldestLive returns the oldest epoch that is not destroyed: keys of
// destroyed epochs (restored from an old backup) cannot be re-wrapped, and
// are skipped rather than claimed again forever.
func (r *rotator) oldestLive() uint32 {
	for _, e := range r.ring.Epochs() {
		if e.Destroyed.IsZero() {
			return e.ID
		}
	}
	return r.ring.Current().ID
}

// rewrap wraps every data key of an older live epoch again under current,
// in batches of their own transactions, and returns how many it wrapped.
func (r *rotator) rewrap(ctx context.Context, current uint32) (int, error) {
	return rewrapKeys(ctx, r, current, driver.Tx.ConversationKeyClaim, driver.Tx.ConversationKeyRewrap, r.afterBatch,
		func(ctx context.Context, k *driver.ConversationKey) error {
			return r.rewrapOne(ctx, current, &k.Epoch, &k.Wrapped, r.aad(k.TenantID, k.ConversationID), k.TenantID, func() string {
				return "the data key of conversation " + k.ConversationID.Format(convstore.PrefixConversation)
			})
		})
}

// rewrapEndUsers wraps the end-user records' data keys of older live
// epochs again under current, as rewrap does the conversations'.
func (r *rotator) rewrapEndUsers(ctx context.Context, current uint32) (int, error) {
	return rewrapKeys(ctx, r, current, driver.Tx.EndUserKeyClaim, driver.Tx.EndUserKeyRewrap, nil,
		func(ctx context.Context, k *driver.ConversationKey) error {
			return r.rewrapOne(ctx, current, &k.Epoch, &k.Wrapped, r.aad(k.TenantID, k.ConversationID), k.TenantID, func() string {
				return "the data key of end user " + k.ConversationID.Format(convstore.PrefixEndUser)
			})
		})
}

// rewrapTags wraps the tags' data keys of older live epochs again under
// current, as rewrap does the conversations'.
func (r *rotator) rewrapTags(ctx context.Context, current uint32) (int, error) {
	return rewrapKeys(ctx, r, current, driver.Tx.TagKeyClaim, driver.Tx.TagKeyRewrap, nil,
		func(ctx context.Context, k *driver.ConversationKey) error {
			return r.rewrapOne(ctx, current, &k.Epoch, &k.Wrapped, r.aad(k.TenantID, k.ConversationID), k.TenantID, func() string {
				return "the data key of tag " + k.ConversationID.Format(convstore.PrefixTag)
			})
		})
}

// rewrapErasures wraps the selector keys of erasure jobs that may still
// run (a final job's key is cleared) again under current, as rewrap does
// the conversations' keys: a job that waits or runs across a rotation
// keeps its selector readable once its creation's epoch is destroyed.
func (r *rotator) rewrapErasures(ctx context.Context, current uint32) (int, error) {
	return rewrapKeys(ctx, r, current, driver.Tx.ErasureKeyClaim, driver.Tx.ErasureKeyRewrap, nil,
		func(ctx context.Context, k *driver.ErasureKey) error {
			return r.rewrapOne(ctx, current, &k.Epoch, &k.Wrapped, selectorAAD(k.TenantID, k.ErasureID, "key"), k.TenantID, func() string {
				return "the selector key of erasure " + k.ErasureID.Format(convstore.PrefixErasure)
			})
		})
}

// rewrapOne unwraps one wrapped key and wraps it again under current,
// setting its epoch and wrapped bytes; what names the key in an error.
func (r *rotator) rewrapOne(ctx context.Context, current uint32, epoch *uint32, wrapped *[]byte, aad []byte, tenantID convstore.ID, what func() string) error {
	dek, err := r.ring.Unwrap(ctx, *wrapped, aad)
	if err != nil {
		return fmt.Errorf("re-wrapping %s (tenant %s, epoch %d): %w", what(), tenantID.Format(convstore.PrefixTenant), *epoch, err)
	}
	w, err := r.ring.Wrap(current, dek, aad)
	if err != nil {
		return err
	}
	*epoch, *wrapped = current, w
	return nil
}

// rewrapKeys is the loop of every re-wrap: it claims a batch of keys of
// older live epochs, re-wraps each (one) and saves the batch in one
// transaction, until a claim finds none. After each batch it runs
// afterBatch (if set), then leaves the writer to the traffic for as long
// as the batch held it: SQLite has one writer, and a rotation that queued
// its batches back to back would make every append wait behind one.
func rewrapKeys[K any](ctx context.Context, r *rotator, current uint32,
	claim func(driver.Tx, context.Context, *driver.ConversationKeyClaimParams) ([]K, error),
	save func(driver.Tx, context.Context, []K) (int, error),
	afterBatch func(n int) error,
	one func(context.Context, K) error,
) (int, error) {
	from, total := r.oldestLive(), 0
	for {
		var n int
		started := time.Now()
		err := r.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			n = 0
			keys, err := claim(tx, ctx, &driver.ConversationKeyClaimParams{From: from, Before: current, Limit: r.batch})
			if err != nil || len(keys) == 0 {
				return err
			}
			for _, k := range keys {
				if err := one(ctx, k); err != nil {
					return err
				}
			}
			if _, err := save(tx, ctx, keys); err != nil {
				return err
			}
			n = len(keys)
			return nil
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
		if afterBatch != nil {
			if err := afterBatch(n); err != nil {
				return total, err
			}
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(time.Since(started)):
		}
	}
}

// destroy destroys the epochs retired before now - retention, oldest
// first, stopping at the first that still wraps a live data key (returned
// as blocked): destroying it would make live conversations unreadable.
func (r *rotator) destroy(ctx context.Context, retention time.Duration) ([]keyring.Epoch, uint32, error) {
	cutoff := r.now().Add(-retention)
	due := false
	for _, e := range r.ring.Epochs() {
		if e.Destroyed.IsZero() && !e.Retired.IsZero() && e.Retired.Before(cutoff) {
			due = true
			break
		}
	}
	if !due {
		return nil, 0, nil
	}
	counts, err := r.drv.Reads().ConversationKeyEpochs(ctx)
	if err != nil {
		return nil, 0, err
	}
	// A waiting erasure job's selector key counts as a live key too: its
	// job would fail once the epoch that wraps it is gone.
	jobs, err := r.drv.Reads().ErasureKeyEpochs(ctx)
	if err != nil {
		return nil, 0, err
	}
	// So does an end-user record's key.
	users, err := r.drv.Reads().EndUserKeyEpochs(ctx)
	if err != nil {
		return nil, 0, err
	}
	// And a tag's.
	tags, err := r.drv.Reads().TagKeyEpochs(ctx)
	if err != nil {
		return nil, 0, err
	}
	live := make(map[uint32]int64, len(counts))
	for _, c := range slices.Concat(counts, jobs, users, tags) {
		live[c.Epoch] += c.Keys
	}
	var blocked uint32
	for _, e := range r.ring.Epochs() {
		if !e.Destroyed.IsZero() {
			continue
		}
		if e.Retired.IsZero() || !e.Retired.Before(cutoff) {
			break
		}
		if n := live[e.ID]; n > 0 {
			r.logger.Warn("key epoch due for destruction still wraps live data keys; kept until they are re-wrapped",
				"epoch", e.ID, "keys", n)
			cutoff, blocked = e.Retired, e.ID // Destroy takes epochs retired strictly before
			break
		}
	}
	destroyed, err := r.ring.Destroy(ctx, cutoff)
	return destroyed, blocked, err
}

// markShredded stamps shredded_at on the receipts whose key epoch is
// destroyed. The first call goes through every destroyed epoch (what a
// crash between a destruction and its marking left); later ones only the
// newest, which also catches a receipt written meanwhile.
func (r *rotator) markShredded(ctx context.Context) (int, error) {
	var destroyed []keyring.Epoch
	for _, e := range r.ring.Epochs() {
		if !e.Destroyed.IsZero() {
			destroyed = append(destroyed, e)
		}
	}
	if len(destroyed) == 0 {
		return 0, nil
	}
	if r.caughtUp {
		destroyed = destroyed[len(destroyed)-1:]
	}
	var n int
	err := r.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		n = 0
		var evs []event
		for _, e := range destroyed {
			at := e.Destroyed.UTC().Truncate(time.Microsecond)
			marked, err := tx.DeletionMarkShredded(ctx, e.ID, at)
			if err != nil {
				return err
			}
			n += len(marked)
			for _, m := range marked {
				evs = append(evs, conversationShredded(m, at))
			}
		}
		return r.emit(ctx, tx, r.now().UTC().Truncate(time.Microsecond), evs...)
	})
	if err == nil {
		r.caughtUp = true
		if n > 0 && r.committed != nil {
			r.committed()
		}
	}
	return n, err
}

// run runs passes every keyRotationTick (or r.every, if shorter) until
// ctx ends, logging what they did and their failures.
func (r *rotator) run(ctx context.Context) {
	t := time.NewTicker(min(keyRotationTick, r.every))
	defer t.Stop()
	for {
		started := r.now()
		out, err := r.pass(ctx, r.every, r.retention, false)
		if ctx.Err() != nil {
			return
		}
		r.log(out, err, r.now().Sub(started))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *rotator) log(out KeyRotation, err error, took time.Duration) {
	if err != nil {
		r.logger.Error("key rotation failed; retried at the next tick", "error", err, "rewrapped", out.Rewrapped)
		return
	}
	if out.Rotated || out.Rewrapped > 0 || len(out.Destroyed) > 0 || out.Shredded > 0 {
		ids := make([]uint32, len(out.Destroyed))
		for i, e := range out.Destroyed {
			ids[i] = e.ID
		}
		r.logger.Info("key rotation", "epoch", out.Current.ID, "rotated", out.Rotated, "rewrapped", out.Rewrapped,
			"destroyed_epochs", ids, "receipts_shredded", out.Shredded, "took", took)
	}
}

// newRotator returns the rotator of a sealed store, nil for one without a
// keyring.
func (s *Service) newRotator(opts *Options) *rotator {
	if opts.Keyring == nil {
		return nil
	}
	r := &rotator{drv: s.drv, ring: opts.Keyring, now: s.clock, logger: s.logger, aad: keyAAD, emit: s.emit, committed: s.outbox.notify,
		every: opts.KeyEpoch, retention: positiveDuration(opts.KeyRetention, DefaultKeyRetention),
		batch: positive(opts.RewrapBatch, DefaultRewrapBatch)}
	if r.every == 0 {
		r.every = DefaultKeyEpoch
	}
	return r
}

// RotateKeys starts a new key epoch now and runs a rotation pass: every
// live data key is wrapped again under the new epoch, in batches that
// interleave with other writes (on PostgreSQL, nodes rotating at once
// share the work), and the epochs retired for longer than retention (0:
// the store's Options.KeyRetention; negative: at once, which is safe only
// when every node sharing the keyring has reloaded it) are destroyed once
// no live key needs them, stamping shredded_at on the receipts they
// shred. Run again after a failure or a crash, it carries on where the
// keys' epochs say it stopped. EINVALID on a store without a keyring.
func (s *Service) RotateKeys(ctx context.Context, retention time.Duration) (KeyRotation, error) {
	if s.rot == nil {
		return KeyRotation{}, convstore.Errorf(convstore.EINVALID, "this store has no keyring: nothing to rotate")
	}
	switch {
	case retention == 0:
		retention = s.rot.retention
	case retention < 0:
		retention = 0
	}
	started := s.clock()
	out, err := s.rot.pass(ctx, 0, retention, true)
	s.rot.log(out, err, s.clock().Sub(started))
	return out, err
}
