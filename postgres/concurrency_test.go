package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/migration"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// twoNodes opens two nodes (two services over two pools, as two
// processes would have) on one fresh schema.
func twoNodes(t *testing.T) (*pgtest.Node, *pgtest.Node) {
	t.Helper()
	schema := pgtest.NewSchema(t)
	return pgtest.OpenNode(t, schema, pgtest.NodeOptions{}), pgtest.OpenNode(t, schema, pgtest.NodeOptions{})
}

// TestTwoNodesDeleteVsDelete races deletes of one conversation from two
// nodes: exactly one succeeds, the others get ENOTFOUND, and exactly one
// receipt and audit entry exist.
func TestTwoNodesDeleteVsDelete(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	nodes := []*pgtest.Node{a, b}
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, a)
	const rounds, deleters = 20, 8
	for round := range rounds {
		conv, _, err := a.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Messages: textBatch("m", 3)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "x.bin", Body: bytes.NewReader([]byte("xy"))}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var wins []*convstore.Deletion
		start := make(chan struct{})
		for i := range deleters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				d, err := nodes[i%2].DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"})
				switch {
				case err == nil:
					mu.Lock()
					wins = append(wins, d)
					mu.Unlock()
				case convstore.ErrorCode(err) != convstore.ENOTFOUND:
					t.Errorf("round %d: DeleteConversation: %v, want success or ENOTFOUND", round, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(wins) != 1 {
			t.Fatalf("round %d: %d of %d deletes succeeded, want 1", round, len(wins), deleters)
		}
		if d := wins[0]; d.Messages != 3 || d.Attachments != 1 || d.AttachmentBytes != 2 {
			t.Errorf("round %d: receipt %+v, want 3 messages, 1 attachment of 2 bytes", round, d)
		}
		if n := count(t, a, `SELECT count(*) FROM deletions WHERE conversation_id = $1`, conv.ID[:]); n != 1 {
			t.Errorf("round %d: %d receipts, want 1", round, n)
		}
		if n := count(t, a, `SELECT count(*) FROM audit_log WHERE conversation_id = $1`, conv.ID[:]); n != 1 {
			t.Errorf("round %d: %d audit entries, want 1", round, n)
		}
	}
	for _, node := range nodes { // the bytes go in the background
		if err := node.WaitBlobRemovals(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := blobRows(t, a); got != "blobs=0 chunks=0 removals=0" {
		t.Errorf("blob store after all deletes: %s", got)
	}
}

// TestTwoNodesAppendVsDelete races appends from both nodes against a
// delete, over many rounds: every append either commits before the delete
// (and is counted in its receipt) or fails with ENOTFOUND, and no message
// outlives its conversation.
func TestTwoNodesAppendVsDelete(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	nodes := []*pgtest.Node{a, b}
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, a)
	const rounds, appenders, batches, batchSize, initial = 60, 6, 3, 4, 2
	for round := range rounds {
		conv, _, err := a.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Messages: textBatch("initial", initial)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		appended := 0
		var receipt *convstore.Deletion
		start := make(chan struct{})
		for g := range appenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := range batches {
					_, err := nodes[g%2].CreateMessages(ctx, tenant.ID, conv.ID, textBatch(fmt.Sprintf("g%d b%d", g, i), batchSize))
					switch {
					case err == nil:
						mu.Lock()
						appended += batchSize
						mu.Unlock()
					case convstore.ErrorCode(err) != convstore.ENOTFOUND:
						t.Errorf("round %d: CreateMessages: %v, want success or ENOTFOUND", round, err)
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			time.Sleep(time.Duration(round%5) * 300 * time.Microsecond) // vary who wins
			d, err := nodes[(round+1)%2].DeleteConversation(ctx, tenant.ID, conv.ID, convstore.DeleteParams{Door: "test"})
			if err != nil {
				t.Errorf("round %d: DeleteConversation: %v", round, err)
				return
			}
			receipt = d
		}()
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		t.Logf("round %d: %d of %d messages appended before the delete", round, appended, appenders*batches*batchSize)
		if receipt.Messages != initial+appended {
			t.Errorf("round %d: receipt counts %d messages, want %d initial + %d appended", round, receipt.Messages, initial, appended)
		}
		// The rows go with the purge: afterwards no message is left,
		// none appended after the delete among them.
		if _, err := b.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, b, `SELECT count(*) FROM messages WHERE conversation_id = $1`, conv.ID[:]); n != 0 {
			t.Errorf("round %d: %d orphan messages", round, n)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM messages`); n != 0 {
		t.Errorf("%d messages remain after every conversation was deleted", n)
	}
}

// TestTwoNodesKeyDeletes races deletes of a tenant's two admin keys from
// two nodes: one wins, the other is refused, and the tenant keeps an
// admin key.
func TestTwoNodesKeyDeletes(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	ctx := testCtx(t)
	for round := range 10 {
		tenant, first, err := a.CreateTenant(ctx, fmt.Sprint("keys-", round, "-", convstore.NewID().Base32()), convstore.DeleteParams{Door: "test"})
		if err != nil {
			t.Fatal(err)
		}
		second, err := a.CreateKey(ctx, tenant.ID, &convstore.KeyCreate{Name: "second", Scopes: []convstore.Scope{convstore.ScopeAdmin}}, convstore.DeleteParams{Door: "test"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, node := range []*pgtest.Node{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = node.DeleteKey(ctx, tenant.ID, []convstore.ID{first.ID, second.ID}[i], convstore.DeleteParams{Door: "test"})
			}()
		}
		wg.Wait()
		codes := []string{convstore.ErrorCode(errs[0]), convstore.ErrorCode(errs[1])}
		if !(codes[0] == "" && codes[1] == convstore.ECONFLICT || codes[0] == convstore.ECONFLICT && codes[1] == "") {
			t.Errorf("round %d: concurrent deletes of the last two admin keys: %v, want one success and one ECONFLICT", round, errs)
		}
		keys, err := b.FindKeys(ctx, tenant.ID)
		if err != nil || len(keys) != 1 {
			t.Errorf("round %d: %d keys left (%v), want 1", round, len(keys), err)
		}
	}
}

// TestConcurrentOpen starts several nodes on one empty schema at once: the
// migration lock makes exactly one apply the migrations.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	schema := pgtest.NewSchema(t)
	var wg sync.WaitGroup
	dbs := make([]*postgres.DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = postgres.Open(context.Background(), url, postgres.Options{Schema: schema, Logger: servicetest.Logger(t)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: Open: %v", i, err)
		} else {
			defer dbs[i].Close()
		}
	}
	if t.Failed() {
		return
	}
	files, err := fs.Glob(migration.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v, %v", files, err)
	}
	var n int
	if err := postgres.Pool(dbs[0]).QueryRow(context.Background(), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("goose_db_version records %d applied migrations, want %d (each once)", n, len(files))
	}
	node := pgtest.NodeOver(t, dbs[3], nil, service.Options{})
	if _, _, err := node.CreateTenant(context.Background(), "after-concurrent-open", convstore.DeleteParams{Door: "test"}); err != nil {
		t.Errorf("CreateTenant after concurrent opens: %v", err)
	}
}
