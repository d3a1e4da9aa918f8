package forensic

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPGLogGlob is where Debian's and Ubuntu's PostgreSQL packages (and
// so CI) write the server log when logging_collector is off.
const DefaultPGLogGlob = "/var/log/postgresql/*.log"

// Postgres finds the files a PostgreSQL server writes for the tables of one
// schema: their heap, TOAST and index files, pg_statistic, the pg_wal
// segments written since Open and what the server log gained since Open.
// It needs the server's data directory to be readable here (a local server,
// run as root or as the postgres user).
type Postgres struct {
	conn     *pgx.Conn
	schema   string
	dataDir  string
	walSince time.Time
	logs     []File
	// problem says why the server's files cannot be scanned ("" if
	// they can).
	problem string
}

// OpenPostgres connects to dsn and records where the server's files and
// logs are and where the logs end now. dataDir overrides the server's
// data_directory (for a server whose paths differ here, as in a
// container); logFiles override the server log files (default: the
// current log file if logging_collector is on, and DefaultPGLogGlob). If
// the data directory cannot be read, the result still checkpoints and
// analyzes, and Problem says why no file can be scanned.
func OpenPostgres(ctx context.Context, dsn, schema, dataDir string, logFiles []string) (*Postgres, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("forensic: connecting to PostgreSQL: %w", err)
	}
	p := &Postgres{conn: conn, schema: schema, dataDir: dataDir, walSince: time.Now().Add(-2 * time.Second)}
	if p.dataDir == "" {
		if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&p.dataDir); err != nil {
			p.problem = fmt.Sprintf("SHOW data_directory failed (%v): give the data directory with --pg-data", pgMessage(err))
		}
	}
	if p.problem == "" {
		if _, err := os.ReadDir(filepath.Join(p.dataDir, "pg_wal")); err != nil {
			p.problem = fmt.Sprintf("the server's data directory %s cannot be read here (%v): run on the database's machine as root or postgres, or give it with --pg-data", p.dataDir, err)
		}
	}
	if len(logFiles) == 0 {
		logFiles = p.defaultLogs(ctx)
	}
	for _, f := range logFiles {
		st, err := os.Stat(f)
		if err != nil {
			continue // may appear later (rotation); scanned from 0 then
		}
		p.logs = append(p.logs, File{Path: f, Class: ClassPGServerLog, From: st.Size()})
	}
	return p, nil
}

// defaultLogs returns the server log files: the collector's current file,
// and Debian's log directory.
func (p *Postgres) defaultLogs(ctx context.Context) []string {
	var out []string
	var current *string
	if err := p.conn.QueryRow(ctx, "SELECT pg_current_logfile()").Scan(&current); err == nil && current != nil && *current != "" {
		f := *current
		if !filepath.IsAbs(f) && p.dataDir != "" {
			f = filepath.Join(p.dataDir, f)
		}
		out = append(out, f)
	}
	files, _ := filepath.Glob(DefaultPGLogGlob)
	return append(out, files...)
}

// Problem says why the server's files cannot be scanned, or "" if they can.
func (p *Postgres) Problem() string { return p.problem }

// DataDir returns the server's data directory.
func (p *Postgres) DataDir() string { return p.dataDir }

// Logs returns the server log files scanned, with where each ended at Open.
func (p *Postgres) Logs() []File { return p.logs }

// Close closes the connection.
func (p *Postgres) Close() error { return p.conn.Close(context.Background()) }

// Checkpoint runs CHECKPOINT, which writes every dirty page to the
// relation files (it needs superuser or the pg_checkpoint role). It
// returns how many pg_wal segments written during the run the checkpoint
// removed: their bytes went to the filesystem's free blocks, where no
// scan of files sees them. (A recycled segment keeps its file under a
// later name, and is still scanned.)
func (p *Postgres) Checkpoint(ctx context.Context) (removed int, err error) {
	before := p.walSegments()
	if _, err := p.conn.Exec(ctx, "CHECKPOINT"); err != nil {
		return 0, fmt.Errorf("CHECKPOINT: %s", pgMessage(err))
	}
	after := p.walSegments()
	for _, b := range before {
		gone := true
		for _, a := range after {
			if os.SameFile(a, b) {
				gone = false
				break
			}
		}
		if gone {
			removed++
		}
	}
	return removed, nil
}

