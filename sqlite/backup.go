package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/convstore/convstore"
)

// A backup is one SQLite file (0600): a consistent copy of the store's
// database taken by VACUUM INTO (a read transaction, so the server keeps
// serving and writing meanwhile), plus two tables of its own:
// backup_info (one row: when it was taken and the newest deletion receipt
// it holds) and backup_blobs (the attachment bytes its attachments refer
// to, in chunks). Attachment bytes are copied after the snapshot; a blob
// removed in between (its conversation deleted) is counted as missing,
// and a restore re-applies that delete anyway.
const (
	backupInfoTable  = "backup_info"
	backupBlobsTable = "backup_blobs"
	backupChunk      = 1 << 20 // bytes of one backup_blobs row
)

// BackupInfo describes a backup.
type BackupInfo struct {
	TakenAt time.Time
	// LastDeletionID and LastDeletionAt are the newest deletion receipt the
	// backup holds (zero if none): receipts after it are what a restore
	// must re-apply.
	LastDeletionID convstore.ID
	LastDeletionAt time.Time
	Deletions      int   // receipts the backup holds
	Conversations  int   // conversations the backup holds
	Blobs          int   // attachment blobs copied into the backup
	BlobBytes      int64 // their bytes
	MissingBlobs   int   // attachment blobs gone before they could be copied
}

// Backup writes a consistent copy of the database at src, with the
// attachment bytes blobs holds for it, to the new file dst (0600). It
// fails if dst exists. A server may use src meanwhile.
func Backup(ctx context.Context, src, dst string, blobs convstore.BlobStore, now time.Time) (*BackupInfo, error) {
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return nil, fmt.Errorf("sqlite: backup: %s exists; choose a new file", dst)
	}
	tmp, err := privateTemp(dst)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := vacuumInto(ctx, src, tmp); err != nil {
		return nil, err
	}
	info, err := fillBackup(ctx, tmp, blobs, now)
	if err != nil {
		return nil, err
	}
	if err := syncFile(tmp); err != nil {
		return nil, err
	}
	// Link, not rename: it fails rather than replace a dst created meanwhile.
	if err := os.Link(tmp, dst); err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	os.Remove(tmp)
	syncDirOf(dst)
	ok = true
	return info, nil
}

// privateTemp creates an empty 0600 file beside path and returns its name.
// VACUUM INTO accepts an empty file, and keeps its permissions.
func privateTemp(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("sqlite: backup: %w", err)
	}
	name := f.Name()
	if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("sqlite: backup: %w", err)
	}
	return name, nil
}

// rawDSN is the connection string of a plain connection to path, for
// backups and restores (no migrations, no statements prepared).
func rawDSN(path string, pragmas ...string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}
	return u.String()
}

// vacuumInto copies src into the empty file dst in one read transaction.
func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", rawDSN(src))
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("sqlite: backup: VACUUM INTO: %w", err)
	}
	return nil
}

// fillBackup adds the backup's own tables to the copy at path: its info,
// and the attachment bytes its attachments refer to.
func fillBackup(ctx context.Context, path string, blobs convstore.BlobStore, now time.Time) (*BackupInfo, error) {
	db, err := sql.Open("sqlite", rawDSN(path, "journal_mode(DELETE)", "synchronous(FULL)", "secure_delete(ON)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	info := &BackupInfo{TakenAt: now.UTC().Truncate(time.Microsecond)}
	var lastID []byte
	var lastAt sql.NullInt64
	err = db.QueryRowContext(ctx, `SELECT id, created_at FROM deletions ORDER BY id DESC LIMIT 1`).Scan(&lastID, &lastAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	default:
		copy(info.LastDeletionID[:], lastID)
		info.LastDeletionAt = time.UnixMicro(lastAt.Int64).UTC()
	}
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM deletions), (SELECT count(*) FROM conversations)`).
		Scan(&info.Deletions, &info.Conversations); err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE `+backupBlobsTable+` (
		blob_key TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (blob_key, chunk))`); err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	keys, err := blobKeys(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		n, err := copyBlobIn(ctx, db, blobs, key)
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			info.MissingBlobs++
			continue
		}
		if err != nil {
			return nil, err
		}
		info.Blobs++
		info.BlobBytes += n
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE `+backupInfoTable+` (
		taken_at INTEGER NOT NULL, last_deletion_id BLOB, last_deletion_at INTEGER,
		deletions INTEGER NOT NULL, conversations INTEGER NOT NULL,
		blobs INTEGER NOT NULL, blob_bytes INTEGER NOT NULL, missing_blobs INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	var last, lastTime any
	if !info.LastDeletionID.IsZero() {
		last, lastTime = idArg(info.LastDeletionID), micros(info.LastDeletionAt)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO `+backupInfoTable+` VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		micros(info.TakenAt), last, lastTime, info.Deletions, info.Conversations, info.Blobs, info.BlobBytes, info.MissingBlobs); err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	return info, nil
}

func blobKeys(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT blob_key FROM attachments ORDER BY blob_key`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite: backup: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// copyBlobIn copies one blob into backup_blobs, in one transaction, a
// chunk at a time. ENOTFOUND if blobs no longer has it.
func copyBlobIn(ctx context.Context, db *sql.DB, blobs convstore.BlobStore, key string) (int64, error) {
	r, err := blobs.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	defer tx.Rollback()
	buf := make([]byte, backupChunk)
	var total int64
	for chunk := 0; ; chunk++ {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 || chunk == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+backupBlobsTable+` VALUES (?, ?, ?)`, key, chunk, buf[:n]); err != nil {
				return 0, fmt.Errorf("sqlite: backup: %w", err)
			}
			total += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return 0, fmt.Errorf("sqlite: backup: reading blob %s: %w", key, rerr)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	return total, nil
}

// ReadBackupInfo returns what the backup at path says of itself. It fails
// for a file that is not a convstore backup.
func ReadBackupInfo(ctx context.Context, path string) (*BackupInfo, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	db, err := sql.Open("sqlite", rawDSN(path, "query_only(ON)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	return readBackupInfo(ctx, db, path)
}

func readBackupInfo(ctx context.Context, db *sql.DB, path string) (*BackupInfo, error) {
	info := &BackupInfo{}
	var taken int64
	var last []byte
	var lastAt sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT taken_at, last_deletion_id, last_deletion_at, deletions, conversations, blobs,
		blob_bytes, missing_blobs FROM `+backupInfoTable).Scan(&taken, &last, &lastAt, &info.Deletions, &info.Conversations,
		&info.Blobs, &info.BlobBytes, &info.MissingBlobs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s is not a convstore backup (made by convstore backup): %v", path, err)
	}
	info.TakenAt = time.UnixMicro(taken).UTC()
	if len(last) == len(info.LastDeletionID) {
		copy(info.LastDeletionID[:], last)
		info.LastDeletionAt = time.UnixMicro(lastAt.Int64).UTC()
	}
	return info, nil
}

