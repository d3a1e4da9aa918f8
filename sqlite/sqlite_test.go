package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/driver/drivertest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

func TestService(t *testing.T) {
	servicetest.Run(t, servicetest.ServiceHarness(newDatabase))
}

func TestPurge(t *testing.T) {
	servicetest.RunPurge(t, newDatabase)
}

func TestConfirmations(t *testing.T) {
	servicetest.RunConfirmations(t, newDatabase)
}

func TestEvents(t *testing.T) {
	servicetest.RunEvents(t, newDatabase)
}

func TestEndUsers(t *testing.T) {
	servicetest.RunEndUsers(t, newDatabase)
}

func TestTags(t *testing.T) {
	servicetest.RunTags(t, newDatabase)
}

func TestDriver(t *testing.T) {
	drivertest.Run(t, func(tb testing.TB) *drivertest.Harness {
		db := newDatabase(tb)
		return &drivertest.Harness{Driver: db.Open(tb), RowCounts: db.RowCounts, SingleWriter: true, Close: true}
	})
}

// newDatabase creates a database file and a blob directory in a
// temporary directory.
func newDatabase(tb testing.TB) *servicetest.Database {
	return databaseIn(tb, tb.TempDir(), nil)
}

// databaseIn is the database at dir/db/convstore.db with blobs under
// dir/blobs, or in the given blob store.
func databaseIn(tb testing.TB, dir string, blobs convstore.BlobStore) *servicetest.Database {
	tb.Helper()
	if blobs == nil {
		fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
		if err != nil {
			tb.Fatal(err)
		}
		blobs = fs
	}
	path := filepath.Join(dir, "db", "convstore.db")
	// A reader of its own, for the counts: the drivers under test may be
	// closed before the suite counts.
	var counter *DB
	count := func(tb testing.TB) *DB {
		if counter == nil {
			counter = openDriver(tb, path)
		}
		return counter
	}
	return &servicetest.Database{
		Open:  func(tb testing.TB) driver.Driver { return openDriver(tb, path) },
		Blobs: blobs,
		RowCounts: func(ctx context.Context) (map[string]int, error) {
			return count(tb).RowCounts(ctx)
		},
		ConversationRows: func(ctx context.Context, id convstore.ID) (map[string]int, error) {
			return count(tb).ConversationRows(ctx, id)
		},
	}
}

// openDriver opens the driver at path, closed at the end of the test (a
// service over it closes it earlier; closing twice is harmless).
func openDriver(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path, Options{Logger: servicetest.Logger(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// openTest opens a service over a fresh driver at dir/db/convstore.db
// with blobs under dir/blobs (or the given blob store), closed at the end
// of the test, and returns it with its driver and the file blob store.
func openTest(tb testing.TB, dir string, blobs convstore.BlobStore) (*service.Service, *DB, *blob.FS) {
	tb.Helper()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	if blobs == nil {
		blobs = fs
	}
	db := openDriver(tb, filepath.Join(dir, "db", "convstore.db"))
	svc := service.New(db, blobs, service.Options{Logger: servicetest.Logger(tb), SweepOrphansAtStart: true})
	tb.Cleanup(func() { svc.Close() })
	return svc, db, fs
}
