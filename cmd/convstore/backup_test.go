package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

// backupFixture is a conversation written before a backup, with what it
// must read back as.
type backupFixture struct {
	id       convstore.ID
	title    string
	messages []string
	blob     []byte // attachment "a.bin", if any
}

func writeBackupFixture(t *testing.T, c *client.Client, title string, blob []byte) *backupFixture {
	t.Helper()
	ctx := context.Background()
	f := &backupFixture{title: title, messages: []string{title + " one", title + " two"}, blob: blob}
	in := &convstore.ConversationCreate{Title: title, UserID: "user-" + title}
	for _, m := range f.messages {
		in.Messages = append(in.Messages, &convstore.MessageCreate{Role: convstore.RoleUser, Content: m})
	}
	conv, _, err := c.CreateConversation(ctx, convstore.ID{}, in)
	if err != nil {
		t.Fatal(err)
	}
	f.id = conv.ID
	if blob != nil {
		if _, err := c.PutAttachment(ctx, convstore.ID{}, conv.ID, &convstore.AttachmentPut{Name: "a.bin", Body: bytes.NewReader(blob)}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// check fails unless the conversation reads back intact.
func (f *backupFixture) check(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := context.Background()
	conv, err := c.FindConversationByID(ctx, convstore.ID{}, f.id)
	if err != nil {
		t.Fatalf("conversation %q after restore: %v", f.title, err)
	}
	if conv.Title != f.title || conv.UserID != "user-"+f.title {
		t.Errorf("conversation %q reads back as title %q, user %q", f.title, conv.Title, conv.UserID)
	}
	msgs, _, err := c.FindMessages(ctx, convstore.ID{}, f.id, convstore.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Content)
	}
	if strings.Join(got, "|") != strings.Join(f.messages, "|") {
		t.Errorf("conversation %q messages %q, want %q", f.title, got, f.messages)
	}
	if f.blob != nil {
		_, r, err := c.OpenAttachment(ctx, convstore.ID{}, f.id, "a.bin")
		if err != nil {
			t.Fatalf("attachment of %q after restore: %v", f.title, err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(b, f.blob) {
			t.Errorf("attachment of %q reads back %d bytes (%v), want %d", f.title, len(b), err, len(f.blob))
		}
	}
}

// TestBackupRestore takes a backup while the server runs, deletes a
// conversation, rotates key epochs past the retention (the epoch that
// wrapped the backup's data keys is destroyed), and restores the backup:
// the deleted conversation stays deleted (with its receipt, now shredded,
// and without its attachment bytes), every other one reads back intact
// (under the live database's re-wrapped keys), and a restore over a
// running server is refused.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startServerEnv(t, dir, map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})
	c := ts.client()
	kept := writeBackupFixture(t, c, "kept-canary-7qv2m", bytes.Repeat([]byte("kept-bytes-canary-9wx4 "), 3<<20/23+17))
	gone := writeBackupFixture(t, c, "gone-canary-3kd8s", []byte("gone-bytes-canary-5hj1 of the deleted conversation"))
	plain := writeBackupFixture(t, c, "plain-canary-8rt6p", nil)

	env := map[string]string{"CONVSTORE_DATA": dir}
	file := filepath.Join(t.TempDir(), "store.backup")
	stdout, stderr, code := runCLI(t, env, nil, "backup", file, "--json")
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	var b backupJSON
	if err := json.Unmarshal([]byte(stdout), &b); err != nil {
		t.Fatal(err)
	}
	// Attachment bytes are copied sealed, a little larger than they were sent.
	if b.Conversations != 3 || b.Blobs != 2 || b.BlobBytes < int64(len(kept.blob)+len(gone.blob)) || b.LastDeletionID != nil {
		t.Fatalf("backup: %+v", b)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600", err, fi.Mode())
	}
	// The backup holds content only sealed: no title, user id, message or
	// attachment byte of any conversation in plaintext.
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*backupFixture{kept, gone, plain} {
		for _, canary := range append([]string{f.title, "user-" + f.title}, f.messages...) {
			if bytes.Contains(raw, []byte(canary)) {
				t.Errorf("the backup holds %q in plaintext", canary)
			}
		}
		if len(f.blob) > 0 && bytes.Contains(raw, f.blob[:23]) {
			t.Errorf("the backup holds attachment bytes of %q in plaintext", f.title)
		}
	}
	if _, stderr, code := runCLI(t, env, nil, "backup", file); code != 1 || !strings.Contains(stderr, "exists") {
		t.Fatalf("backup over an existing file: exit %d: %s", code, stderr)
	}

	d, err := c.DeleteConversation(context.Background(), convstore.ID{}, gone.id, convstore.DeleteParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, env, nil, "restore", file); code != 1 || !strings.Contains(stderr, "in use") {
		t.Fatalf("restore while the server runs: exit %d: %s", code, stderr)
	}
	if d.KeyEpoch != 1 || d.ShreddedAt != nil {
		t.Fatalf("receipt: key epoch %d, shredded at %v; want 1, not yet", d.KeyEpoch, d.ShreddedAt)
	}
	// What a restore re-applies holds ids, counts and times only.
	receipt, _ := json.Marshal(api.FromDeletion(d))
	for _, canary := range append([]string{gone.title, "user-" + gone.title, string(gone.blob), "a.bin"}, gone.messages...) {
		if bytes.Contains(receipt, []byte(canary)) {
			t.Errorf("the receipt holds %q: %s", canary, receipt)
		}
	}
	if err := ts.m.Close(); err != nil {
		t.Fatal(err)
	}
	var rot rotationJSON
	stdout, stderr, code = runCLI(t, env, nil, "keys", "rotate", "--key-retention", "0s", "--json")
	if code != 0 {
		t.Fatalf("keys rotate: exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &rot); err != nil {
		t.Fatal(err)
	}
	if rot.Epoch != 2 || rot.Rewrapped != 2 || len(rot.DestroyedEpochs) != 1 || rot.DestroyedEpochs[0] != 1 || rot.ReceiptsShredded != 1 {
		t.Fatalf("keys rotate: %+v; want epoch 2, the 2 live keys re-wrapped, epoch 1 destroyed, 1 receipt shredded", rot)
	}

	stdout, stderr, code = runCLI(t, env, nil, "restore", file, "--json")
	if code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	var r restoreJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Receipts != 1 || r.Reapplied != 1 || r.Deleted != 1 || r.KeysAdopted != 2 || r.Replaced == "" {
		t.Fatalf("restore: %+v", r)
	}
	if fi, err := os.Stat(filepath.Join(dir, defaultDBFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored database: %v, mode %v; want 0600", err, fi.Mode())
	}

	ts = startServerEnv(t, dir, map[string]string{})
	ts.key = testKey
	c = ts.client()
	if _, err := c.FindConversationByID(context.Background(), convstore.ID{}, gone.id); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("the conversation deleted after the backup is back: %v", err)
	}
	got, err := c.FindDeletionByID(context.Background(), convstore.ID{}, d.ID)
	if err != nil || got.ConversationID != gone.id || got.KeyEpoch != 1 || got.ShreddedAt == nil {
		t.Fatalf("its receipt after restore: %+v, %v; want key epoch 1, shredded", got, err)
	}
	for _, f := range []*backupFixture{kept, plain} {
		f.check(t, c)
	}
	// The deleted conversation's bytes are nowhere in the blob directory.
	filepath.WalkDir(filepath.Join(dir, blobDir), func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(b, gone.blob) {
				t.Errorf("the deleted attachment's bytes are back in %s", path)
			}
		}
		return nil
	})
}

// TestRestoreWithoutLiveDatabase restores a backup whose key epoch was
// destroyed when the live database is gone: nothing tells which deletes to
// re-apply, and none is needed, since none of the backup's content can be
// opened any more (a backup is beyond use once its epochs are destroyed,
// unless restored over the live database that holds the re-wrapped keys).
func TestRestoreWithoutLiveDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startServerEnv(t, dir, map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})
	c := ts.client()
	kept := writeBackupFixture(t, c, "kept", []byte("attachment"))
	env := map[string]string{"CONVSTORE_DATA": dir}
	file := filepath.Join(t.TempDir(), "store.backup")
	if _, stderr, code := runCLI(t, env, nil, "backup", file); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	if err := ts.m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, env, nil, "keys", "rotate", "--key-retention", "0s"); code != 0 {
		t.Fatalf("keys rotate: exit %d: %s", code, stderr)
	}
	if err := removeDB(filepath.Join(dir, defaultDBFile)); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, env, nil, "restore", file)
	if code != 0 || !strings.Contains(stderr, "no deletion receipt is re-applied") {
		t.Fatalf("restore without the live database: exit %d: %s", code, stderr)
	}
	ts = startServerEnv(t, dir, map[string]string{})
	ts.key = testKey
	_, err := ts.client().FindConversationByID(context.Background(), convstore.ID{}, kept.id)
	if convstore.ErrorCode(err) != convstore.EINTEGRITY {
		t.Fatalf("a conversation of a backup whose epoch was destroyed: %v; want an integrity error", err)
	}
}

