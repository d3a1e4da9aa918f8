package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/forensic"
)

func forensicCommand() *command {
	return &command{name: "forensic", summary: "Check that content written through every door is nowhere in plaintext on disk.", run: runForensic}
}

const forensicSummary = `Start a server in this process on a new data directory (or a new schema of
the PostgreSQL database --db names), write unique random canary strings into
every content field through the native API and every vendor door, delete half
of the conversations, and scan every file the server and its database write
for every canary (raw, UTF-16, hex and base64): before the deletes, after
them, after a checkpoint and after a restart. It prints what it scanned and
where each canary was found, and exits 1 if any was found.

Scanned: the SQLite database with its -wal, -shm and -journal files, every
file under the data directory (attachment bytes), and the server's own log;
with PostgreSQL, the heap, TOAST and index files of convstore's tables,
pg_statistic, the pg_wal segments written during the run and what the server
log gained during it. That needs the PostgreSQL data directory to be readable
here (run on the database's machine as root or postgres); a check that
cannot read it says so and exits 1. Not scanned: free blocks of the
filesystem or disk, backups, archives, replicas, and memory.`

// forensicOptions are the flags of convstore forensic.
type forensicOptions struct {
	DB      string   // sqlite:, sqlite:/new/file.db or postgres://…
	Data    string   // data directory; "" for a new temporary one
	PGData  string   // PostgreSQL data directory, if SHOW data_directory does not tell
	PGLogs  []string // PostgreSQL server log files, if not the default
	Keep    bool     // keep the data directory, log and schema
	Verbose bool     // list every hit with its offset
}

// errPlaintextFound fails a check that found a canary.
var errPlaintextFound = errors.New("plaintext found on disk (see the table above)")

func runForensic(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("forensic", "convstore forensic [flags]", forensicSummary, env.Stderr)
	o := forensicOptions{DB: "sqlite:"}
	var logs stringList
	fs.StringVar(&o.DB, "db", o.DB, "database `DSN` to check: sqlite: (a file in --data), sqlite:/path/new.db, or postgres://… (the check creates a schema of its own there and drops it after)")
	fs.StringVar(&o.Data, "data", "", "data `directory` to create (it must not exist or be empty; default: a new temporary directory)")
	fs.StringVar(&o.PGData, "pg-data", "", "PostgreSQL data `directory` as seen here (default: the server's SHOW data_directory)")
	fs.Var(&logs, "pg-log", "PostgreSQL server log `file` (repeatable; default: the collector's current file and "+forensic.DefaultPGLogGlob+")")
	fs.BoolVar(&o.Keep, "keep", false, "keep the data directory, the server log and the PostgreSQL schema for inspection")
	fs.BoolVar(&o.Verbose, "verbose", false, "list every hit: file, offset, form and canary")
	pos, err := fs.parse(args, nil) // no environment: the check must not pick up a real store's settings
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	o.PGLogs = logs
	report, err := RunForensic(ctx, o, env.Stdout)
	if err != nil {
		return err
	}
	report.WriteText(env.Stdout, o.Verbose)
	if report.FoundCanaries() > 0 {
		return errPlaintextFound
	}
	if report.Incomplete != "" {
		return fmt.Errorf("nothing found, but the check is incomplete: %s", report.Incomplete)
	}
	return nil
}

// RunForensic runs the forensic check with o and returns its report;
// progress lines go to w. It fails only if the check could not run.
func RunForensic(ctx context.Context, o forensicOptions, w io.Writer) (*forensic.Report, error) {
	t, err := newForensicTarget(ctx, o, w)
	if err != nil {
		return nil, err
	}
	defer t.cleanup(w)
	report, err := forensic.Check(ctx, t)
	if err != nil {
		return nil, err
	}
	if t.pg != nil && t.pg.Problem() != "" {
		report.Incomplete = "the PostgreSQL server's heap, TOAST, index and WAL files were not scanned: " + t.pg.Problem()
	}
	return report, nil
}

// forensicTarget is the server under examination: a Main in this process
// on a data directory (and schema) of the check's own.
type forensicTarget struct {
	opts        forensicOptions
	cfg         Config
	m           *Main
	workDir     string // holds the log, and the data directory unless --data
	created     []string
	key         string // the admin key of the check's tenant
	dataExisted bool   // --data named an existing (empty) directory: empty it, keep it
	ownsData    bool   // --data was checked to be new or empty: cleanup may remove what is in it
	dbPath      string // the SQLite file; "" for PostgreSQL
	logFile     *os.File
	pg          *forensic.Postgres
}

