package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
)

// Config is the server's configuration as plain data. It starts from
// DefaultConfig; ParseFlags lays the environment and then the flags over it.
type Config struct {
	Addr               string        // listen address; port 0 picks a free one
	DataDir            string        // holds convstore.db (by default) and blobs/
	DB                 string        // engine DSN: "sqlite:" (default file), "sqlite:/path/file.db"
	LogLevel           string        // debug, info, warn or error
	LogFormat          string        // text or json
	MaxBodyBytes       int64         // cap of JSON request bodies
	MaxAttachmentBytes int64         // cap of one attachment upload
	ShutdownTimeout    time.Duration // how long in-flight requests may take to finish on shutdown
	SweepInterval      time.Duration // how often orphaned attachment bytes are swept

	// BootstrapKey is the admin key secret of the tenant "default" created
	// on first start. It comes from the environment only (a flag would show
	// in the process list). Empty: a key is generated and printed once.
	BootstrapKey string
}

// DefaultConfig returns the configuration of a bare "convstore serve".
func DefaultConfig() Config {
	return Config{
		Addr:               "127.0.0.1:8080",
		DataDir:            "./convstore-data",
		DB:                 "sqlite:",
		LogLevel:           "info",
		LogFormat:          "text",
		MaxBodyBytes:       convhttp.DefaultMaxBodyBytes,
		MaxAttachmentBytes: convstore.DefaultMaxAttachmentBytes,
		ShutdownTimeout:    30 * time.Second,
		SweepInterval:      time.Minute,
	}
}

// Files under DataDir.
const (
	defaultDBFile = "convstore.db"
	blobDir       = "blobs"
)

// errPostgresUnavailable is the error of a postgres DSN until that engine
// lands.
var errPostgresUnavailable = errors.New("PostgreSQL engine is not available yet: use --db sqlite: (the default) or sqlite:/path/to/file.db")

// SQLitePath returns the database file the DSN names: "sqlite:" (or empty)
// means DataDir/convstore.db, "sqlite:PATH" and "sqlite://PATH" name PATH.
func (c Config) SQLitePath() (string, error) {
	dsn := c.DB
	switch {
	case dsn == "" || dsn == "sqlite:" || dsn == "sqlite://":
		return filepath.Join(c.DataDir, defaultDBFile), nil
	case strings.HasPrefix(dsn, "postgres:") || strings.HasPrefix(dsn, "postgresql:"):
		return "", errPostgresUnavailable
	case strings.HasPrefix(dsn, "sqlite://"):
		return strings.TrimPrefix(dsn, "sqlite://"), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return strings.TrimPrefix(dsn, "sqlite:"), nil
	}
	return "", fmt.Errorf("unknown database %q: use sqlite: or sqlite:/path/to/file.db", dsn)
}

// BlobDir returns the directory of attachment bytes.
func (c Config) BlobDir() string { return filepath.Join(c.DataDir, blobDir) }

// Validate checks the settings that are not checked when used.
func (c Config) Validate() error {
	if _, err := c.SQLitePath(); err != nil {
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
	if c.ShutdownTimeout < 0 || c.SweepInterval <= 0 {
		return errors.New("shutdown timeout must not be negative and sweep interval must be positive")
	}
	return nil
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
	fs.StringVar(&c.DB, "db", c.DB, "database `DSN`: sqlite: (file in --data) or sqlite:/path/file.db")
	fs.bindEnv("db", "CONVSTORE_DB")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log `level`: debug, info, warn or error")
	fs.bindEnv("log-level", "CONVSTORE_LOG_LEVEL")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log `format`: text or json")
	fs.bindEnv("log-format", "CONVSTORE_LOG_FORMAT")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest JSON request body, in `bytes`")
	fs.bindEnv("max-body-bytes", "CONVSTORE_MAX_BODY_BYTES")
	fs.Int64Var(&c.MaxAttachmentBytes, "max-attachment-bytes", c.MaxAttachmentBytes, "largest attachment upload, in `bytes`")
	fs.bindEnv("max-attachment-bytes", "CONVSTORE_MAX_ATTACHMENT_BYTES")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "on SIGINT/SIGTERM, how long in-flight requests may take to finish")
	fs.bindEnv("shutdown-timeout", "CONVSTORE_SHUTDOWN_TIMEOUT")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", c.SweepInterval, "how often orphaned attachment bytes are swept")
	fs.bindEnv("sweep-interval", "CONVSTORE_SWEEP_INTERVAL")
}
