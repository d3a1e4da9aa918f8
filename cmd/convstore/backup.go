package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

func backupCommand() *command {
	return (&leaf{name: "backup", summary: "Copy a SQLite store, consistently, while its server runs.",
		help: backupHelp, args: []string{"FILE"}, timeout: noTimeout, raw: runBackup}).topLevel()
}

func restoreCommand() *command {
	return (&leaf{name: "restore", summary: "Install a backup, re-applying every delete made since (the server must be stopped).",
		help: restoreHelp, args: []string{"BACKUP"}, lastOptional: true, timeout: noTimeout, flags: restoreFlags, raw: runRestore}).topLevel()
}

const backupHelp = `Write a consistent copy of the SQLite store (--data, --db) to FILE, a new
file readable by its owner only: the database as of one instant (VACUUM INTO,
a read transaction: the server keeps serving), the attachment bytes it
refers to, and when it was taken with the newest deletion receipt it holds.
Content is copied as stored: sealed, under data keys wrapped by the keyring,
which is not copied. For PostgreSQL, use pg_dump (see the README).`

const restoreHelp = `Install the backup BACKUP as the SQLite store (--data, --db), which no
server may be running on, then re-apply every deletion receipt the backup
lacks, so that a restore never brings a deleted conversation back. The
receipts come from the database being replaced, or from --reapply-from (a
store's DSN: sqlite:/path/old.db or postgres://…) when that one is gone.
The replaced database is kept beside it (convstore.db.replaced-TIME) until
you remove it.

With PostgreSQL, first restore the dump into a new database with
pg_restore, then run: convstore restore --db postgres://…/new
--reapply-from postgres://…/old (no BACKUP argument).`

// backupJSON is the --json form of a backup's description.
type backupJSON struct {
	File           string  `json:"file"`
	TakenAt        int64   `json:"taken_at"`
	LastDeletionID *string `json:"last_deletion_id"`
	LastDeletionAt *int64  `json:"last_deletion_at"`
	Conversations  int     `json:"conversations"`
	Deletions      int     `json:"deletions"`
	Blobs          int     `json:"blobs"`
	BlobBytes      int64   `json:"blob_bytes"`
	MissingBlobs   int     `json:"missing_blobs"`
}

func toBackupJSON(file string, info *sqlite.BackupInfo) backupJSON {
	out := backupJSON{File: file, TakenAt: info.TakenAt.Unix(), Conversations: info.Conversations, Deletions: info.Deletions,
		Blobs: info.Blobs, BlobBytes: info.BlobBytes, MissingBlobs: info.MissingBlobs}
	if !info.LastDeletionID.IsZero() {
		id, at := info.LastDeletionID.Format(convstore.PrefixDeletion), info.LastDeletionAt.Unix()
		out.LastDeletionID, out.LastDeletionAt = &id, &at
	}
	return out
}

func backupFields(file string, info *sqlite.BackupInfo) []string {
	last := "-"
	if !info.LastDeletionID.IsZero() {
		last = info.LastDeletionID.Format(convstore.PrefixDeletion) + " (" + fmtTime(info.LastDeletionAt) + ")"
	}
	return []string{
		"backup", file,
		"taken_at", fmtTime(info.TakenAt),
		"last_deletion", last,
		"conversations", itoa(info.Conversations),
		"deletions", itoa(info.Deletions),
		"blobs", itoa(info.Blobs),
		"blob_bytes", strconv.FormatInt(info.BlobBytes, 10),
	}
}

// sqliteOnly returns the SQLite database path of the configuration, or
// why the command needs the SQLite engine.
func sqliteOnly(x *call, what string) (string, error) {
	engine, _ := x.sf.cfg.Engine()
	if engine != EngineSQLite {
		return "", fmt.Errorf("%s works on SQLite stores; for PostgreSQL use pg_dump and pg_restore (see convstore restore -h)", what)
	}
	return x.sf.cfg.SQLitePath()
}

func runBackup(x *call) error {
	path, err := sqliteOnly(x, "convstore backup")
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no store to back up: %w", err)
	}
	blobs, err := openFSBlobs(x.sf.cfg)
	if err != nil {
		return err
	}
	info, err := sqlite.Backup(x.ctx, path, x.args[0], blobs, time.Now())
	if err != nil {
		return err
	}
	if info.MissingBlobs > 0 {
		fmt.Fprintf(x.env.Stderr, "convstore: %d attachment blob(s) were removed while the backup ran (their conversations were being deleted); a restore re-applies those deletes\n", info.MissingBlobs)
	}
	return x.print(toBackupJSON(x.args[0], info), func(w io.Writer) error { return fields(w, backupFields(x.args[0], info)...) })
}

func restoreFlags(fs *flagSet) func(x *call) (clientCall, error) {
	fs.String("reapply-from", "", "`DSN` of the store whose deletion receipts to re-apply (default: the SQLite database being replaced)")
	return nil
}

