package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/seal"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

// rawDB opens the env's SQLite file beside the driver, to look at and
// tamper with what is stored.
// dropBlindIndexes makes the store's rows look as they did before
// migration 0007: no blind indexes.
func dropBlindIndexes(t *testing.T, raw *sql.DB) {
	t.Helper()
	for _, q := range []string{`UPDATE conversations SET user_idx = NULL, external_idx = NULL`,
		`UPDATE attachments SET name_idx = NULL`, `DELETE FROM conversation_meta_index`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) rawDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "convstore.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// flip changes the last byte of a stored value.
func flip(t *testing.T, db *sql.DB, table, column string, id convstore.ID) {
	t.Helper()
	var v []byte
	if err := db.QueryRow(`SELECT `+column+` FROM `+table+` WHERE id = ?`, id[:]).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if !seal.IsSealed(v) {
		t.Fatalf("%s.%s is not sealed: %q", table, column, v)
	}
	v[len(v)-1] ^= 1
	if _, err := db.Exec(`UPDATE `+table+` SET `+column+` = ? WHERE id = ?`, v, id[:]); err != nil {
		t.Fatal(err)
	}
}

func wantIntegrity(t *testing.T, what string, err error) {
	t.Helper()
	if convstore.ErrorCode(err) != convstore.EINTEGRITY {
		t.Errorf("%s: %v, want EINTEGRITY", what, err)
	}
	if err != nil && strings.Contains(err.Error(), "canary") {
		t.Errorf("%s: the error shows content: %v", what, err)
	}
}

// Every content column holds sealed bytes, and reads open them.
func TestSealedAtRest(t *testing.T) {
	e := open(t, service.Options{Keyring: servicetest.NewKeyring(t)})
	tn, _ := e.tenant(t)
	conv, msgs := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{
		Title: "canary-title", UserID: "canary-user", ExternalID: "canary-ext", Metadata: convstore.Metadata{"canary-k": "canary-v"},
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "canary-content", AuthorName: "canary-author",
			Metadata: convstore.Metadata{"canary-mk": "canary-mv"}}},
	})
	servicetest.MustPutAttachment(t, e.ctx, e.svc, tn.ID, conv.ID, "canary-name.txt", []byte("canary-bytes"))
	raw := e.rawDB(t)
	for table, cols := range map[string][]string{
		"conversations":        {"title", "user_id", "external_id", "metadata"},
		"messages":             {"content", "author_name", "metadata"},
		"attachments":          {"name"},
		"conversation_authors": {"name"},
	} {
		for _, col := range cols {
			rows, err := raw.Query(`SELECT ` + col + ` FROM ` + table)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v []byte
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				if !seal.IsSealed(v) || bytes.Contains(v, []byte("canary")) {
					t.Errorf("%s.%s holds %q, want sealed bytes", table, col, v)
				}
			}
			rows.Close()
		}
	}
	if as, err := e.svc.FindAuthors(e.ctx, tn.ID, []convstore.ID{conv.ID}); err != nil || len(as[0]) != 1 || as[0][0].Name != "canary-author" {
		t.Errorf("the authors: %v, %v", as, err)
	}
	got, err := e.svc.FindConversationByExternalID(e.ctx, tn.ID, "canary-ext")
	if err != nil || got.Title != "canary-title" || got.UserID != "canary-user" || got.Metadata["canary-k"] != "canary-v" {
		t.Errorf("FindConversationByExternalID = %+v, %v", got, err)
	}
	list, _, err := e.svc.FindConversations(e.ctx, tn.ID, convstore.ConversationFilter{UserID: "canary-user",
		Metadata: convstore.Metadata{"canary-k": "canary-v"}})
	if err != nil || len(list) != 1 || list[0].ID != conv.ID {
		t.Errorf("FindConversations by user id and metadata = %v, %v", list, err)
	}
	if list, _, _ := e.svc.FindConversations(e.ctx, tn.ID, convstore.ConversationFilter{Metadata: convstore.Metadata{"canary-k": "other"}}); len(list) != 0 {
		t.Errorf("a metadata pair that is not stored matches %d conversations", len(list))
	}
	m, err := e.svc.FindMessageByID(e.ctx, tn.ID, convstore.ID{}, msgs[0].ID)
	if err != nil || m.Content != "canary-content" || m.AuthorName != "canary-author" || m.Metadata["canary-mk"] != "canary-mv" {
		t.Errorf("FindMessageByID = %+v, %v", m, err)
	}
	a, body, err := e.svc.OpenAttachment(e.ctx, tn.ID, conv.ID, "canary-name.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(body)
	body.Close()
	if err != nil || string(b) != "canary-bytes" || a.Name != "canary-name.txt" || a.Size != int64(len("canary-bytes")) {
		t.Errorf("OpenAttachment = %+v, %q, %v", a, b, err)
	}
}