// newForensicTarget prepares the data directory (and PostgreSQL schema)
// and starts the server.
func newForensicTarget(ctx context.Context, o forensicOptions, w io.Writer) (_ *forensicTarget, err error) {
	t := &forensicTarget{opts: o, cfg: DefaultConfig()}
	defer func() {
		if err != nil {
			t.cleanup(io.Discard)
		}
	}()
	if t.workDir, err = os.MkdirTemp("", "convstore-forensic-"); err != nil {
		return nil, err
	}
	t.created = append(t.created, t.workDir)
	cfg := &t.cfg
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = o.DB
	cfg.DataDir = o.Data
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.workDir, "data")
	} else {
		if t.dataExisted, err = wantEmptyDir(cfg.DataDir); err != nil {
			return nil, err
		}
		t.ownsData = true // new or empty: what is in it from now on is the check's
	}
	// Debug: whatever the server would log at any level is scanned too.
	cfg.LogLevel = "debug"
	// The workload sends about a hundred requests at once.
	cfg.KeyRateLimit, cfg.AddressRateLimit, cfg.PublicRateLimit = convhttp.RateLimit{}, convhttp.RateLimit{}, convhttp.RateLimit{}
	t.key = "csk_" + randomHex(32)
	cfg.BootstrapKey = t.key
	engine, err := cfg.Engine()
	if err != nil {
		return nil, err
	}
	if engine == EnginePostgres {
		cfg.PGSchema = "convstore_forensic_" + randomHex(6)
		if t.pg, err = forensic.OpenPostgres(ctx, cfg.DB, cfg.PGSchema, o.PGData, o.PGLogs); err != nil {
			return nil, err
		}
	} else {
		path, err := cfg.SQLitePath()
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(path); err == nil {
			return nil, fmt.Errorf("%s exists: the check writes test data, so it needs a new database file", path)
		}
		t.dbPath = path
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if t.logFile, err = os.OpenFile(filepath.Join(t.workDir, "convstore.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "convstore forensic: engine %s, data %s, server log %s", engine, cfg.DataDir, t.logFile.Name())
	if t.pg != nil {
		fmt.Fprintf(w, ", schema %s, PostgreSQL data %s", cfg.PGSchema, t.pg.DataDir())
	}
	fmt.Fprintln(w)
	return t, t.start(ctx)
}

// start starts the server on the target's configuration.
func (t *forensicTarget) start(ctx context.Context) error {
	t.m = NewMain()
	t.m.Config = t.cfg
	t.m.Stderr = t.logFile
	if err := t.m.Run(ctx); err != nil {
		_ = t.m.Close()
		t.m = nil
		return fmt.Errorf("starting the server: %w", err)
	}
	return nil
}

func (t *forensicTarget) Engine() string {
	if t.pg != nil {
		return EnginePostgres
	}
	return EngineSQLite
}

func (t *forensicTarget) URL() string { return t.m.URL() }

func (t *forensicTarget) Key() string { return t.key }

// blobRemovalWaiter is an engine whose deletes remove attachment bytes in
// the background (both engines).
type blobRemovalWaiter interface {
	WaitBlobRemovals(ctx context.Context) error
}

func (t *forensicTarget) Prepare(ctx context.Context, phase string) ([]string, error) {
	switch phase {
	case forensic.PhaseBeforeDelete:
		// What the database does by itself on a busy server, so that
		// the deleted content is in the data files, not only in the log.
		if t.pg != nil {
			if err := t.pg.Analyze(ctx); err != nil {
				return nil, err
			}
			note, err := t.checkpoint(ctx, "CHECKPOINT, as every checkpoint_timeout")
			if err != nil {
				return nil, err
			}
			return []string{"ANALYZE of convstore's tables, as autovacuum runs it (pg_statistic keeps sample values)", note}, nil
		}
		note, err := forensic.CheckpointSQLite(ctx, t.dbPath, "PASSIVE")
		if err != nil {
			return nil, err
		}
		return []string{note + ", as SQLite's automatic checkpoint does once the WAL passes 1000 pages"}, nil
	case forensic.PhaseAfterDelete:
		if wr, ok := t.m.DB.(blobRemovalWaiter); ok {
			if err := wr.WaitBlobRemovals(ctx); err != nil {
				return nil, err
			}
			return []string{"the deletes' background attachment removals finished"}, nil
		}
	case forensic.PhaseAfterCheckpoint:
		if t.pg != nil {
			note, err := t.checkpoint(ctx, "CHECKPOINT")
			if err != nil {
				return nil, err
			}
			return []string{note}, nil
		}
		note, err := forensic.CheckpointSQLite(ctx, t.dbPath, "TRUNCATE")
		if err != nil {
			return nil, err
		}
		return []string{note}, nil
	case forensic.PhaseAfterRestart:
		if err := t.m.Close(); err != nil {
			return nil, fmt.Errorf("stopping the server: %w", err)
		}
		t.cfg.BootstrapKey = "" // the tenant exists; its key stays valid
		if err := t.start(ctx); err != nil {
			return nil, err
		}
		return []string{"the server stopped cleanly and started again on the same data"}, nil
	}
	return nil, nil
}

// checkpoint runs a PostgreSQL checkpoint and returns a note on it.
func (t *forensicTarget) checkpoint(ctx context.Context, note string) (string, error) {
	removed, err := t.pg.Checkpoint(ctx)
	if err != nil {
		return "", err
	}
	if removed > 0 {
		note += fmt.Sprintf("; it removed %d pg_wal segment(s) written during the run, whose bytes are now in the filesystem's free blocks (not scanned)", removed)
	}
	return note, nil
}

func (t *forensicTarget) Files(ctx context.Context) ([]forensic.File, error) {
	files, err := forensic.DataDirFiles(t.cfg.DataDir, t.cfg.BlobDir(), t.dbPath)
	if err != nil {
		return nil, err
	}
	files = append(files, forensic.File{Path: t.logFile.Name(), Class: forensic.ClassServerLog})
	if t.pg != nil {
		pgFiles, err := t.pg.Files(ctx)
		if err != nil {
			return nil, err
		}
		files = append(files, pgFiles...)
	}
	return files, nil
}

func (t *forensicTarget) NotCovered() []string {
	if t.pg == nil {
		return nil
	}
	out := []string{"PostgreSQL files of other databases and schemas, temporary files (base/pgsql_tmp) and the server's statistics files"}
	if p := t.pg.Problem(); p != "" {
		out = append([]string{"PostgreSQL heap, TOAST, index and WAL files: " + p}, out...)
	}
	return out
}

// cleanup stops the server and removes what the check made, unless
// --keep.
func (t *forensicTarget) cleanup(w io.Writer) {
	if t.m != nil {
		if err := t.m.Close(); err != nil {
			fmt.Fprintf(w, "convstore forensic: stopping the server: %v\n", err)
		}
		t.m = nil
	}
	if t.logFile != nil {
		t.logFile.Close()
	}
	if t.pg != nil {
		if !t.opts.Keep {
			if err := t.pg.DropSchema(context.Background()); err != nil {
				fmt.Fprintf(w, "convstore forensic: dropping schema %s: %v\n", t.cfg.PGSchema, err)
			}
		}
		t.pg.Close()
	}
	if t.opts.Keep {
		kept := t.created
		if !strings.HasPrefix(t.cfg.DataDir, t.workDir+string(filepath.Separator)) {
			kept = append(kept, t.cfg.DataDir)
		}
		fmt.Fprintf(w, "convstore forensic: kept %s", strings.Join(kept, ", "))
		if t.pg != nil {
			fmt.Fprintf(w, " and schema %s", t.cfg.PGSchema)
		}
		fmt.Fprintln(w)
		return
	}
	if t.ownsData {
		removeContents(t.opts.Data, t.dataExisted)
	}
	if t.dbPath != "" && !strings.HasPrefix(t.dbPath, t.cfg.DataDir+string(filepath.Separator)) {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(t.dbPath + suffix)
		}
	}
	for _, d := range t.created {
		os.RemoveAll(d)
	}
}

// wantEmptyDir checks that dir does not exist or is empty, and says
// whether it exists.
func wantEmptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(entries) > 0 {
		return true, fmt.Errorf("--data %s is not empty: the check writes test data, so it needs a new or empty directory", dir)
	}
	return true, nil
}

// removeContents removes dir, or only what is in it if keepDir.
func removeContents(dir string, keepDir bool) {
	if !keepDir {
		os.RemoveAll(dir)
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("convstore: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
