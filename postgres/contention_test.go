package postgres_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// appURL returns the test database's URL with a fresh application_name,
// which tells the store's connections apart in pg_stat_activity.
func appURL(t *testing.T) (string, string) {
	t.Helper()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil || u.Host == "" {
		t.Skipf("%s is not a URL with a host: %v", pgtest.EnvURL, err)
	}
	app := "pgtest_" + convstore.NewID().Base32()
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), app
}

// rawConn opens a connection of its own to schema, outside any store.
func rawConn(t *testing.T, schema string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestRowLockDoesNotStallNode reproduces the scenario: a node with
// two pooled connections, and a transaction elsewhere holding one
// conversation's row lock. Several writes to that conversation queue on
// the lock; unrelated reads and appends on the node are still served, the
// readiness ping stays healthy, and the writes to the locked conversation
// fail with ETIMEOUT once the lock timeout has passed.
func TestRowLockDoesNotStallNode(t *testing.T) {
	t.Parallel()
	const lockTimeout = 4 * time.Second
	dsn, app := appURL(t)
	schema := pgtest.NewSchema(t)
	db := pgtest.OpenNode(t, schema, pgtest.NodeOptions{URL: dsn, Driver: postgres.Options{
		MaxConns: 2, LockTimeout: lockTimeout, AcquireTimeout: time.Second,
	}})
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	locked, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Messages: textBatch("m", 2)})
	if err != nil {
		t.Fatal(err)
	}

	holder := rawConn(t, schema)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE`, locked.ID[:]).Scan(&one); err != nil {
		t.Fatal(err)
	}

	const writers = 3 // more than the pool has connections
	results := make(chan error, writers)
	for range writers {
		go func() {
			_, err := db.CreateMessages(ctx, tenant.ID, locked.ID, textBatch("blocked", 1))
			results <- err
		}()
	}
	// Wait until one of the node's connections waits on the row lock.
	monitor := rawConn(t, schema)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := monitor.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no write of the node waits on the row lock")
		}
	}

	if _, err := db.FindConversationByID(ctx, tenant.ID, other.ID); err != nil {
		t.Errorf("an unrelated read while a row is locked: %v", err)
	}
	if _, _, err := db.FindMessages(ctx, tenant.ID, other.ID, convstore.MessageFilter{}); err != nil {
		t.Errorf("an unrelated list while a row is locked: %v", err)
	}
	if _, err := db.CreateMessages(ctx, tenant.ID, other.ID, textBatch("free", 1)); err != nil {
		t.Errorf("an unrelated append while a row is locked: %v", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping while a row is locked: %v", err)
	}
	select {
	case err := <-results:
		t.Fatalf("a write to the locked conversation returned before the lock timeout (%v): the test checked nothing", err)
	default:
	}

	for range writers {
		if err := <-results; convstore.ErrorCode(err) != convstore.ETIMEOUT {
			t.Errorf("a write to the locked conversation: %v, want ETIMEOUT", err)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateMessages(ctx, tenant.ID, locked.ID, textBatch("after", 1)); err != nil {
		t.Errorf("a write once the lock is released: %v", err)
	}
}

// TestPingDoesNotQueueBehindPool: with every pooled connection taken, the
// readiness ping still answers, and ordinary calls fail with ETIMEOUT
// after the acquire timeout instead of waiting for their caller's
// deadline.
func TestPingDoesNotQueueBehindPool(t *testing.T) {
	t.Parallel()
	db := pgtest.OpenNode(t, pgtest.NewSchema(t), pgtest.NodeOptions{Driver: postgres.Options{MaxConns: 2, AcquireTimeout: 200 * time.Millisecond}})
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	for range 2 {
		c, err := postgres.Pool(db.DB).Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Ping(short); err != nil {
		t.Errorf("Ping with the pool exhausted: %v", err)
	}
	if _, _, err := db.FindConversations(short, tenant.ID, convstore.ConversationFilter{}); convstore.ErrorCode(err) != convstore.ETIMEOUT {
		t.Errorf("a read with the pool exhausted: %v, want ETIMEOUT", err)
	}
	if _, _, err := db.CreateConversation(short, tenant.ID, &convstore.ConversationCreate{}); convstore.ErrorCode(err) != convstore.ETIMEOUT {
		t.Errorf("a write with the pool exhausted: %v, want ETIMEOUT", err)
	}
}