// A flipped byte of any sealed value is EINTEGRITY, never content and
// never a panic.
func TestTamperedCiphertext(t *testing.T) {
	e := open(t, service.Options{Keyring: servicetest.NewKeyring(t), KeyCacheTTL: -1})
	tn, _ := e.tenant(t)
	conv, msgs := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{
		Title: "canary-title", Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "canary-content"}}})
	servicetest.MustPutAttachment(t, e.ctx, e.svc, tn.ID, conv.ID, "a.txt", bytes.Repeat([]byte("canary-bytes "), 20000))
	raw := e.rawDB(t)

	flip(t, raw, "messages", "content", msgs[0].ID)
	_, err := e.svc.FindMessageByID(e.ctx, tn.ID, conv.ID, msgs[0].ID)
	wantIntegrity(t, "FindMessageByID", err)
	_, _, err = e.svc.FindMessages(e.ctx, tn.ID, conv.ID, convstore.MessageFilter{})
	wantIntegrity(t, "FindMessages", err)

	flip(t, raw, "conversations", "title", conv.ID)
	_, err = e.svc.FindConversationByID(e.ctx, tn.ID, conv.ID)
	wantIntegrity(t, "FindConversationByID", err)
	_, _, err = e.svc.FindConversations(e.ctx, tn.ID, convstore.ConversationFilter{})
	wantIntegrity(t, "FindConversations", err)

	// The attachment's bytes: a flipped byte in its second segment fails
	// the read there.
	var key string
	if err := raw.QueryRow(`SELECT blob_key FROM attachments`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "blobs", key[0:2], key[2:4], key)
	flipFileByte(t, path, 100000)
	_, body, err := e.svc.OpenAttachment(e.ctx, tn.ID, conv.ID, "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(body)
	body.Close()
	wantIntegrity(t, "reading tampered attachment bytes", err)

	// The wrapped key itself.
	var wrapped []byte
	if err := raw.QueryRow(`SELECT wrapped_key FROM conversation_keys`).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	wrapped[len(wrapped)-1] ^= 1
	if _, err := raw.Exec(`UPDATE conversation_keys SET wrapped_key = ?`, wrapped); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FindConversationByID(e.ctx, tn.ID, conv.ID)
	wantIntegrity(t, "a tampered wrapped key", err)
}