// restoreJSON is the --json form of a restore's outcome.
type restoreJSON struct {
	Backup        *backupJSON `json:"backup,omitempty"`
	ReceiptsFrom  string      `json:"receipts_from"`
	Receipts      int         `json:"receipts"`
	Reapplied     int         `json:"reapplied_receipts"`
	Deleted       int         `json:"deleted_conversations"`
	Skipped       int         `json:"skipped_receipts"`
	AuditEntries  int         `json:"reapplied_audit_entries"`
	Messages      int         `json:"deleted_messages"`
	Artifacts     int         `json:"deleted_artifacts"`
	Attachments   int         `json:"deleted_attachments"`
	KeysRevoked   int         `json:"revoked_api_keys"`
	HoldsReleased int         `json:"released_holds"`
	KeysAdopted   int         `json:"keys_adopted"`
	BlobsRestored int         `json:"blobs_restored"`
	Replaced      string      `json:"replaced,omitempty"`
}

func runRestore(x *call) error {
	source := x.fs.Lookup("reapply-from").Value.String()
	engine, _ := x.sf.cfg.Engine()
	if engine == EnginePostgres {
		return restorePostgres(x, source)
	}
	if len(x.args) == 0 {
		return usageErrorf(x.fs, "want the BACKUP file to restore")
	}
	path, err := x.sf.cfg.SQLitePath()
	if err != nil {
		return err
	}
	backup := x.args[0]
	if _, err := sqlite.ReadBackupInfo(x.ctx, backup); err != nil {
		return err
	}
	if err := sqlite.CheckNotInUse(x.ctx, path); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(x.env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	out := restoreJSON{ReceiptsFrom: source}
	src, err := openSource(x, path, source, logger, &out)
	if err != nil {
		return err
	}
	if src != nil {
		defer src.Close()
	}
	blobs, err := openFSBlobs(x.sf.cfg)
	if err != nil {
		return err
	}
	stage := path + ".restoring"
	if err := removeDB(stage); err != nil {
		return err
	}
	info, err := sqlite.InstallBackup(x.ctx, backup, stage)
	if err != nil {
		return err
	}
	bj := toBackupJSON(backup, info)
	out.Backup = &bj
	if err := restoreInto(x.ctx, x.sf.cfg, stage, blobs, src, logger, &out); err != nil {
		return fmt.Errorf("re-applying deletes to the restored database (%s, left for inspection; the store is unchanged): %w", stage, err)
	}
	if src != nil {
		src.Close()
	}
	if out.BlobsRestored, err = sqlite.RestoreBlobs(x.ctx, backup, stage, blobs); err != nil {
		return err
	}
	if out.Replaced, err = swapIn(stage, path); err != nil {
		return err
	}
	return x.print(out, func(w io.Writer) error { return printRestore(w, path, &out) })
}

// openSource opens the store whose receipts and keys a restore carries
// over: source if given, else the SQLite database at path, the one being
// replaced; nil (with a warning) if that one is gone.
func openSource(x *call, path, source string, logger *slog.Logger, out *restoreJSON) (*service.Service, error) {
	cfg := x.sf.cfg
	if source != "" {
		cfg.DB = source
		if err := cfg.validateStore(); err != nil {
			return nil, fmt.Errorf("--reapply-from: %w", err)
		}
	} else {
		out.ReceiptsFrom = "sqlite:" + path
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			out.ReceiptsFrom = ""
			fmt.Fprintf(x.env.Stderr, "convstore: warning: %s does not exist and no --reapply-from was given: no deletion receipt is re-applied. "+
				"Conversations deleted since the backup stay unreadable only where the keyring destroyed the epochs that wrapped their keys.\n", path)
			return nil, nil
		}
	}
	store, err := openStore(x.ctx, cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("opening the store whose deletes to re-apply: %w", err)
	}
	svc, ok := store.(*service.Service)
	if !ok {
		store.Close()
		return nil, errors.New("the store whose deletes to re-apply is not a local store")
	}
	return svc, nil
}

// restoreInto opens the installed backup at path (bringing its schema up
// to date, without sweeping the blob directory for orphans: until the
// swap, the blobs belong to the store being replaced) and carries src's
// deletes and keys into it.
func restoreInto(ctx context.Context, cfg Config, path string, blobs convstore.BlobStore, src *service.Service, logger *slog.Logger, out *restoreJSON) error {
	drv, err := sqlite.Open(ctx, path, sqlite.Options{Logger: logger})
	if err != nil {
		return err
	}
	store, err := openService(ctx, cfg, drv, blobs, service.Options{Logger: logger, MaxConversationMessages: cfg.MaxConversationMessages})
	if err != nil {
		return err
	}
	defer store.Close()
	dst := store.(*service.Service)
	if src == nil {
		return nil
	}
	return carryOver(ctx, src, dst, out)
}

