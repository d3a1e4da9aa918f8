package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/service"
)

// Config is the server's configuration as plain data. It starts from
// DefaultConfig; ParseFlags lays the environment and then the flags over it.
type Config struct {
	Addr               string        // listen address; port 0 picks a free one
	DataDir            string        // holds convstore.db (by default) and blobs/
	DB                 string        // engine DSN: "sqlite:" (default file), "sqlite:/path/file.db", "postgres://…"
	LogLevel           string        // debug, info, warn or error
	LogFormat          string        // text or json
	MaxBodyBytes       int64         // cap of JSON request bodies
	MaxAttachmentBytes int64         // cap of one attachment upload
	ShutdownTimeout    time.Duration // how long in-flight requests may take to finish on shutdown
	SweepInterval      time.Duration // how often orphaned attachment bytes are swept
	RetentionInterval  time.Duration // how often each tenant's retention policies are applied; 0: never
	BlobStore          string        // auto, fs or postgres: where attachment bytes live

	// Keyring is the keyring file (see package keyring): the epoch keys
	// that wrap every conversation's data key. Empty: DataDir/keyring,
	// created 0600 on a new store's first start. PostgreSQL nodes of one
	// database share one file (a shared filesystem, like the blob root).
	Keyring string
	// KeyringMasterKey is the URL of a master key that seals the keyring
	// file (base64key://…, or a KMS in builds with -tags kms); empty: the
	// file is not sealed.
	KeyringMasterKey string
	// SealReadAhead opens the next segments of a sealed attachment on
	// other cores while the current one is sent (service.Options.ReadAhead).
	SealReadAhead bool
	// WebhookAllowPrivate lets webhook URLs point at loopback, private and
	// link-local addresses (service.Options.WebhookAllowPrivate).
	WebhookAllowPrivate bool
	// KeyEpoch is how long a key epoch wraps new data keys before the
	// server starts the next; 0 disables scheduled rotation.
	KeyEpoch time.Duration
	// KeyRetention is how long a retired key epoch is kept before it is
	// destroyed (and with it what it wrapped, in every copy).
	KeyRetention time.Duration
	// TombstoneRetention is how long a deleted conversation's external id
	// stays refused; 0 keeps it for ever.
	TombstoneRetention time.Duration
	// IdempotencyRetention is how long an Idempotency-Key's answer is
	// replayed to retries.
	IdempotencyRetention time.Duration
	// EventRetention is how long an event stays in the outbox, delivered
	// or not, before the sweeper prunes it.
	EventRetention time.Duration
	// WebhookDelivery is how webhook deliveries are sent.
	WebhookDelivery WebhookDeliveryConfig
	// PurgeBatch is how many rows one purge transaction removes (0: the
	// engine's default); PurgeInterval how often the purger looks for
	// deletes made on other nodes or abandoned by a node that died.
	PurgeBatch    int
	PurgeInterval time.Duration
	// PurgeYield is how long the purger pauses after a batch that ran
	// beside requests, as a multiple of the batch's time (0: never).
	PurgeYield float64
	// JobLease is how long a node holds a purge or erasure job without
	// renewing it: how long such a job waits after its node died.
	JobLease time.Duration

	// Rate limits (see limits.go); a zero limit is off.
	KeyRateLimit         convhttp.RateLimit // per API key
	AddressRateLimit     convhttp.RateLimit // per client address
	PublicRateLimit      convhttp.RateLimit // per client address on public and unmatched routes
	AuthFailureRateLimit convhttp.RateLimit // per client address, per failed authentication
	TrustedProxies       []netip.Prefix     // peers whose X-Forwarded-For is believed

	// NATS JetStream relay of the events (see nats.go); off without a URL.
	NATS NATSConfig

	// Metrics listener (see metrics.go); "" serves no metrics.
	MetricsAddr string
	PProf       bool // also serve net/http/pprof on MetricsAddr
	// MaxConversationMessages caps the messages of one conversation:
	// creates and appends beyond are refused with a conflict.
	MaxConversationMessages int

	// Deadlines and connection caps of every listener.
	Transport TransportConfig

	// Vendor doors on listeners of their own (each is always on the main
	// listener under /compat/<door>/ too).
	DoorAddrs map[string]string // door name → listen address
	AllDoors  bool              // every door without an address gets the next port after Addr

	// Console serves the web console under /console/ on the main listener;
	// ConsoleAddr, if set, on a listener of its own too (or only there).
	Console     bool
	ConsoleAddr string

	// PostgreSQL engine settings (ignored by SQLite).
	PGMaxConns         int           // connection pool size
	PGStatementTimeout time.Duration // per-statement timeout; 0: the DSN's or the engine default, negative: none
	PGLockTimeout      time.Duration // lock wait timeout; 0: the DSN's or the engine default, negative: none
	PGAcquireTimeout   time.Duration // wait for a pooled connection; negative: the request's own deadline
	PGRetries          int           // retries of serialization failures and deadlocks; 0: none
	PGSchema           string        // schema the tables live in; empty: the connection's search_path

	// BootstrapKey is the admin key secret of the tenant "default" created
	// on first start. It comes from the environment only (a flag would show
	// in the process list). Empty: a key is generated and printed once.
	BootstrapKey string

	// bootstrapKeyVar names the variable BootstrapKey came from, for errors.
	bootstrapKeyVar string
	// now, if set, is the store's clock (tests of deadlines that pass
	// while the server is down); nil: time.Now.
	now func() time.Time
	// relayAfterPublish, if set, is the event relay's
	// service.RelayOptions.AfterPublish (tests that kill a server between
	// publishing and marking).
	relayAfterPublish func([]*convstore.Event) error
}