// InstallBackup copies the database of the backup at path to the new file
// dst (0600), without the backup's own tables (RestoreBlobs reads the
// attachment bytes from the backup). Opening dst (Open) then brings its
// schema up to date.
func InstallBackup(ctx context.Context, path, dst string) (*BackupInfo, error) {
	info, err := ReadBackupInfo(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := copyPrivate(path, dst); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", rawDSN(dst, "journal_mode(DELETE)", "synchronous(FULL)", "secure_delete(ON)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: restore: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{`DROP TABLE ` + backupBlobsTable, `DROP TABLE ` + backupInfoTable, `VACUUM`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	return info, nil
}

// RestoreBlobs writes into blobs the attachment bytes of the backup at
// path that the attachments of the database at dst (the backup installed,
// its deletions re-applied) refer to and blobs lacks, and returns how many
// it wrote. Bytes of conversations deleted since the backup are never
// written back.
func RestoreBlobs(ctx context.Context, path, dst string, blobs convstore.BlobStore) (int, error) {
	target, err := sql.Open("sqlite", rawDSN(dst, "query_only(ON)"))
	if err != nil {
		return 0, fmt.Errorf("sqlite: restore: %w", err)
	}
	defer target.Close()
	keys, err := blobKeys(ctx, target)
	if err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite", rawDSN(path, "query_only(ON)"))
	if err != nil {
		return 0, fmt.Errorf("sqlite: restore: %w", err)
	}
	defer db.Close()
	n := 0
	for _, key := range keys {
		if r, err := blobs.Open(ctx, key); err == nil {
			r.Close()
			continue
		}
		var held int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+backupBlobsTable+` WHERE blob_key = ?`, key).Scan(&held); err != nil {
			return n, fmt.Errorf("sqlite: restore: %w", err)
		}
		if held == 0 {
			continue // gone before the backup copied it: its conversation was being deleted
		}
		if err := copyBlobOut(ctx, db, blobs, key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// copyBlobOut writes one blob of backup_blobs into blobs.
func copyBlobOut(ctx context.Context, db *sql.DB, blobs convstore.BlobStore, key string) error {
	pr, pw := io.Pipe()
	go func() {
		rows, err := db.QueryContext(ctx, `SELECT data FROM `+backupBlobsTable+` WHERE blob_key = ? ORDER BY chunk`, key)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := pw.Write(data); err != nil {
				return
			}
		}
		pw.CloseWithError(rows.Err())
	}()
	_, _, err := blobs.Put(ctx, key, pr, 1<<62)
	pr.CloseWithError(err) // stops the reader if Put gave up early
	if err != nil {
		return fmt.Errorf("sqlite: restore: writing blob %s: %w", key, err)
	}
	return nil
}

// copyPrivate copies the file src to the new file dst (0600), synced.
func copyPrivate(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return nil
}

// CheckNotInUse fails if a process (a server) has the database at path
// open: an exclusive lock on a database in WAL mode cannot be taken while
// any other connection holds it open, and the server always keeps its
// writer connection open. A missing file is not in use.
func CheckNotInUse(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", rawDSN(path, "locking_mode(EXCLUSIVE)"))
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer conn.Close()
	// No busy wait: a server holds its connection for good.
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		return fmt.Errorf("the database %s is in use by another process (is a convstore server running on it? stop it first): %v", path, err)
	}
	_, err = conn.ExecContext(ctx, `ROLLBACK`)
	return err
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDirOf syncs path's directory, so a rename or link into it is durable.
func syncDirOf(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
