package service

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/internal/removal"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/seal"
)

// Defaults of Options.
const (
	DefaultAuthCacheTTL        = 5 * time.Second
	DefaultAuthCacheSize       = 10000
	DefaultKeyUseResolution    = time.Minute
	DefaultUploadTimeout       = time.Hour
	DefaultOrphanSweepInterval = 24 * time.Hour
	DefaultSweepBatch          = 100
)

// Options configure a Service. The zero value is usable.
type Options struct {
	// Logger receives what is repaired later rather than returned (a
	// blob that could not be removed). Nil discards it.
	Logger *slog.Logger

	// Now is the clock of every stored time; nil means time.Now. Times
	// are stored in UTC at the microsecond.
	Now func() time.Time

	// NewID draws every id the service stores; nil means convstore.NewID.
	// Sequence numbers derive from the conversation's id (convstore.NewSeq).
	NewID func() convstore.ID

	// MaxConversationMessages caps the messages of one conversation; 0 (or
	// less) means convstore.DefaultMaxConversationMessages. Nodes sharing
	// a database should agree on it: each enforces its own.
	MaxConversationMessages int

	// MaxAttachments caps the attachments of one conversation; 0 means
	// convstore.MaxAttachmentsPerConversation.
	MaxAttachments int

	// MaxAccessTokens caps the live access tokens of one key; 0 means
	// convstore.MaxAccessTokensPerKey. Issuing one more drops the key's
	// oldest.
	MaxAccessTokens int

	// AuthCacheTTL is how long an authenticated key or token is
	// remembered: the bound on how long a revocation on another node
	// takes to apply here. 0 means DefaultAuthCacheTTL; negative disables
	// the cache.
	AuthCacheTTL time.Duration

	// KeyUseResolution is how stale a key's stored last use may be: uses
	// are written at most once per interval per key. 0 means
	// DefaultKeyUseResolution.
	KeyUseResolution time.Duration

	// UploadTimeout is how long an upload may take before the sweeper
	// treats its bytes as abandoned; 0 means DefaultUploadTimeout.
	UploadTimeout time.Duration

	// SweepBatch is how many blob removals one sweep transaction claims;
	// 0 means DefaultSweepBatch.
	SweepBatch int

	// OrphanSweepInterval is how often RunSweeper also lists the blob
	// store for bytes nothing refers to (SweepOrphans); 0 means
	// DefaultOrphanSweepInterval, negative never.
	OrphanSweepInterval time.Duration

	// SweepOrphansAtStart makes New run SweepOrphans: right for a store
	// one process serves (SQLite), costly when many nodes start (each
	// would list the whole blob store).
	SweepOrphansAtStart bool

	// Keyring holds the epoch keys that wrap every conversation's data
	// key and the index roots of the blind indexes: with it, every
	// content field is sealed before it reaches the driver (package
	// seal). Nil stores content unsealed, as before sealing, with blind
	// indexes under a fixed, public root: for benchmarks that measure
	// what sealing costs, and tests that predate it; cmd/convstore always
	// passes one. A store sealed with one keyring refuses to open with
	// another, or with none (Open).
	Keyring *keyring.Keyring

	// SealAlgorithm seals records; 0 means seal.DefaultAlgorithm.
	SealAlgorithm seal.Algorithm

	// KeyCacheSize bounds how many unwrapped data keys are kept in memory;
	// 0 means DefaultKeyCacheSize. KeyCacheTTL is how long one is kept
	// after it was read (0: DefaultKeyCacheTTL; negative: not cached);
	// it bounds how long a node keeps the key of a conversation another
	// node deleted (whose rows are gone with it).
	KeyCacheSize int
	KeyCacheTTL  time.Duration

	// KeyEpoch is how long an epoch wraps new data keys before RunSweeper
	// starts the next (see RotateKeys); 0 means DefaultKeyEpoch, negative
	// never. KeyRetention is how long a retired epoch is kept before it is
	// destroyed; 0 means DefaultKeyRetention. Deleted content becomes
	// unrecoverable from every copy within KeyEpoch + KeyRetention.
	KeyEpoch, KeyRetention time.Duration
	// RewrapBatch is how many data keys one re-wrap transaction claims; 0
	// means DefaultRewrapBatch.
	RewrapBatch int

	// PurgeBatch is how many rows one purge transaction removes; 0 means
	// DefaultPurgeBatch on a single-writer engine (SQLite),
	// DefaultPurgeBatchConcurrent otherwise. PurgeInterval is how often RunSweeper's purger
	// looks for jobs queued elsewhere or abandoned (a delete here wakes it
	// at once); 0 means DefaultPurgeInterval, negative no background
	// purge (Purge still runs it). PurgeLease is how long a job stays with
	// a purger that stopped renewing it; 0 means DefaultPurgeLease.
	PurgeBatch    int
	PurgeInterval time.Duration
	PurgeLease    time.Duration
	// ErasureLease is how long a node holds an erasure job between two
	// commits of its progress (RunSweeper's runs); 0 means
	// DefaultErasureLease.
	ErasureLease time.Duration
	// PurgeYield is how long the purger pauses after a batch that ran
	// while the foreground was busy (on SQLite: gave way to a write; on
	// PostgreSQL: foreground transactions ran on this node beside it), as
	// a multiple of the time the purge ran since its last pause (see
	// DefaultPurgeYield): while requests come, the purge runs at most
	// 1/(1+PurgeYield) of the time. 0 means DefaultPurgeYield, negative
	// none (the purge never pauses).
	PurgeYield float64
	// PurgeAfterBatch, if set, runs after each committed purge batch with
	// the rows it removed; an error stops the job there, leased, as a
	// crash would (tests of resumption).
	PurgeAfterBatch func(rows int) error
	// TombstoneRetention is how long a deleted conversation's external id
	// stays refused to new conversations; 0 means
	// DefaultTombstoneRetention, negative for ever.
	TombstoneRetention time.Duration
	// IdempotencyRetention is how long the answer to a request made with
	// an Idempotency-Key is replayed to its retries; 0 means
	// convstore.DefaultIdempotencyRetention. IdempotencyLease is how long
	// a claim nobody settles (its node died) holds its key; 0 means
	// DefaultIdempotencyLease.
	IdempotencyRetention, IdempotencyLease time.Duration
	// EventRetention is how long an event stays in the outbox, delivered
	// or not, before RunSweeper prunes it; 0 means
	// convstore.DefaultEventRetention.
	EventRetention time.Duration
	// ReadAhead opens the next segments of a sealed attachment on other
	// cores while the current one is sent (seal.NewReadAheadReader):
	// faster downloads on a host with idle cores, slower on a busy one.
	// With one core (GOMAXPROCS 1) downloads open on the caller's
	// goroutine all the same: there is no other core to use.
	ReadAhead bool
	// WebhookAllowPrivate lets webhook URLs point at loopback, private
	// and link-local addresses (a receiver on the same host or network);
	// cloud metadata, unspecified and multicast addresses, and the
	// server's own listeners, stay refused (netguard).
	WebhookAllowPrivate bool
	// OwnAddrs are the addresses (host:port) the server listens on:
	// webhook URLs that point at them are refused. SetOwnAddrs replaces
	// them once the listeners are bound.
	OwnAddrs []string
	// WebhookDelivery configures how webhook deliveries are sent
	// (RunWebhooks); the zero value is the documented policy.
	WebhookDelivery WebhookDeliveryOptions
}

