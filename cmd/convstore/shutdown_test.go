package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

// upload is an attachment PUT whose body the test feeds through a pipe, so
// that it is in flight for as long as the test wants.
type upload struct {
	pw   *io.PipeWriter
	done chan error
	att  *convstore.Attachment
}

// startUpload starts a PUT of name and writes the first part of body.
func startUpload(t *testing.T, ts *testServer, convID convstore.ID, name string, first []byte) *upload {
	t.Helper()
	pr, pw := io.Pipe()
	u := &upload{pw: pw, done: make(chan error, 1)}
	go func() {
		a, err := ts.client().PutAttachment(context.Background(), convstore.ID{}, convID, &convstore.AttachmentPut{Name: name, ContentType: "audio/wav", Body: pr})
		u.att = a
		pr.CloseWithError(errors.New("upload over"))
		u.done <- err
	}()
	if _, err := pw.Write(first); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the upload to reach its handler", func() bool { return ts.m.active.Load() == 1 })
	return u
}

// blobFiles returns the regular files under the blob directory.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// reopen opens the stopped server's store and returns it with its tenant.
func reopen(t *testing.T, ts *testServer) (convstore.Store, convstore.ID) {
	t.Helper()
	ctx := context.Background()
	db, err := openStore(ctx, ts.m.Config, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tenants, err := db.FindTenants(ctx)
	if err != nil || len(tenants) != 1 {
		t.Fatalf("tenants: %v, %d", err, len(tenants))
	}
	return db, tenants[0].ID
}

// TestShutdownLetsUploadFinish starts an upload, begins a graceful
// shutdown, and only then sends the rest of the body: the shutdown waits,
// new connections are refused, and the attachment is stored whole.
func TestShutdownLetsUploadFinish(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	conv, _, err := ts.client().CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "call"})
	if err != nil {
		t.Fatal(err)
	}
	audio := wavBytes(100_000) // 200 KB
	u := startUpload(t, ts, conv.ID, "call.wav", audio[:50_000])

	closed := make(chan error, 1)
	go func() { closed <- ts.m.Close() }()
	waitFor(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", ts.m.Addr())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an upload was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}

	if _, err := u.pw.Write(audio[50_000:]); err != nil {
		t.Fatal(err)
	}
	u.pw.Close()
	if err := <-u.done; err != nil {
		t.Fatalf("upload during shutdown failed: %v", err)
	}
	if u.att.Size != int64(len(audio)) {
		t.Fatalf("stored %d bytes, want %d", u.att.Size, len(audio))
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}

	db, tenantID := reopen(t, ts)
	a, rc, err := db.OpenAttachment(ctx, tenantID, conv.ID, "call.wav")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, audio) || a.Size != int64(len(audio)) {
		t.Fatalf("stored attachment differs: %v, %d bytes", err, len(got))
	}
	if files := blobFiles(t, ts.m.Config.BlobDir()); len(files) != 1 {
		t.Fatalf("blob files %v, want one", files)
	}
}

// TestShutdownTimeoutLeavesNothing lets the shutdown timeout expire with an
// upload half sent: the upload is cut off, and neither a record nor bytes
// of it remain.
func TestShutdownTimeoutLeavesNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--shutdown-timeout", "300ms")
	ts.closeErrOK = true
	ctx := context.Background()
	conv, _, err := ts.client().CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "call"})
	if err != nil {
		t.Fatal(err)
	}
	audio := wavBytes(100_000)
	u := startUpload(t, ts, conv.ID, "call.wav", audio[:50_000])

	start := time.Now()
	err = ts.m.Close()
	if err == nil {
		t.Fatal("Close reported no cut-off request")
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 10*time.Second {
		t.Fatalf("Close took %v with a 300ms timeout", d)
	}
	u.pw.CloseWithError(errors.New("test over"))
	if err := <-u.done; err == nil {
		t.Fatal("the cut-off upload succeeded")
	}

	db, tenantID := reopen(t, ts)
	if _, err := db.FindAttachmentByName(ctx, tenantID, conv.ID, "call.wav"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("cut-off attachment: %v, want not found", err)
	}
	if files := blobFiles(t, ts.m.Config.BlobDir()); len(files) != 0 {
		t.Fatalf("cut-off upload left blob files %v", files)
	}
	if _, err := db.FindConversationByID(ctx, tenantID, conv.ID); err != nil {
		t.Fatalf("conversation lost: %v", err)
	}
}
