package forensic

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // the "sqlite" driver, as the engine uses
)

// CheckpointSQLite runs PRAGMA wal_checkpoint(mode) on the database at path
// over a connection of its own, as an operator would next to a running
// server. PASSIVE is what SQLite does by itself once the WAL passes
// wal_autocheckpoint pages: it copies the WAL's pages into the database
// file. TRUNCATE also waits for writers and truncates the WAL to zero
// bytes. It returns a note with SQLite's answer, which says whether a
// reader kept it from finishing.
func CheckpointSQLite(ctx context.Context, path, mode string) (string, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return "", err
	}
	defer db.Close()
	var busy, frames, done int
	switch mode {
	case "PASSIVE", "FULL", "RESTART", "TRUNCATE":
	default:
		return "", fmt.Errorf("wal_checkpoint mode %q: use PASSIVE, FULL, RESTART or TRUNCATE", mode)
	}
	pragma := "wal_checkpoint(" + mode + ")"
	if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&busy, &frames, &done); err != nil {
		return "", fmt.Errorf("%s: %w", pragma, err)
	}
	if busy != 0 {
		return fmt.Sprintf("%s was blocked (busy): %d of %d WAL frames copied", pragma, done, frames), nil
	}
	if mode == "TRUNCATE" {
		return pragma + ": every WAL frame copied, WAL truncated", nil
	}
	return fmt.Sprintf("%s: %d of %d WAL frames copied", pragma, done, frames), nil
}