// A store sealed with one keyring refuses another, and no keyring, and
// changes nothing.
func TestWrongKeyring(t *testing.T) {
	dir := t.TempDir()
	first := servicetest.NewKeyring(t)
	e := openIn(t, dir, service.Options{Keyring: first}, nil)
	tn, _ := e.tenant(t)
	servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{Title: "x"})
	e.svc.Close()

	for name, ring := range map[string]*keyring.Keyring{"another keyring": servicetest.NewKeyring(t), "no keyring": nil} {
		drv, err := sqlite.Open(context.Background(), filepath.Join(dir, "convstore.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = service.Open(drv, e.blobs, service.Options{Keyring: ring, Logger: servicetest.Logger(t)})
		if err == nil || !strings.Contains(err.Error(), "sealed with keyring "+first.ID()) {
			t.Errorf("%s: Open = %v, want an error naming the store's keyring", name, err)
		}
		v, err := drv.Reads().StoreMetaGet(context.Background(), driver.MetaKeyringID)
		if err != nil || v != first.ID() {
			t.Errorf("%s: the store's keyring id became %q, %v", name, v, err)
		}
		drv.Close()
	}
	again := openIn(t, dir, service.Options{Keyring: first}, nil)
	if list, _, err := again.svc.FindConversations(again.ctx, tn.ID, convstore.ConversationFilter{}); err != nil || len(list) != 1 || list[0].Title != "x" {
		t.Errorf("with its own keyring: %v, %v", list, err)
	}
}

// Rows written before sealing read as they are; a write to such a
// conversation gives it a data key, and both forms read side by side.
func TestPlaintextRowsStillRead(t *testing.T) {
	dir := t.TempDir()
	plain := openIn(t, dir, service.Options{}, nil)
	tn, _ := plain.tenant(t)
	conv, _ := servicetest.MustCreateConversation(t, plain.ctx, plain.svc, tn.ID, &convstore.ConversationCreate{
		Title: "old title", UserID: "old-user", ExternalID: "old-ext",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "old content"}}})
	servicetest.MustPutAttachment(t, plain.ctx, plain.svc, tn.ID, conv.ID, "old.txt", []byte("old bytes"))
	plain.svc.Close()
	dropBlindIndexes(t, plain.rawDB(t))

	e := openIn(t, dir, service.Options{Keyring: servicetest.NewKeyring(t)}, nil)
	if got, err := e.svc.FindConversationByExternalID(e.ctx, tn.ID, "old-ext"); err != nil || got.Title != "old title" {
		t.Errorf("a plaintext conversation by external id: %+v, %v", got, err)
	}
	if _, err := e.svc.CreateMessages(e.ctx, tn.ID, conv.ID, []*convstore.MessageCreate{{Role: convstore.RoleAssistant, Content: "new content"}}); err != nil {
		t.Fatal(err)
	}
	msgs, _, err := e.svc.FindMessages(e.ctx, tn.ID, conv.ID, convstore.MessageFilter{})
	if err != nil || len(msgs) != 2 || msgs[0].Content != "old content" || msgs[1].Content != "new content" {
		t.Errorf("plaintext and sealed messages side by side: %v, %v", msgs, err)
	}
	_, body, err := e.svc.OpenAttachment(e.ctx, tn.ID, conv.ID, "old.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "old bytes" {
		t.Errorf("plaintext attachment bytes read as %q", b)
	}
	// An external id held in plaintext still conflicts.
	_, _, err = e.svc.CreateConversation(e.ctx, tn.ID, &convstore.ConversationCreate{ExternalID: "old-ext"})
	if convstore.ErrorCode(err) != convstore.ECONFLICT {
		t.Errorf("a second conversation with a plaintext row's external id: %v, want ECONFLICT", err)
	}
}