// DefaultIdempotencyLease is how long a claimed Idempotency-Key waits for
// its request's answer before another request may claim it.
const DefaultIdempotencyLease = 5 * time.Minute

// Service implements convstore.Store over a driver. It is safe for
// concurrent use.
type Service struct {
	drv    driver.Driver
	blobs  convstore.BlobStore
	logger *slog.Logger
	clock  func() time.Time
	newID  func() convstore.ID

	maxMessages, maxAttachments, maxTokens int
	uploadTimeout                          time.Duration
	sweepBatch                             int
	orphanInterval                         time.Duration
	tombstoneRetention                     time.Duration // 0: for ever
	idempotencyRetention, idempotencyLease time.Duration
	readAhead                              bool
	eventRetention                         time.Duration

	auth      *authCache
	uses      *keyUses
	removals  *removal.Worker
	abandoned abandonedUploads
	sweeps    sweepHook // see ObserveBlobSweeps
	z         *sealer
	rot       *rotator // nil without a keyring
	purge     *purger
	upgrade   upgradeHook    // see ObserveSealUpgrade
	erasures  erasureWork    // see RunErasures
	outbox    outboxWake     // see writeEvents
	hooks     webhookGuard   // see CreateWebhook
	delivery  *webhookEngine // see RunWebhooks
	relays    atomic.Int32   // relays made by NewRelay: pruning undelivered events is then worth a warning
	relayHook relayHook      // see ObserveRelay

	confirmBacklog atomic.Pointer[[]driver.ProcessorBacklog] // see ConfirmationBacklog

	stopUses  chan struct{}
	usesDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ convstore.Store = (*Service)(nil)

// Timing of background work.
const (
	retryDelay     = time.Minute      // before a failed blob removal is tried again
	removalTimeout = time.Minute      // bounds one background removal job
	abandonTimeout = 10 * time.Second // bounds the clean-up of a failed upload
	repairTimeout  = time.Minute      // bounds New's repairs
	flushTimeout   = 5 * time.Second  // bounds the last key-use write at Close
	removalQueue   = 1024             // removal jobs waiting for the background worker
	seqAttempts    = 10               // fresh ids drawn when a sequence number is taken
	tokenSweep     = 1000             // expired tokens deleted per sweep transaction
)

// New is Open for callers that cannot handle its error (tests): it panics
// where Open fails.
func New(drv driver.Driver, blobs convstore.BlobStore, opts Options) *Service {
	s, err := Open(drv, blobs, opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Open returns a Service over drv, with attachment bytes in blobs, and
// takes ownership of drv (Close closes it), after checking that the store
// was sealed with opts.Keyring (or was never sealed, and then records
// it): a store opened with another keyring, or none, fails at once with a
// clear error, before anything is written, and drv is left open for the
// caller to close. It repairs what a crash interrupted before it returns
// (upload intents of nodes that are gone, due blob removals, and orphans
// if Options.SweepOrphansAtStart), logging failures rather than returning
// them, so that a blob store that is briefly unreadable does not keep the
// store from opening; RunSweeper retries.
func Open(drv driver.Driver, blobs convstore.BlobStore, opts Options) (*Service, error) {
	s := &Service{
		drv:                  drv,
		blobs:                blobs,
		logger:               opts.Logger,
		clock:                opts.Now,
		newID:                opts.NewID,
		maxMessages:          positive(opts.MaxConversationMessages, convstore.DefaultMaxConversationMessages),
		maxAttachments:       positive(opts.MaxAttachments, convstore.MaxAttachmentsPerConversation),
		maxTokens:            positive(opts.MaxAccessTokens, convstore.MaxAccessTokensPerKey),
		uploadTimeout:        positiveDuration(opts.UploadTimeout, DefaultUploadTimeout),
		sweepBatch:           positive(opts.SweepBatch, DefaultSweepBatch),
		orphanInterval:       opts.OrphanSweepInterval,
		idempotencyRetention: positiveDuration(opts.IdempotencyRetention, convstore.DefaultIdempotencyRetention),
		idempotencyLease:     positiveDuration(opts.IdempotencyLease, DefaultIdempotencyLease),
		tombstoneRetention:   tombstoneRetention(opts.TombstoneRetention),
		stopUses:             make(chan struct{}),
		readAhead:            opts.ReadAhead,
		eventRetention:       positiveDuration(opts.EventRetention, convstore.DefaultEventRetention),
		usesDone:             make(chan struct{}),
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.newID == nil {
		s.newID = convstore.NewID
	}
	if s.orphanInterval == 0 {
		s.orphanInterval = DefaultOrphanSweepInterval
	}
	var err error
	if s.z, err = newSealer(&opts, s.logger); err != nil {
		return nil, err
	}
	if err := s.checkKeyring(opts.Keyring); err != nil {
		return nil, err
	}
	s.rot = s.newRotator(&opts)
	s.purge = newPurger(&opts)
	s.erasures.lease = opts.ErasureLease
	s.hooks.allowPrivate = opts.WebhookAllowPrivate
	s.SetOwnAddrs(opts.OwnAddrs)
	s.delivery = newWebhookEngine(opts.WebhookDelivery, s.webhookDialForbidden(opts.WebhookAllowPrivate))
	s.purge.step = purgeStepConcurrent
	if _, ok := drv.(driver.OneWriter); ok {
		s.purge.step = purgeStep
	}
	if s.purge.batch <= 0 {
		s.purge.batch = DefaultPurgeBatchConcurrent
		if _, ok := drv.(driver.OneWriter); ok {
			s.purge.batch = DefaultPurgeBatch
		}
	}
	s.auth = newAuthCache(opts.AuthCacheTTL)
	s.uses = newKeyUses(positiveDuration(opts.KeyUseResolution, DefaultKeyUseResolution))
	s.removals = removal.New(s.removeBlobs, removalQueue)
	s.repair(opts.SweepOrphansAtStart)
	go s.flushUses()
	return s, nil
}

func positive(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func positiveDuration(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// now is the time of a write: the clock in UTC at the microsecond both
// engines store, so the value a method returns equals what is read back.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// Driver returns the driver the service runs on (for engine metrics).
func (s *Service) Driver() driver.Driver { return s.drv }

// Ping reports whether the engine can serve (for /readyz).
func (s *Service) Ping(ctx context.Context) error { return s.drv.Ping(ctx) }

// Close stops the background work (removals not done stay queued for the
// next sweep), writes the key uses not yet written, and closes the driver.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.removals.Close()
		close(s.stopUses)
		<-s.usesDone
		s.closeErr = s.drv.Close()
	})
	return s.closeErr
}

// repair finishes what a crash interrupted: the uploads of nodes that are
// gone, due blob removals, partial uploads the blob store can tell apart,
// and (if asked) blobs nothing refers to.
func (s *Service) repair(orphans bool) {
	ctx, cancel := context.WithTimeout(context.Background(), repairTimeout)
	defer cancel()
	var reclaimed int
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		var err error
		reclaimed, err = tx.BlobRemovalReclaimUploads(ctx, s.now())
		return err
	})
	if err != nil {
		s.logger.Warn("reclaiming the uploads of nodes that are gone failed", "error", err)
	} else if reclaimed > 0 {
		s.logger.Info("uploads of nodes that are gone made due for removal", "uploads", reclaimed)
	}
	if n, err := s.SweepBlobs(ctx); err != nil {
		s.logger.Warn("blob sweep at start failed", "error", err)
	} else if n > 0 {
		s.logger.Info("removed blobs whose removal was interrupted", "removed", n)
	}
	if orphans {
		if _, err := s.SweepOrphans(ctx); err != nil {
			s.logger.Warn("orphan sweep at start failed", "error", err)
		}
	}
	// Partial uploads of a process killed mid-upload: a file blob store
	// tells them apart from uploads under way (a CLI may open the store
	// while the server runs).
	if t, ok := s.blobs.(tempRemover); ok {
		if n, err := t.RemoveStaleTemp(ctx); err != nil {
			s.logger.Warn("removing partial uploads failed", "error", err)
		} else if n > 0 {
			s.logger.Info("removed partial uploads a crash left", "removed", n)
		}
	}
}

// tempRemover is a blob store that can remove the partial uploads a
// killed process left (blob.FS).
type tempRemover interface {
	RemoveStaleTemp(ctx context.Context) (int, error)
}
