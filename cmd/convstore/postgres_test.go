package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/postgres/pgtest"
)

// These tests run the server on PostgreSQL. They are skipped unless
// CONVSTORE_TEST_POSTGRES_URL names a test database, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable; each test
// works in a schema of its own (--pg-schema), dropped when it ends.

// startPGServer starts a server on the test database in schema, with the
// bootstrap key and extra flags.
// pgKeyrings holds the keyring path of each schema's nodes.
var pgKeyrings sync.Map

func startPGServer(t *testing.T, schema string, extraArgs ...string) *testServer {
	t.Helper()
	// The nodes of one database share one keyring file, as the README
	// says they must.
	ring, _ := pgKeyrings.LoadOrStore(schema, filepath.Join(t.TempDir(), "keyring"))
	args := append([]string{"--db", pgtest.URL(t), "--pg-schema", schema, "--pg-max-conns", "8", "--keyring", ring.(string)}, extraArgs...)
	return startServerEnv(t, t.TempDir(), map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey}, args...)
}

// TestPostgresCLIDemo runs a conversation's life through the CLI against a
// server on PostgreSQL: create with messages, attach audio, delete, then
// the receipt and 404s. Attachment bytes live in the database (the auto
// blob store), so no blob directory appears.
func TestPostgresCLIDemo(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	ts := startPGServer(t, schema)

	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create", "--title", "Billing call", "--agent-id", "agent-7",
		"--message", "user:Hello, my invoice is wrong", "--message", "assistant:Let me check that for you")
	if !strings.HasPrefix(conv.ID, "conv_") || conv.MessageCount != 2 {
		t.Fatalf("created %+v", conv)
	}
	id := conv.ID
	ts.mustCLI(t, "messages", "add", id, "--message", "user:Thanks")
	var msgs api.List[api.Message]
	ts.mustJSON(t, &msgs, "messages", "list", id)
	if len(msgs.Data) != 3 || msgs.Data[0].Content != "Hello, my invoice is wrong" {
		t.Fatalf("messages %+v", msgs)
	}

	audio := wavBytes(3000)
	sum := sha256.Sum256(audio)
	src := filepath.Join(t.TempDir(), "call.wav")
	if err := os.WriteFile(src, audio, 0o600); err != nil {
		t.Fatal(err)
	}
	var att api.Attachment
	ts.mustJSON(t, &att, "attachments", "put", id, "call.wav", src, "--content-type", "audio/wav")
	if att.Size != int64(len(audio)) || att.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("attachment %+v", att)
	}
	if out := ts.mustCLI(t, "attachments", "get", id, "call.wav"); out != string(audio) {
		t.Fatalf("attachment on stdout has %d bytes, want %d", len(out), len(audio))
	}
	if _, err := os.Stat(filepath.Join(ts.dir, blobDir)); !os.IsNotExist(err) {
		t.Fatalf("blob directory with the built-in PostgreSQL blob store: %v", err)
	}

	out := ts.mustCLI(t, "conversations", "delete", id)
	wantContains(t, "delete", out, "deleted "+id, "receipt:", "del_", "messages:", "3",
		"attachments:", "1", "attachment_bytes:", "6044")
	for _, args := range [][]string{
		{"conversations", "get", id},
		{"messages", "list", id},
		{"attachments", "get", id, "call.wav"},
		{"conversations", "delete", id},
	} {
		_, stderr, code := ts.cli(t, args...)
		if code != 1 {
			t.Fatalf("%v after delete: exit %d, want 1", args, code)
		}
		wantContains(t, strings.Join(args, " ")+" stderr", stderr, "not found", "code: not_found", "status: 404")
	}
	var dels api.List[api.Deletion]
	ts.mustJSON(t, &dels, "deletions", "list")
	if len(dels.Data) != 1 || dels.Data[0].ConversationID != id || dels.Data[0].Messages != 3 || dels.Data[0].Attachments != 1 {
		t.Fatalf("deletions %+v", dels)
	}
}

// TestPostgresBlobStoreFS keeps attachment bytes in the data directory
// while the records live in PostgreSQL.
func TestPostgresBlobStoreFS(t *testing.T) {
	t.Parallel()
	ts := startPGServer(t, pgtest.NewSchema(t), "--blob-store", "fs")
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create")
	if _, stderr, code := ts.cliWith(t, ts.key, strings.NewReader("hello"), "attachments", "put", conv.ID, "notes.txt", "-"); code != 0 {
		t.Fatalf("attachments put: exit %d: %s", code, stderr)
	}
	if out := ts.mustCLI(t, "attachments", "get", conv.ID, "notes.txt"); out != "hello" {
		t.Fatalf("attachment %q", out)
	}
	if _, err := os.Stat(filepath.Join(ts.dir, blobDir)); err != nil {
		t.Fatalf("--blob-store fs: %v", err)
	}
}

// TestPostgresTenantsOffline runs tenants create and list on PostgreSQL.
func TestPostgresTenantsOffline(t *testing.T) {
	t.Parallel()
	url, schema := pgtest.URL(t), pgtest.NewSchema(t)
	// The keyring lives in the data directory: a temporary one, not the
	// package's directory (a keyring file must never be committed).
	data := t.TempDir()
	environ := map[string]string{"CONVSTORE_DB": url, "CONVSTORE_PG_SCHEMA": schema, "CONVSTORE_DATA": data}
	stdout, stderr, code := runCLI(t, environ, nil, "tenants", "create", "acme")
	if code != 0 {
		t.Fatalf("tenants create: exit %d: %s", code, stderr)
	}
	wantContains(t, "tenants create", stdout, "tenant", "ten_", "admin key", "csk_")
	stdout, stderr, code = runCLI(t, nil, nil, "tenants", "list", "--db", url, "--pg-schema", schema, "--data", data)
	if code != 0 {
		t.Fatalf("tenants list: exit %d: %s", code, stderr)
	}
	wantContains(t, "tenants list", stdout, "acme")
}