// DefaultConfig returns the configuration of a bare "convstore serve".
func DefaultConfig() Config {
	return Config{
		Addr:                 "127.0.0.1:8080",
		DataDir:              "./convstore-data",
		DB:                   "sqlite:",
		LogLevel:             "info",
		LogFormat:            "text",
		MaxBodyBytes:         convhttp.DefaultMaxBodyBytes,
		MaxAttachmentBytes:   convstore.DefaultMaxAttachmentBytes,
		ShutdownTimeout:      30 * time.Second,
		SweepInterval:        time.Minute,
		BlobStore:            BlobStoreAuto,
		Transport:            defaultTransport(),
		NATS:                 defaultNATS(),
		PGMaxConns:           postgres.DefaultMaxConns,
		PGStatementTimeout:   postgres.DefaultStatementTimeout,
		PGLockTimeout:        postgres.DefaultLockTimeout,
		PGAcquireTimeout:     postgres.DefaultAcquireTimeout,
		PGRetries:            postgres.DefaultSerializationRetries,
		KeyEpoch:             service.DefaultKeyEpoch,
		KeyRetention:         service.DefaultKeyRetention,
		TombstoneRetention:   service.DefaultTombstoneRetention,
		IdempotencyRetention: convstore.DefaultIdempotencyRetention,
		EventRetention:       convstore.DefaultEventRetention,
		WebhookDelivery:      defaultWebhookDeliveryConfig(),
		RetentionInterval:    time.Hour,
		PurgeInterval:        service.DefaultPurgeInterval,
		PurgeYield:           service.DefaultPurgeYield,
		JobLease:             service.DefaultPurgeLease,

		KeyRateLimit:            defaultKeyRateLimit,
		AddressRateLimit:        defaultAddressRateLimit,
		PublicRateLimit:         defaultPublicRateLimit,
		AuthFailureRateLimit:    defaultAuthFailureRateLimit,
		MaxConversationMessages: convstore.DefaultMaxConversationMessages,
	}
}

// Files under DataDir.
const (
	defaultDBFile = "convstore.db"
	blobDir       = "blobs"
)

// Engines a DSN may name.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// Blob store choices of --blob-store.
const (
	BlobStoreAuto     = "auto"     // the engine's natural store: PostgreSQL chunks, or fs for SQLite
	BlobStoreFS       = "fs"       // files under DataDir/blobs
	BlobStorePostgres = "postgres" // chunks in the PostgreSQL database (postgres engine only)
)

// Engine returns the engine the DSN names: EngineSQLite or EnginePostgres.
func (c Config) Engine() (string, error) {
	dsn := c.DB
	switch {
	case dsn == "" || strings.HasPrefix(dsn, "sqlite:"):
		return EngineSQLite, nil
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		return EnginePostgres, nil
	case strings.HasPrefix(dsn, "postgres:") || strings.HasPrefix(dsn, "postgresql:"):
		return "", fmt.Errorf("database %q: a PostgreSQL DSN is a URL, e.g. postgres://user:password@host:5432/dbname?sslmode=disable", dsn)
	}
	return "", fmt.Errorf("unknown database %q: use sqlite:, sqlite:/path/to/file.db or postgres://user@host:5432/dbname", dsn)
}