// flipFileByte changes one byte of a file in place.
func flipFileByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// The sealing upgrade seals every row stored before sealing (attachment
// bytes under a new key, the plaintext ones removed), reads return the
// same values, metadata filters match them, and a second run finds
// nothing to do.
func TestSealUpgrade(t *testing.T) {
	dir := t.TempDir()
	plain := openIn(t, dir, service.Options{}, nil)
	tn, _ := plain.tenant(t)
	conv, msgs := servicetest.MustCreateConversation(t, plain.ctx, plain.svc, tn.ID, &convstore.ConversationCreate{
		Title: "canary-title", UserID: "canary-user", ExternalID: "canary-ext", Metadata: convstore.Metadata{"canary-k": "canary-v"},
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "canary-content", AuthorName: "canary-author",
			Parts: []byte(`{"canary":1}`), Metadata: convstore.Metadata{"canary-mk": "canary-mv"}}}})
	art, err := plain.svc.CreateArtifact(plain.ctx, tn.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary,
		Text: "canary-summary", Data: []byte(`{"canary":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	servicetest.MustPutAttachment(t, plain.ctx, plain.svc, tn.ID, conv.ID, "canary-name.txt", []byte("canary-bytes"))
	plain.svc.Close()
	raw := plain.rawDB(t)
	dropBlindIndexes(t, raw)

	e := openIn(t, dir, service.Options{Keyring: servicetest.NewKeyring(t)}, nil)
	var progress []service.SealUpgradeProgress
	e.svc.ObserveSealUpgrade(func(p service.SealUpgradeProgress) { progress = append(progress, p) })
	p, err := e.svc.SealUpgrade(e.ctx)
	if err != nil || p.Conversations != 1 || p.Sealed != 1 || !p.Done {
		t.Fatalf("SealUpgrade = %+v, %v", p, err)
	}
	if len(progress) == 0 || !progress[len(progress)-1].Done {
		t.Errorf("progress reports: %+v", progress)
	}
	if err := e.svc.WaitBlobRemovals(e.ctx); err != nil {
		t.Fatal(err)
	}
	for table, cols := range map[string][]string{
		"conversations":        {"title", "user_id", "external_id", "metadata"},
		"messages":             {"content", "author_name", "parts", "metadata"},
		"artifacts":            {"text", "data"},
		"attachments":          {"name"},
		"conversation_authors": {"name"},
	} {
		for _, col := range cols {
			var v []byte
			if err := raw.QueryRow(`SELECT ` + col + ` FROM ` + table).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if !seal.IsSealed(v) {
				t.Errorf("%s.%s after the upgrade: %q", table, col, v)
			}
		}
	}
	for _, blob := range servicetest.MustBlobContents(t, e.ctx, e.blobs) {
		if bytes.Contains(blob, []byte("canary")) || !seal.IsSealed(blob) {
			t.Errorf("a blob after the upgrade: %q", blob)
		}
	}
	if as, err := e.svc.FindAuthors(e.ctx, tn.ID, []convstore.ID{conv.ID}); err != nil || len(as[0]) != 1 || as[0][0].Name != "canary-author" {
		t.Errorf("the authors after the upgrade: %v, %v", as, err)
	}
	got, err := e.svc.FindConversationByExternalID(e.ctx, tn.ID, "canary-ext")
	if err != nil || got.Title != "canary-title" || got.UserID != "canary-user" || got.Metadata["canary-k"] != "canary-v" {
		t.Errorf("the conversation after the upgrade: %+v, %v", got, err)
	}
	if list, _, err := e.svc.FindConversations(e.ctx, tn.ID, convstore.ConversationFilter{UserID: "canary-user",
		Metadata: convstore.Metadata{"canary-k": "canary-v"}}); err != nil || len(list) != 1 {
		t.Errorf("filters after the upgrade: %v, %v", list, err)
	}
	m, err := e.svc.FindMessageByID(e.ctx, tn.ID, conv.ID, msgs[0].ID)
	if err != nil || m.Content != "canary-content" || m.AuthorName != "canary-author" || string(m.Parts) != `{"canary":1}` ||
		m.Metadata["canary-mk"] != "canary-mv" {
		t.Errorf("the message after the upgrade: %+v, %v", m, err)
	}
	a, err := e.svc.FindArtifactByID(e.ctx, tn.ID, conv.ID, art.ID)
	if err != nil || a.Text != "canary-summary" || string(a.Data) != `{"canary":2}` {
		t.Errorf("the artifact after the upgrade: %+v, %v", a, err)
	}
	_, body, err := e.svc.OpenAttachment(e.ctx, tn.ID, conv.ID, "canary-name.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "canary-bytes" {
		t.Errorf("attachment bytes after the upgrade: %q", b)
	}
	if p, err := e.svc.SealUpgrade(e.ctx); err != nil || p.Sealed != 0 || p.Conversations != 1 {
		t.Errorf("a second run: %+v, %v; want nothing sealed", p, err)
	}
}
