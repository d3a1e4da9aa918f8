package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestRestorePostgres follows the README's PostgreSQL path: pg_dump of
// the schema, a delete after it, pg_restore into a new database, then
// convstore restore --reapply-from the database the dump came from. The
// deleted conversation stays deleted; the other reads back intact.
func TestRestorePostgres(t *testing.T) {
	t.Parallel()
	src := pgtest.URL(t)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	schema := pgtest.NewSchema(t)
	dir := t.TempDir()
	ts := startServerEnv(t, dir, map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey}, "--db", src, "--pg-schema", schema, "--pg-max-conns", "4")
	c := ts.client()
	kept := writeBackupFixture(t, c, "kept-pg-canary", []byte("kept attachment bytes"))
	gone := writeBackupFixture(t, c, "gone-pg-canary", []byte("gone attachment bytes"))

	dump := filepath.Join(t.TempDir(), "convstore.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--schema="+schema, "--file="+dump, src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if _, err := c.DeleteConversation(context.Background(), convstore.ID{}, gone.id, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := ts.m.Close(); err != nil {
		t.Fatal(err)
	}

	dst := newDatabase(t, src)
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	env := map[string]string{"CONVSTORE_DATA": dir}
	stdout, stderr, code := runCLI(t, env, nil, "restore", "--db", dst, "--pg-schema", schema, "--reapply-from", src, "--json")
	if code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	var r restoreJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Receipts != 1 || r.Reapplied != 1 || r.Deleted != 1 || r.KeysAdopted != 1 {
		t.Fatalf("restore: %+v", r)
	}
	ts = startServerEnv(t, dir, map[string]string{}, "--db", dst, "--pg-schema", schema, "--pg-max-conns", "4")
	ts.key = testKey
	c = ts.client()
	if _, err := c.FindConversationByID(context.Background(), convstore.ID{}, gone.id); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("the conversation deleted after the dump is back: %v", err)
	}
	kept.check(t, c)

	if _, stderr, code := runCLI(t, env, nil, "restore", "--db", dst, "--pg-schema", schema); code != 2 {
		t.Fatalf("restore on PostgreSQL without --reapply-from: exit %d: %s", code, stderr)
	}
}

// newDatabase creates an empty database on the server of url, dropped
// when the test ends, and returns its URL.
func newDatabase(t *testing.T, rawURL string) string {
	t.Helper()
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	name := "convstore_restore_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), rawURL)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