// carryOver re-applies every receipt of src that dst lacks, then the
// message and artifact deletes and API key revocations of src's audit log
// that dst lacks, then replaces dst's wrapped data keys by src's, batch by
// batch.
func carryOver(ctx context.Context, src, dst *service.Service, out *restoreJSON) error {
	var batch []*convstore.Deletion
	flush := func() error {
		r, err := dst.ReapplyDeletions(ctx, batch)
		out.Reapplied += r.Receipts
		out.Deleted += r.Conversations
		out.Skipped += r.Skipped
		batch = batch[:0]
		return err
	}
	err := src.EachDeletion(ctx, func(d *convstore.Deletion) error {
		out.Receipts++
		if batch = append(batch, d); len(batch) >= 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	var entries []*convstore.AuditEntry
	flushAudit := func() error {
		r, err := dst.ReapplyAudit(ctx, entries)
		out.AuditEntries += r.Entries
		out.Messages += r.Messages
		out.Artifacts += r.Artifact
		out.Attachments += r.Attached
		out.KeysRevoked += r.Keys
		out.HoldsReleased += r.Holds
		entries = entries[:0]
		return err
	}
	err = src.EachAuditEntry(ctx, func(e *convstore.AuditEntry) error {
		switch e.Action {
		case convstore.AuditMessageDelete, convstore.AuditArtifactDelete, convstore.AuditKeyRevoke,
			convstore.AuditAttachmentDelete, convstore.AuditAttachmentReplace, convstore.AuditHoldRelease, convstore.AuditTagDelete:
			if entries = append(entries, e); len(entries) >= 500 {
				return flushAudit()
			}
		}
		return nil
	})
	if err == nil {
		err = flushAudit()
	}
	if err != nil {
		return err
	}
	err = src.EachConversationKeyBatch(ctx, func(keys []*driver.ConversationKey) error {
		n, err := dst.AdoptKeys(ctx, keys)
		out.KeysAdopted += n
		return err
	})
	if err != nil {
		return err
	}
	return dst.WaitBlobRemovals(ctx)
}

// swapIn moves the database at path aside (returning where, "" if there
// was none) and the staged one into its place.
func swapIn(stage, path string) (string, error) {
	replaced := ""
	if _, err := os.Stat(path); err == nil {
		replaced = path + ".replaced-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(path, replaced); err != nil {
			return "", err
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Rename(path+suffix, replaced+suffix)
		}
	}
	if err := os.Rename(stage, path); err != nil {
		return replaced, err
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		os.Remove(stage + suffix)
	}
	return replaced, nil
}

// removeDB removes a database file with its companions, if present.
func removeDB(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func printRestore(w io.Writer, path string, out *restoreJSON) error {
	kv := []string{"restored", path}
	if out.Backup != nil {
		kv = append(kv, "backup", out.Backup.File, "taken_at", fmtTime(time.Unix(out.Backup.TakenAt, 0).UTC()))
	}
	kv = append(kv,
		"receipts_from", orDash(out.ReceiptsFrom),
		"receipts", itoa(out.Receipts),
		"reapplied", itoa(out.Reapplied),
		"deleted_again", itoa(out.Deleted),
		"messages_deleted_again", itoa(out.Messages),
		"artifacts_deleted_again", itoa(out.Artifacts),
		"attachments_deleted_again", itoa(out.Attachments),
		"api_keys_revoked_again", itoa(out.KeysRevoked),
		"holds_released_again", itoa(out.HoldsReleased),
		"keys_adopted", itoa(out.KeysAdopted),
		"blobs_restored", itoa(out.BlobsRestored),
	)
	if out.Replaced != "" {
		kv = append(kv, "replaced", out.Replaced)
	}
	if err := fields(w, kv...); err != nil {
		return err
	}
	if out.Replaced != "" {
		_, err := fmt.Fprintf(w, "The replaced database is kept at %s; remove it once the restore is verified.\n", out.Replaced)
		return err
	}
	return nil
}

// restorePostgres carries source's deletes and keys into the PostgreSQL
// store --db names (restored with pg_restore beforehand).
func restorePostgres(x *call, source string) error {
	if len(x.args) > 0 {
		return usageErrorf(x.fs, "with PostgreSQL, restore the dump with pg_restore first and give no BACKUP argument")
	}
	if source == "" {
		return usageErrorf(x.fs, "with PostgreSQL, --reapply-from names the store whose deletes to re-apply (the database the dump was taken from)")
	}
	if source == x.sf.cfg.DB {
		return usageErrorf(x.fs, "--reapply-from names the store being restored; give the database the dump was taken from")
	}
	logger := slog.New(slog.NewTextHandler(x.env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	out := restoreJSON{ReceiptsFrom: redactDSN(source)}
	src, err := openSource(x, "", source, logger, &out)
	if err != nil {
		return err
	}
	defer src.Close()
	store, err := openStore(x.ctx, x.sf.cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	dst, ok := store.(*service.Service)
	if !ok {
		return errors.New("the store to restore is not a local store")
	}
	if err := carryOver(x.ctx, src, dst, &out); err != nil {
		return err
	}
	return x.print(out, func(w io.Writer) error { return printRestore(w, redactDSN(x.sf.cfg.DB), &out) })
}
