package forensic

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File classes: what a scanned file is.
const (
	ClassSQLiteDB      = "sqlite-db"      // the SQLite database file
	ClassSQLiteWAL     = "sqlite-wal"     // its write-ahead log (-wal)
	ClassSQLiteSHM     = "sqlite-shm"     // its WAL index (-shm)
	ClassSQLiteJournal = "sqlite-journal" // a rollback journal (-journal)
	ClassBlob          = "blob"           // attachment bytes under the blob directory
	ClassDataOther     = "data-other"     // any other file in the data directory
	ClassServerLog     = "convstore-log"  // what the convstore server logged

	ClassPGHeap      = "pg-heap"      // a table's heap files
	ClassPGTOAST     = "pg-toast"     // a table's TOAST heap
	ClassPGIndex     = "pg-index"     // an index, or the TOAST table's index
	ClassPGStatistic = "pg-statistic" // pg_statistic, where ANALYZE keeps sample values
	ClassPGWAL       = "pg-wal"       // pg_wal segments written during the run
	ClassPGServerLog = "pg-log"       // the PostgreSQL server log, from the run's start
)

// DataDirFiles lists every file under dataDir and the SQLite database
// dbPath with its side files (which may live elsewhere), classified. dbPath
// may be empty (the PostgreSQL engine keeps only attachment bytes, if any,
// in the data directory).
func DataDirFiles(dataDir, blobDir, dbPath string) ([]File, error) {
	seen := map[string]bool{}
	var out []File
	add := func(path, class string) {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if !seen[path] {
			seen[path] = true
			out = append(out, File{Path: path, Class: class})
		}
	}
	if dbPath != "" {
		// The side files exist only at times (the WAL goes at a clean
		// close); list those there are.
		for _, side := range []struct{ suffix, class string }{
			{"", ClassSQLiteDB}, {"-wal", ClassSQLiteWAL}, {"-shm", ClassSQLiteSHM}, {"-journal", ClassSQLiteJournal},
		} {
			if st, err := os.Stat(dbPath + side.suffix); err == nil && st.Mode().IsRegular() {
				add(dbPath+side.suffix, side.class)
			}
		}
	}
	blobAbs, _ := filepath.Abs(blobDir)
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		class := ClassDataOther
		if abs, _ := filepath.Abs(path); blobAbs != "" && strings.HasPrefix(abs, blobAbs+string(filepath.Separator)) {
			class = ClassBlob
		}
		add(path, class) // the database's files are already listed: add keeps their class
		return nil
	})
	return out, err
}