// walSegments returns the pg_wal segments modified since Open; nil
// without a readable data directory.
func (p *Postgres) walSegments() []os.FileInfo {
	if p.problem != "" {
		return nil
	}
	entries, err := os.ReadDir(filepath.Join(p.dataDir, "pg_wal"))
	if err != nil {
		return nil
	}
	var out []os.FileInfo
	for _, e := range entries {
		if !walSegment.MatchString(e.Name()) {
			continue
		}
		if info, err := e.Info(); err == nil && !info.ModTime().Before(p.walSince) {
			out = append(out, info)
		}
	}
	return out
}

// Analyze runs ANALYZE on every table of the schema, as autovacuum does on
// a busy table, so the column samples pg_statistic keeps are covered too.
func (p *Postgres) Analyze(ctx context.Context) error {
	rows, err := p.conn.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`, p.schema)
	if err != nil {
		return fmt.Errorf("listing tables: %s", pgMessage(err))
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("listing tables: %s", pgMessage(err))
	}
	for _, t := range tables {
		if _, err := p.conn.Exec(ctx, "ANALYZE "+pgx.Identifier{p.schema, t}.Sanitize()); err != nil {
			return fmt.Errorf("ANALYZE %s: %s", t, pgMessage(err))
		}
	}
	return nil
}

// DropSchema drops the schema and everything in it.
func (p *Postgres) DropSchema(ctx context.Context) error {
	_, err := p.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{p.schema}.Sanitize()+" CASCADE")
	return err
}

// relationsQuery lists the storage of the schema's tables and of
// pg_statistic: each table's heap, its TOAST table, and the indexes of
// both, as paths relative to the data directory. It runs at each scan, as
// a rewrite (VACUUM FULL, TRUNCATE) gives a relation a new file.
const relationsQuery = `
WITH t AS (
	SELECT c.oid, c.reltoastrelid, c.oid = 'pg_catalog.pg_statistic'::regclass AS stat
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE (n.nspname = $1 AND c.relkind IN ('r', 'm')) OR c.oid = 'pg_catalog.pg_statistic'::regclass
)
SELECT stat, 'heap', pg_relation_filepath(oid) FROM t
UNION ALL SELECT stat, 'toast', pg_relation_filepath(reltoastrelid) FROM t WHERE reltoastrelid <> 0
UNION ALL SELECT stat, 'index', pg_relation_filepath(i.indexrelid) FROM t JOIN pg_index i ON i.indrelid = t.oid
UNION ALL SELECT stat, 'index', pg_relation_filepath(i.indexrelid) FROM t JOIN pg_index i ON i.indrelid = t.reltoastrelid`

// walSegment is the name of a WAL segment file: timeline, log and segment
// numbers in hex.
var walSegment = regexp.MustCompile(`^[0-9A-F]{24}$`)

// Files lists what to scan now: the relation files, the WAL segments
// modified since Open (a segment recycled under a later name keeps its
// time, so it is included too) and the server logs from where they ended
// at Open. Without a readable data directory only the logs are listed.
func (p *Postgres) Files(ctx context.Context) ([]File, error) {
	out := append([]File(nil), p.logs...)
	if p.problem != "" {
		return out, nil
	}
	rows, err := p.conn.Query(ctx, relationsQuery, p.schema)
	if err != nil {
		return nil, fmt.Errorf("forensic: listing relation files: %s", pgMessage(err))
	}
	type rel struct {
		stat bool
		kind string
		path *string
	}
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rel, error) {
		var x rel
		err := r.Scan(&x.stat, &x.kind, &x.path)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("forensic: listing relation files: %s", pgMessage(err))
	}
	for _, r := range rels {
		if r.path == nil {
			continue // no storage of its own
		}
		class := map[string]string{"heap": ClassPGHeap, "toast": ClassPGTOAST, "index": ClassPGIndex}[r.kind]
		if r.stat {
			class = ClassPGStatistic
		}
		for _, f := range relationForks(filepath.Join(p.dataDir, *r.path)) {
			out = append(out, File{Path: f, Class: class})
		}
	}
	for _, info := range p.walSegments() {
		out = append(out, File{Path: filepath.Join(p.dataDir, "pg_wal", info.Name()), Class: ClassPGWAL})
	}
	return out, nil
}

// relationForks returns the files of a relation whose main file is base:
// base, its 1 GB segments base.1, base.2, …, and its free space map,
// visibility map and init forks.
func relationForks(base string) []string {
	out := []string{base}
	for _, pattern := range []string{base + ".*", base + "_*"} {
		m, _ := filepath.Glob(pattern)
		out = append(out, m...)
	}
	return out
}

// pgMessage returns a PostgreSQL error's message without the driver's
// decoration.
func pgMessage(err error) string {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return strings.TrimPrefix(err.Error(), "ERROR: ")
	}
	return err.Error()
}