// TestRestoreRefusals checks the restore's clear refusals.
func TestRestoreRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"CONVSTORE_DATA": dir}
	notBackup := filepath.Join(dir, "not-a-backup")
	os.WriteFile(notBackup, []byte("hello"), 0o600)
	if _, stderr, code := runCLI(t, env, nil, "restore", notBackup); code != 1 || !strings.Contains(stderr, "not a convstore backup") {
		t.Fatalf("restore of a non-backup: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, env, nil, "restore"); code != 2 || !strings.Contains(stderr, "BACKUP") {
		t.Fatalf("restore without a backup: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, env, nil, "backup", filepath.Join(dir, "b")); code != 1 || !strings.Contains(stderr, "no store") {
		t.Fatalf("backup of no store: exit %d: %s", code, stderr)
	}
}

// TestRestoreReappliesAuditDeletes: a message, an artifact and an
// attachment deleted, and an API key revoked, after the backup stay
// deleted and revoked after the restore (from the audit log of the
// database being replaced).
func TestRestoreReappliesAuditDeletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	ts := startServerEnv(t, dir, map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})
	c := ts.client()
	f := writeBackupFixture(t, c, "audit-canary-2mz7", []byte("attachment-canary-4nb8 deleted after the backup"))
	msgs, _, err := c.FindMessages(ctx, convstore.ID{}, f.id, convstore.MessageFilter{})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages: %d, %v", len(msgs), err)
	}
	art, err := c.CreateArtifact(ctx, convstore.ID{}, f.id, &convstore.ArtifactCreate{Type: "summary", Text: "summary-canary-6pq3"})
	if err != nil {
		t.Fatal(err)
	}
	extra, err := c.CreateKey(ctx, convstore.ID{}, &convstore.KeyCreate{Name: "extra", Scopes: []convstore.Scope{convstore.ScopeRead}}, convstore.DeleteParams{})
	if err != nil {
		t.Fatal(err)
	}
	hold, err := c.CreateHold(ctx, convstore.ID{}, &convstore.HoldCreate{AgentID: "nobody's", Reason: "released after the backup"}, convstore.DeleteParams{})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CONVSTORE_DATA": dir}
	file := filepath.Join(t.TempDir(), "store.backup")
	if _, stderr, code := runCLI(t, env, nil, "backup", file); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	if err := c.DeleteMessage(ctx, convstore.ID{}, f.id, msgs[1].ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteArtifact(ctx, convstore.ID{}, f.id, art.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, convstore.ID{}, extra.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAttachment(ctx, convstore.ID{}, f.id, "a.bin", convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteHold(ctx, convstore.ID{}, hold.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	if err := ts.m.Close(); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, env, nil, "restore", file, "--json")
	if code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	var r restoreJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Messages != 1 || r.Artifacts != 1 || r.Attachments != 1 || r.KeysRevoked != 1 || r.HoldsReleased != 1 || r.AuditEntries != 5 {
		t.Fatalf("restore: %+v; want one message, one artifact, one attachment, one key and one hold deleted again", r)
	}
	ts = startServerEnv(t, dir, map[string]string{})
	ts.key = testKey
	c = ts.client()
	got, _, err := c.FindMessages(ctx, convstore.ID{}, f.id, convstore.MessageFilter{})
	if err != nil || len(got) != 1 || got[0].ID != msgs[0].ID {
		t.Fatalf("messages after restore: %d, %v; want only the first", len(got), err)
	}
	if conv, err := c.FindConversationByID(ctx, convstore.ID{}, f.id); err != nil || conv.MessageCount != 1 {
		t.Fatalf("conversation after restore: %+v, %v; want a message count of 1", conv, err)
	}
	if arts, _, err := c.FindArtifacts(ctx, convstore.ID{}, f.id, convstore.ArtifactFilter{}); err != nil || len(arts) != 0 {
		t.Fatalf("artifacts after restore: %d, %v; want none", len(arts), err)
	}
	if atts, _, err := c.FindAttachments(ctx, convstore.ID{}, f.id, convstore.AttachmentFilter{}); err != nil || len(atts) != 0 {
		t.Fatalf("attachments after restore: %d, %v; want none", len(atts), err)
	}
	if _, err := c.FindHoldByID(ctx, convstore.ID{}, hold.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("a hold released after the backup is back after the restore: %v", err)
	}
	revoked := client.New(ts.m.URL(), extra.Secret)
	if _, _, err := revoked.FindConversations(ctx, convstore.ID{}, convstore.ConversationFilter{}); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Fatalf("a key revoked after the backup works after the restore: %v", err)
	}
}