// TestPostgresTwoNodes runs two servers on one database and schema, as two
// stateless nodes behind a load balancer.
func TestPostgresTwoNodes(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	a := startPGServer(t, schema)
	b := startPGServer(t, schema)
	ca, cb := a.client(), b.client()
	ctx := context.Background()

	newConv := func(t *testing.T, n int) *convstore.Conversation {
		t.Helper()
		in := &convstore.ConversationCreate{Title: "shared"}
		for i := range n {
			in.Messages = append(in.Messages, &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprintf("m%d", i)})
		}
		conv, _, err := ca.CreateConversation(ctx, convstore.ID{}, in)
		if err != nil {
			t.Fatal(err)
		}
		return conv
	}

	t.Run("visible", func(t *testing.T) {
		conv := newConv(t, 2)
		got, err := cb.FindConversationByID(ctx, convstore.ID{}, conv.ID)
		if err != nil || got.MessageCount != 2 || got.Title != "shared" {
			t.Fatalf("node B: %v %+v", err, got)
		}
		msgs, _, err := cb.FindMessages(ctx, convstore.ID{}, conv.ID, convstore.MessageFilter{})
		if err != nil || len(msgs) != 2 {
			t.Fatalf("node B messages: %v %d", err, len(msgs))
		}
	})

	t.Run("concurrent deletes", func(t *testing.T) {
		const rounds, perNode = 10, 4
		for round := range rounds {
			conv := newConv(t, 3)
			var ok, notFound atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, 2*perNode)
			start := make(chan struct{})
			for _, c := range []*testServer{a, b} {
				cl := c.client()
				for range perNode {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						del, err := cl.DeleteConversation(ctx, convstore.ID{}, conv.ID, convstore.DeleteParams{})
						switch {
						case err == nil && del.Messages == 3:
							ok.Add(1)
						case convstore.ErrorCode(err) == convstore.ENOTFOUND:
							notFound.Add(1)
						default:
							errs <- fmt.Errorf("delete: %v (%+v)", err, del)
						}
					}()
				}
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("round %d: %v", round, err)
			}
			if ok.Load() != 1 || notFound.Load() != 2*perNode-1 {
				t.Fatalf("round %d: %d deletes succeeded and %d found nothing; want 1 and %d", round, ok.Load(), notFound.Load(), 2*perNode-1)
			}
			dels, _, err := cb.FindDeletions(ctx, convstore.ID{}, convstore.DeletionFilter{ConversationID: conv.ID})
			if err != nil || len(dels) != 1 {
				t.Fatalf("round %d: receipts %v %d, want 1", round, err, len(dels))
			}
		}
	})

	t.Run("appends vs delete", func(t *testing.T) {
		const initial, writers = 2, 4
		conv := newConv(t, initial)
		var appended atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					_, err := ca.CreateMessages(ctx, convstore.ID{}, conv.ID, []*convstore.MessageCreate{{Role: convstore.RoleAssistant, Content: fmt.Sprintf("w%d-%d", w, i)}})
					switch {
					case err == nil:
						appended.Add(1)
					case convstore.ErrorCode(err) == convstore.ENOTFOUND:
						return
					default:
						errs <- fmt.Errorf("append: %v", err)
						return
					}
				}
			}()
		}
		waitFor(t, "a few appends", func() bool { return appended.Load() >= 2*writers })
		del, err := cb.DeleteConversation(ctx, convstore.ID{}, conv.ID, convstore.DeleteParams{})
		if err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if want := initial + int(appended.Load()); del.Messages != want {
			t.Fatalf("receipt counts %d messages; %d initial + %d appended = %d", del.Messages, initial, appended.Load(), want)
		}
		for _, c := range []convstore.MessageService{ca, cb} {
			if _, _, err := c.FindMessages(ctx, convstore.ID{}, conv.ID, convstore.MessageFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
				t.Fatalf("messages after delete: %v, want not found", err)
			}
		}
		dels, _, err := ca.FindDeletions(ctx, convstore.ID{}, convstore.DeletionFilter{ConversationID: conv.ID})
		if err != nil || len(dels) != 1 || dels[0].Messages != del.Messages {
			t.Fatalf("receipts %v %+v", err, dels)
		}
	})
}

// TestPostgresTwoNodesAttachment checks that bytes uploaded through one
// node download through the other (the built-in blob store is shared).
func TestPostgresTwoNodesAttachment(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	a := startPGServer(t, schema)
	b := startPGServer(t, schema)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conv, _, err := a.client().CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	audio := wavBytes(2000)
	if _, err := a.client().PutAttachment(ctx, convstore.ID{}, conv.ID, &convstore.AttachmentPut{Name: "call.wav", ContentType: "audio/wav", Body: bytes.NewReader(audio)}); err != nil {
		t.Fatal(err)
	}
	_, rc, err := b.client().OpenAttachment(ctx, convstore.ID{}, conv.ID, "call.wav")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), audio) {
		t.Fatalf("download through node B: %v, %d bytes, want %d", err, got.Len(), len(audio))
	}
}