// SQLitePath returns the database file the DSN names: "sqlite:" (or empty)
// means DataDir/convstore.db, "sqlite:PATH" and "sqlite://PATH" name PATH.
// It fails for a DSN that does not name a SQLite database.
func (c Config) SQLitePath() (string, error) {
	engine, err := c.Engine()
	if err != nil {
		return "", err
	}
	if engine != EngineSQLite {
		return "", fmt.Errorf("database %q is not a SQLite database", c.DB)
	}
	dsn := c.DB
	switch {
	case dsn == "" || dsn == "sqlite:" || dsn == "sqlite://":
		return filepath.Join(c.DataDir, defaultDBFile), nil
	case strings.HasPrefix(dsn, "sqlite://"):
		return strings.TrimPrefix(dsn, "sqlite://"), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return strings.TrimPrefix(dsn, "sqlite:"), nil
	}
	return "", fmt.Errorf("unknown database %q: use sqlite: or sqlite:/path/to/file.db", dsn)
}

// blobStoreKind resolves BlobStore against the engine: BlobStoreFS or
// BlobStorePostgres.
func (c Config) blobStoreKind() (string, error) {
	engine, err := c.Engine()
	if err != nil {
		return "", err
	}
	switch c.BlobStore {
	case "", BlobStoreAuto:
		if engine == EnginePostgres {
			return BlobStorePostgres, nil
		}
		return BlobStoreFS, nil
	case BlobStoreFS:
		return BlobStoreFS, nil
	case BlobStorePostgres:
		if engine != EnginePostgres {
			return "", fmt.Errorf("--blob-store postgres needs the PostgreSQL engine (--db postgres://…); with %s use --blob-store fs or auto", engine)
		}
		return BlobStorePostgres, nil
	}
	return "", fmt.Errorf("blob store %q: use auto, fs or postgres", c.BlobStore)
}

// validateStore checks the database and blob store settings.
func (c Config) validateStore() error {
	engine, err := c.Engine()
	if err != nil {
		return err
	}
	if engine == EngineSQLite {
		if _, err := c.SQLitePath(); err != nil {
			return err
		}
	}
	if _, err := c.blobStoreKind(); err != nil {
		return err
	}
	if engine == EnginePostgres {
		if c.PGMaxConns <= 0 || c.PGMaxConns > math.MaxInt32 {
			return fmt.Errorf("--pg-max-conns %d: must be positive", c.PGMaxConns)
		}
		if c.PGRetries < 0 {
			return fmt.Errorf("--pg-retries %d: must not be negative", c.PGRetries)
		}
	}
	return nil
}

// BlobDir returns the directory of attachment bytes.
func (c Config) BlobDir() string { return filepath.Join(c.DataDir, blobDir) }

// Validate checks the settings that are not checked when used.
func (c Config) Validate() error {
	if err := c.validateBootstrapKey(); err != nil {
		return err
	}
	if err := c.validateStore(); err != nil {
		return err
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log format %q: use text or json", c.LogFormat)
	}
	if c.MaxBodyBytes <= 0 || c.MaxAttachmentBytes <= 0 {
		return errors.New("max body and attachment bytes must be positive")
	}
	if c.MaxConversationMessages <= 0 {
		return fmt.Errorf("--max-conversation-messages %d: must be positive", c.MaxConversationMessages)
	}
	if err := c.validateKeyRotation(); err != nil {
		return err
	}
	if c.TombstoneRetention < 0 || c.IdempotencyRetention <= 0 {
		return fmt.Errorf("--tombstone-retention %v must not be negative (0: for ever) and --idempotency-retention %v must be positive", c.TombstoneRetention, c.IdempotencyRetention)
	}
	if c.EventRetention <= 0 {
		return fmt.Errorf("--event-retention %v: must be positive", c.EventRetention)
	}
	if err := c.validateWebhookDelivery(); err != nil {
		return err
	}
	if c.RetentionInterval < 0 {
		return fmt.Errorf("--retention-interval %s: must not be negative (0 turns retention off)", c.RetentionInterval)
	}
	if c.PurgeBatch < 0 || c.PurgeBatch > 100000 {
		return fmt.Errorf("--purge-batch %d: between 1 and 100000 rows, or 0 for the engine's default", c.PurgeBatch)
	}
	if c.PurgeInterval <= 0 {
		return fmt.Errorf("--purge-interval %s: must be positive", c.PurgeInterval)
	}
	if !(c.PurgeYield >= 0 && c.PurgeYield <= 100) {
		return fmt.Errorf("--purge-yield %v: between 0 (never pause) and 100", c.PurgeYield)
	}
	if c.JobLease < time.Second {
		return fmt.Errorf("--job-lease %s: at least 1s", c.JobLease)
	}
	if c.ShutdownTimeout < 0 || c.SweepInterval <= 0 {
		return errors.New("shutdown timeout must not be negative and sweep interval must be positive")
	}
	if err := c.NATS.validate(); err != nil {
		return err
	}
	if err := c.validateMetrics(); err != nil {
		return err
	}
	if err := c.Transport.validate(); err != nil {
		return err
	}
	_, err := c.DoorListeners()
	return err
}

