package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/sqlite"
)

// killStore is the store of a kill test's server processes: their flags,
// and what a conversation left behind, read once they are stopped.
type killStore struct {
	args []string
	// rows counts a conversation's rows in every table that holds them.
	rows func(t *testing.T, id convstore.ID) map[string]int
	// blobs counts the stored attachment bodies (files or rows) and the
	// purge jobs left.
	blobs, purgeJobs func(t *testing.T) int
}

// jobFlags make jobs of a killed process resumable within seconds, and
// purges long enough (few rows a batch) to be killed in their middle.
var jobFlags = []string{"--job-lease", "2s", "--sweep-interval", "200ms", "--purge-interval", "200ms",
	"--purge-batch", "4", "--retention-interval", "0", "--rate-limit", "off", "--ip-rate-limit", "off"}

// sqliteKillStore is a SQLite store in dir, with attachment bytes in files.
func sqliteKillStore(t *testing.T, dir string) *killStore {
	args := append([]string{"--data", dir}, jobFlags...)
	var db *sqlite.DB
	open := func(t *testing.T) *sqlite.DB {
		if db == nil {
			m := NewMain()
			if err := m.ParseFlags(args, nil); err != nil {
				t.Fatal(err)
			}
			path, err := m.Config.SQLitePath()
			if err != nil {
				t.Fatal(err)
			}
			if db, err = sqlite.Open(context.Background(), path, sqlite.Options{}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}
		return db
	}
	return &killStore{
		args: args,
		rows: func(t *testing.T, id convstore.ID) map[string]int {
			rows, err := open(t).ConversationRows(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		},
		blobs: func(t *testing.T) int { return len(blobFiles(t, filepath.Join(dir, blobDir))) },
		purgeJobs: func(t *testing.T) int {
			counts, err := open(t).Reads().PurgeJobCount(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return int(counts)
		},
	}
}

// postgresKillStore is a schema of the test database, with attachment
// bytes in its tables; it skips the test without one.
func postgresKillStore(t *testing.T, dir string) *killStore {
	schema := pgtest.NewSchema(t)
	args := append([]string{"--data", dir, "--db", pgtest.URL(t), "--pg-schema", schema, "--pg-max-conns", "4",
		"--keyring", filepath.Join(dir, "keyring")}, jobFlags...)
	tables := pgtest.NewTables(t, schema)
	count := func(t *testing.T, q string) int {
		n, err := tables.Count(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return &killStore{
		args: args,
		rows: func(t *testing.T, id convstore.ID) map[string]int {
			rows, err := tables.ConversationRows(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		},
		blobs:     func(t *testing.T) int { return count(t, `SELECT count(*) FROM blobs`) },
		purgeJobs: func(t *testing.T) int { return count(t, `SELECT count(*) FROM purge_jobs`) },
	}
}

func TestKillErasureJobSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillErasureJob(t, dir, sqliteKillStore(t, dir))
}

func TestKillErasureJobPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillErasureJob(t, dir, postgresKillStore(t, dir))
}

// killConv is a conversation of a kill test and the attachment it has.
type killConv struct {
	id   convstore.ID
	body []byte // nil: none
}

// createKillConvs creates n conversations of user, three messages each,
// every fifth with an attachment.
func createKillConvs(t *testing.T, c *client.Client, user string, n int) []killConv {
	t.Helper()
	ctx := context.Background()
	out := make([]killConv, n)
	for i := range out {
		conv, _, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{UserID: user,
			Title: fmt.Sprintf("%s %d", user, i), Messages: []*convstore.MessageCreate{
				{Role: convstore.RoleUser, Content: "hello " + user},
				{Role: convstore.RoleAssistant, Content: "hi"},
				{Role: convstore.RoleUser, Content: fmt.Sprintf("message %d", i)},
			}})
		if err != nil {
			t.Fatal(err)
		}
		out[i].id = conv.ID
		if i%5 == 0 {
			out[i].body = bytes.Repeat([]byte(fmt.Sprintf("%s-%d ", user, i)), 200)
			if _, err := c.PutAttachment(ctx, convstore.ID{}, conv.ID, &convstore.AttachmentPut{Name: "call.wav",
				ContentType: "audio/wav", Body: bytes.NewReader(out[i].body)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// checkKept fails unless each conversation is whole: its messages and
// its attachment's bytes.
func checkKept(t *testing.T, c *client.Client, convs []killConv, what string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range convs {
		conv, err := c.FindConversationByID(ctx, convstore.ID{}, k.id)
		if err != nil || conv.MessageCount != 3 {
			t.Errorf("%s conversation %v: %+v, %v; want it whole", what, k.id, conv, err)
			continue
		}
		if k.body == nil {
			continue
		}
		_, rc, err := c.OpenAttachment(ctx, convstore.ID{}, k.id, "call.wav")
		if err != nil {
			t.Errorf("%s conversation's attachment: %v", what, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, k.body) {
			t.Errorf("%s conversation's attachment: %d bytes, %v", what, len(got), err)
		}
	}
}

// allDeletions returns every receipt f selects, page by page.
func allDeletions(t *testing.T, c *client.Client, f convstore.DeletionFilter) []*convstore.Deletion {
	f.Limit = convstore.MaxPageLimit
	return allPages(t, func(after convstore.ID) ([]*convstore.Deletion, bool, error) {
		f.After = after
		return c.FindDeletions(context.Background(), convstore.ID{}, f)
	}, func(d *convstore.Deletion) convstore.ID { return d.ID })
}

// allAudit returns the tenant's whole audit log.
func allAudit(t *testing.T, c *client.Client) []*convstore.AuditEntry {
	f := convstore.AuditFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit}}
	return allPages(t, func(after convstore.ID) ([]*convstore.AuditEntry, bool, error) {
		f.After = after
		return c.FindAuditEntries(context.Background(), convstore.ID{}, f)
	}, func(e *convstore.AuditEntry) convstore.ID { return e.ID })
}

// allPages reads every page of a cursor-paged list: page(after) is one
// page and whether more follow; id is an item's cursor.
func allPages[T any](t *testing.T, page func(after convstore.ID) ([]T, bool, error), id func(T) convstore.ID) []T {
	t.Helper()
	var out []T
	var after convstore.ID
	for {
		items, more, err := page(after)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, items...)
		if !more || len(items) == 0 {
			return out
		}
		after = id(items[len(items)-1])
	}
}

// testKillErasureJob runs an erasure job over 250 conversations in a
// server process that is killed with SIGKILL three times while the job
// (and the purges of what it deleted) run, and started again each time.
// The job must finish after the restarts with counts that match its
// receipts and its totals exactly: one receipt and one delete entry per
// conversation, none twice, the job's finish entry once, every receipt
// purged, no row or attachment body of an erased conversation left, and
// the conversations of another user and those created after the job's
// snapshot untouched.
func testKillErasureJob(t *testing.T, dir string, st *killStore) {
	ctx := context.Background()
	clockFile := filepath.Join(dir, "clock")
	p := startProc(t, clockFile, st.args...)
	c := p.client()
	const n = 250
	erased := createKillConvs(t, c, "erase-me", n)
	others := createKillConvs(t, c, "keep-me", 10)
	job, err := c.CreateErasure(ctx, convstore.ID{}, &convstore.ErasureCreate{
		Selector: convstore.ErasureSelector{UserID: "erase-me"}}, convstore.DeleteParams{})
	if err != nil {
		t.Fatal(err)
	}
	if job.Total.Conversations != n || job.Total.Messages != 3*n || job.Total.Attachments != n/5 {
		t.Fatalf("job totals %+v; want %d conversations, %d messages, %d attachments", job.Total, n, 3*n, n/5)
	}
	// Created after the snapshot while the job runs: never erased.
	later := createKillConvs(t, c, "erase-me", 5)

	kills := 0
	for _, at := range []int{40, 110, 180} {
		var last *convstore.Erasure
		c := p.client()
		waitUntil(t, 2*time.Minute, fmt.Sprintf("the job to erase %d conversations", at), func() bool {
			e, err := c.FindErasureByID(ctx, convstore.ID{}, job.ID)
			if err == nil {
				last = e
			}
			return err == nil && (e.State.Final() || e.Done.Conversations >= at)
		})
		p.kill(t)
		if last.State.Final() {
			break
		}
		kills++
		t.Logf("killed with %d of %d conversations erased", last.Done.Conversations, n)
		p = startProc(t, clockFile, st.args...)
	}
	if kills < 2 {
		t.Fatalf("only %d kills landed in the middle of the job: the test proves nothing", kills)
	}
	if p.cmd.ProcessState != nil {
		p = startProc(t, clockFile, st.args...)
	}
	c = p.client()
	var got *convstore.Erasure
	waitUntil(t, 2*time.Minute, "the job to finish after the restarts", func() bool {
		e, err := c.FindErasureByID(ctx, convstore.ID{}, job.ID)
		got = e
		return err == nil && e.State.Final()
	})
	if got.State != convstore.ErasureSucceeded || got.Done != got.Total || got.Total != job.Total || got.Held != 0 || got.Error != "" {
		t.Fatalf("job after the kills: %+v; want succeeded with done = total = %+v", got, job.Total)
	}
	var receipts []*convstore.Deletion
	waitUntil(t, 2*time.Minute, "every receipt to be purged", func() bool {
		receipts = allDeletions(t, c, convstore.DeletionFilter{ErasureID: job.ID})
		for _, d := range receipts {
			if d.PurgedAt == nil {
				return false
			}
		}
		return true
	})
	want := map[convstore.ID]bool{}
	for _, k := range erased {
		want[k.id] = true
	}
	var sum convstore.ErasureCounts
	seen := map[convstore.ID]int{}
	for _, d := range receipts {
		seen[d.ConversationID]++
		sum.Add(convstore.ErasureCounts{Conversations: 1, Messages: d.Messages, Artifacts: d.Artifacts,
			Attachments: d.Attachments, Bytes: d.AttachmentBytes})
		if !want[d.ConversationID] {
			t.Errorf("a receipt of the job for conversation %v, which it must not erase", d.ConversationID)
		}
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("conversation %v has %d receipts of the job, want 1", id, k)
		}
	}
	if len(receipts) != n || len(seen) != n || sum != got.Done {
		t.Errorf("%d receipts for %d conversations summing to %+v; want %d, each once, summing to the job's %+v",
			len(receipts), len(seen), sum, n, got.Done)
	}
	if all := allDeletions(t, c, convstore.DeletionFilter{}); len(all) != n {
		t.Errorf("%d receipts in all, want the job's %d", len(all), n)
	}
	deletes, finishes := map[convstore.ID]int{}, 0
	for _, e := range allAudit(t, c) {
		switch {
		case e.Action == convstore.AuditConversationDelete:
			deletes[e.ConversationID]++
		case e.Action == convstore.AuditErasureFinish && e.TargetID == job.ID:
			finishes++
		}
	}
	if finishes != 1 {
		t.Errorf("%d erasure.finish entries for the job, want 1", finishes)
	}
	for id := range want {
		if deletes[id] != 1 {
			t.Errorf("conversation %v has %d delete entries, want 1", id, deletes[id])
		}
	}
	if len(deletes) != n {
		t.Errorf("delete entries for %d conversations, want %d", len(deletes), n)
	}
	checkKept(t, c, others, "another user's")
	checkKept(t, c, later, "a post-snapshot")
	// Only the kept conversations' attachments remain (two of the first
	// ten and one of the later five), once the queued removals ran.
	waitUntil(t, time.Minute, "the erased attachments' bodies to be removed", func() bool { return st.blobs(t) == 3 })
	p.stop(t)

	for _, k := range erased {
		for table, rows := range st.rows(t, k.id) {
			if rows != 0 {
				t.Errorf("erased conversation %v: %d rows left in %s", k.id, rows, table)
			}
		}
	}
	if n := st.purgeJobs(t); n != 0 {
		t.Errorf("%d purge jobs left", n)
	}
}

// TestKilledJobAcrossKeyRotation kills a server in the middle of an
// erasure job, rotates the keys offline with no retention (`convstore keys
// rotate --key-retention 0s`), which destroys the epoch the job was
// created under, and starts the server again: GET /v1/erasures/{id} still
// answers, and the job resumes and succeeds over every conversation.
func TestKilledJobAcrossKeyRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := sqliteKillStore(t, dir)
	ctx := context.Background()
	clockFile := filepath.Join(dir, "clock")
	p := startProc(t, clockFile, st.args...)
	c := p.client()
	const n = 150
	createKillConvs(t, c, "erase-me", n)
	job, err := c.CreateErasure(ctx, convstore.ID{}, &convstore.ErasureCreate{
		Selector: convstore.ErasureSelector{UserID: "erase-me"}}, convstore.DeleteParams{})
	if err != nil {
		t.Fatal(err)
	}
	var last *convstore.Erasure
	waitUntil(t, 2*time.Minute, "the job to start", func() bool {
		e, err := c.FindErasureByID(ctx, convstore.ID{}, job.ID)
		last = e
		return err == nil && (e.State.Final() || e.Done.Conversations >= 20)
	})
	p.kill(t)
	if last.State.Final() {
		t.Fatalf("the job finished before the kill: %+v", last)
	}
	env := map[string]string{"CONVSTORE_DATA": dir}
	destroyed := 0
	for range 2 {
		var rot rotationJSON
		stdout, stderr, code := runCLI(t, env, nil, "keys", "rotate", "--key-retention", "0s", "--json")
		if code != 0 {
			t.Fatalf("keys rotate: exit %d: %s", code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &rot); err != nil {
			t.Fatal(err)
		}
		destroyed += len(rot.DestroyedEpochs)
	}
	if destroyed == 0 {
		t.Fatal("the rotations destroyed no epoch")
	}
	p = startProc(t, clockFile, st.args...)
	c = p.client()
	if _, err := c.FindErasureByID(ctx, convstore.ID{}, job.ID); err != nil {
		t.Fatalf("GET of the job after its epoch was destroyed: %v", err)
	}
	var got *convstore.Erasure
	waitUntil(t, 2*time.Minute, "the job to finish", func() bool {
		e, err := c.FindErasureByID(ctx, convstore.ID{}, job.ID)
		got = e
		return err == nil && e.State.Final()
	})
	if got.State != convstore.ErasureSucceeded || got.Done != got.Total || got.Total.Conversations != n {
		t.Fatalf("job after the rotations: %+v; want succeeded over all %d conversations", got, n)
	}
}