// NewLogger returns the logger the configuration asks for, writing to w.
func (c Config) NewLogger(w io.Writer) (*slog.Logger, error) {
	level, err := parseLevel(c.LogLevel)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// registerFlags binds the server flags of fs to c, each with its
// CONVSTORE_* environment variable.
func (c *Config) registerFlags(fs *flagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address` (port 0 picks a free port)")
	fs.bindEnv("addr", "CONVSTORE_ADDR")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data `directory`: SQLite file "+defaultDBFile+" and "+blobDir+"/, created on first start")
	fs.bindEnv("data", "CONVSTORE_DATA")
	c.registerStoreFlags(fs)
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log `level`: debug, info, warn or error")
	fs.bindEnv("log-level", "CONVSTORE_LOG_LEVEL")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log `format`: text or json")
	fs.bindEnv("log-format", "CONVSTORE_LOG_FORMAT")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest JSON request body, in `bytes`")
	fs.bindEnv("max-body-bytes", "CONVSTORE_MAX_BODY_BYTES")
	fs.Int64Var(&c.MaxAttachmentBytes, "max-attachment-bytes", c.MaxAttachmentBytes, "largest attachment upload, in `bytes`")
	fs.bindEnv("max-attachment-bytes", "CONVSTORE_MAX_ATTACHMENT_BYTES")
	fs.IntVar(&c.MaxConversationMessages, "max-conversation-messages", c.MaxConversationMessages, "most `messages` one conversation may hold; creates and appends beyond are refused (409)")
	fs.bindEnv("max-conversation-messages", "CONVSTORE_MAX_CONVERSATION_MESSAGES")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "on SIGINT/SIGTERM, how long in-flight requests may take to finish")
	fs.bindEnv("shutdown-timeout", "CONVSTORE_SHUTDOWN_TIMEOUT")
	fs.DurationVar(&c.KeyEpoch, "key-epoch", c.KeyEpoch, "how long a key epoch wraps new data keys before the next starts and every live data key is wrapped again under it (0: rotate only with convstore keys rotate)")
	fs.bindEnv("key-epoch", "CONVSTORE_KEY_EPOCH")
	fs.BoolVar(&c.SealReadAhead, "seal-read-ahead", c.SealReadAhead, "open the next segments of a sealed attachment on other cores while the current one is sent: faster downloads on a host with idle cores, slower on a busy one (no effect on one core)")
	fs.bindEnv("seal-read-ahead", "CONVSTORE_SEAL_READ_AHEAD")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate, "let webhook URLs point at loopback, private and link-local addresses (a receiver on this host or network); cloud metadata addresses and this server's own listeners stay refused")
	fs.bindEnv("webhook-allow-private", "CONVSTORE_WEBHOOK_ALLOW_PRIVATE")
	fs.BoolVar(&c.Console, "console", c.Console, "serve the web console under /console/ on the main listener (sign in with an API key)")
	fs.bindEnv("console", "CONVSTORE_CONSOLE")
	fs.StringVar(&c.ConsoleAddr, "console-addr", c.ConsoleAddr, "serve the web console under /console/ on a listener of its own at this `address` (an internal network, say), whether or not --console also serves it on the main listener")
	fs.bindEnv("console-addr", "CONVSTORE_CONSOLE_ADDR")
	fs.DurationVar(&c.TombstoneRetention, "tombstone-retention", c.TombstoneRetention, "how long a deleted conversation's external id (Inkeep id, Botpress get-or-create key, native external_id) stays refused to late writes and re-imports (0: for ever)")
	fs.bindEnv("tombstone-retention", "CONVSTORE_TOMBSTONE_RETENTION")
	fs.DurationVar(&c.IdempotencyRetention, "idempotency-retention", c.IdempotencyRetention, "how long the answer to a request sent with an Idempotency-Key is replayed to its retries")
	fs.bindEnv("idempotency-retention", "CONVSTORE_IDEMPOTENCY_RETENTION")
	fs.DurationVar(&c.EventRetention, "event-retention", c.EventRetention, "how long an event (GET /v1/events) stays in the outbox, delivered or not, before the sweeper prunes it")
	fs.bindEnv("event-retention", "CONVSTORE_EVENT_RETENTION")
	c.registerWebhookDeliveryFlags(fs)
	fs.DurationVar(&c.SweepInterval, "sweep-interval", c.SweepInterval, "how often orphaned attachment bytes are swept")
	fs.bindEnv("sweep-interval", "CONVSTORE_SWEEP_INTERVAL")
	fs.DurationVar(&c.RetentionInterval, "retention-interval", c.RetentionInterval, "how often each tenant's retention policies (PUT /v1/retention) are applied; nodes take turns per tenant (0: never)")
	fs.bindEnv("retention-interval", "CONVSTORE_RETENTION_INTERVAL")
	fs.IntVar(&c.PurgeBatch, "purge-batch", c.PurgeBatch, "`rows` one background purge transaction removes of a deleted conversation (0: 2000 on SQLite, 10000 on PostgreSQL)")
	fs.bindEnv("purge-batch", "CONVSTORE_PURGE_BATCH")
	fs.Float64Var(&c.PurgeYield, "purge-yield", c.PurgeYield, "how long the purger pauses after a batch that ran while requests came, as a multiple of the batch's time: 1 leaves them half of the time, 0 never pauses")
	fs.bindEnv("purge-yield", "CONVSTORE_PURGE_YIELD")
	fs.DurationVar(&c.PurgeInterval, "purge-interval", c.PurgeInterval, "how often the purger looks for deleted conversations queued on other nodes or left by a node that died (a delete on this node wakes it at once)")
	fs.bindEnv("purge-interval", "CONVSTORE_PURGE_INTERVAL")
	fs.DurationVar(&c.JobLease, "job-lease", c.JobLease, "how long a node holds a purge or erasure job between two commits of its progress: a job whose node died is resumed by any node (or the same, restarted) once this much time has passed")
	fs.bindEnv("job-lease", "CONVSTORE_JOB_LEASE")
	c.Transport.registerFlags(fs)
	c.registerDoorFlags(fs)
	c.registerLimitFlags(fs)
	c.registerMetricsFlags(fs)
	c.NATS.registerFlags(fs)
}

// registerStoreFlags binds the database flags, shared by serve and the
// offline commands.
func (c *Config) registerStoreFlags(fs *flagSet) {
	fs.StringVar(&c.DB, "db", c.DB, "database `DSN`: sqlite: (file in --data), sqlite:/path/file.db or postgres://user:password@host:5432/dbname")
	fs.bindEnv("db", "CONVSTORE_DB")
	fs.StringVar(&c.BlobStore, "blob-store", c.BlobStore, "where attachment bytes live: auto (PostgreSQL engine: in the database; SQLite: fs), fs (files under --data) or postgres (PostgreSQL engine only)")
	fs.bindEnv("blob-store", "CONVSTORE_BLOB_STORE")
	fs.IntVar(&c.PGMaxConns, "pg-max-conns", c.PGMaxConns, "PostgreSQL connection pool size per node")
	fs.bindEnv("pg-max-conns", "CONVSTORE_PG_MAX_CONNS")
	fs.DurationVar(&c.PGStatementTimeout, "pg-statement-timeout", c.PGStatementTimeout, "PostgreSQL statement_timeout of every connection (0: the DSN's or the default, negative: none)")
	fs.bindEnv("pg-statement-timeout", "CONVSTORE_PG_STATEMENT_TIMEOUT")
	fs.DurationVar(&c.PGLockTimeout, "pg-lock-timeout", c.PGLockTimeout, "how long a PostgreSQL write waits for a lock (lock_timeout) before it fails with 503 timeout (0: the DSN's or the default, negative: none)")
	fs.bindEnv("pg-lock-timeout", "CONVSTORE_PG_LOCK_TIMEOUT")
	fs.DurationVar(&c.PGAcquireTimeout, "pg-acquire-timeout", c.PGAcquireTimeout, "how long a request waits for a free PostgreSQL connection of the pool before it fails with 503 timeout (negative: no limit)")
	fs.bindEnv("pg-acquire-timeout", "CONVSTORE_PG_ACQUIRE_TIMEOUT")
	fs.IntVar(&c.PGRetries, "pg-retries", c.PGRetries, "how often a transaction failing with a serialization failure or deadlock is retried (0: never)")
	fs.bindEnv("pg-retries", "CONVSTORE_PG_RETRIES")
	fs.StringVar(&c.PGSchema, "pg-schema", c.PGSchema, "PostgreSQL `schema` of the tables, created if missing (empty: the connection's search_path)")
	fs.bindEnv("pg-schema", "CONVSTORE_PG_SCHEMA")
	fs.StringVar(&c.Keyring, "keyring", c.Keyring, "keyring `file` whose keys seal the content (default: keyring in --data, created 0600 on a new store's first start; PostgreSQL nodes share one file)")
	fs.bindEnv("keyring", "CONVSTORE_KEYRING")
	fs.StringVar(&c.KeyringMasterKey, "keyring-master-key", c.KeyringMasterKey, "`URL` of the master key sealing the keyring file: base64key://..., or a KMS (awskms://, gcpkms://, azurekeyvault://, hashivault://) in builds with -tags kms; prefer the environment variable, a flag shows in the process list")
	fs.bindEnv("keyring-master-key", "CONVSTORE_KEYRING_MASTER_KEY")
	fs.DurationVar(&c.KeyRetention, "key-retention", c.KeyRetention, "how long a retired key epoch is kept before it is destroyed: deleted content is unrecoverable from every copy (WAL, replicas, backups) once key-epoch + key-retention have passed, and a backup restored without the live database is readable only that long")
	fs.bindEnv("key-retention", "CONVSTORE_KEY_RETENTION")
}

// minKeyRetention is the shortest --key-retention a server accepts: every
// node reloads the keyring each minute, and one that has not yet may
// still wrap data keys under a retired epoch.
const minKeyRetention = 10 * time.Minute

// validateKeyRotation checks --key-epoch and --key-retention.
func (c Config) validateKeyRotation() error {
	if c.KeyEpoch < 0 {
		return fmt.Errorf("--key-epoch %s: must not be negative (0 disables scheduled rotation)", c.KeyEpoch)
	}
	if c.KeyEpoch > 0 && c.KeyEpoch < time.Minute {
		return fmt.Errorf("--key-epoch %s: at least 1m (each rotation re-wraps every live data key)", c.KeyEpoch)
	}
	if c.KeyRetention < minKeyRetention {
		return fmt.Errorf("--key-retention %s: at least %s (nodes reload the keyring every minute)", c.KeyRetention, minKeyRetention)
	}
	return nil
}

// sealOptions sets how the service opens sealed attachment bytes.
func (c Config) sealOptions(opts *service.Options) { opts.ReadAhead = c.SealReadAhead }

// backgroundOptions sets the options of the service's background work: key
// rotation and the purge.
func (c Config) backgroundOptions(opts *service.Options) {
	opts.KeyEpoch, opts.KeyRetention = c.KeyEpoch, c.KeyRetention
	opts.PurgeBatch, opts.PurgeInterval = c.PurgeBatch, c.PurgeInterval
	opts.PurgeYield = c.PurgeYield
	if c.PurgeYield == 0 {
		opts.PurgeYield = -1 // Options: 0 is the default, negative is never
	}
	opts.PurgeLease, opts.ErasureLease = c.JobLease, c.JobLease
	c.webhookDeliveryOptions(opts)
	if c.KeyEpoch == 0 {
		opts.KeyEpoch = -1 // Options: 0 is the default, negative is never
	}
}
