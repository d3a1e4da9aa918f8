package service_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/seal"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// A sealed attachment with a flipped byte in its third segment, read on
// the caller's goroutine, read ahead on other cores, and with read-ahead
// asked for on one core (read on the caller's goroutine then), through
// the service's WriteTo and through the native door: the read fails with EINTEGRITY, and nothing
// but the plaintext of the two segments before the bad one is ever handed
// on; the door cuts the response short.
func TestTamperedAttachmentDownload(t *testing.T) {
	for _, c := range []struct {
		ahead bool
		procs int
	}{{false, 0}, {true, 0}, {true, 1}} {
		t.Run(fmt.Sprintf("ahead=%v,procs=%d", c.ahead, c.procs), func(t *testing.T) {
			if c.procs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			}
			e := open(t, service.Options{Keyring: servicetest.NewKeyring(t), ReadAhead: c.ahead})
			tn, key := e.tenant(t)
			conv, _ := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{Title: "t"})
			plain := make([]byte, 4*seal.SegmentSize+100)
			rand.Read(plain)
			servicetest.MustPutAttachment(t, e.ctx, e.svc, tn.ID, conv.ID, "a.bin", plain)
			var blobKey string
			if err := e.rawDB(t).QueryRow(`SELECT blob_key FROM attachments`).Scan(&blobKey); err != nil {
				t.Fatal(err)
			}
			// The header is 45 bytes; each full segment is sealed into
			// SegmentSize+16.
			flipFileByte(t, filepath.Join(e.dir, "blobs", blobKey[0:2], blobKey[2:4], blobKey), 45+2*(seal.SegmentSize+16)+1000)
			verified := plain[:2*seal.SegmentSize]

			_, body, err := e.svc.OpenAttachment(e.ctx, tn.ID, conv.ID, "a.bin")
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			_, err = io.Copy(&got, body) // the blob's WriteTo
			body.Close()
			wantIntegrity(t, "WriteTo of a tampered attachment", err)
			if !bytes.Equal(got.Bytes(), verified) {
				t.Errorf("WriteTo handed on %d bytes, want exactly the %d of the segments before the bad one", got.Len(), len(verified))
			}

			srv := httptest.NewServer(v1.NewServer(convhttp.Config{Store: e.svc, Logger: slog.New(slog.DiscardHandler)}).Handler())
			defer srv.Close()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/conversations/"+conv.ID.Format(convstore.PrefixConversation)+"/attachments/a.bin", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+key.Secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			received, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("GET of a tampered attachment: %s, %d bytes, %v; want the response cut short", resp.Status, len(received), err)
			}
			if len(received) > len(verified) || !bytes.Equal(received, plain[:len(received)]) {
				t.Errorf("GET of a tampered attachment sent %d bytes; want at most the %d verified ones, as they are", len(received), len(verified))
			}
		})
	}
}

// Read-ahead downloads abandoned at every stage (unread, after a byte,
// mid-stream, through a door whose client hangs up) leave no helper
// goroutine behind once their bodies are closed.
func TestReadAheadDownloadNoLeak(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	e := open(t, service.Options{Keyring: servicetest.NewKeyring(t), ReadAhead: true})
	tn, key := e.tenant(t)
	conv, _ := servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{Title: "t"})
	plain := make([]byte, 40*seal.SegmentSize)
	rand.Read(plain)
	servicetest.MustPutAttachment(t, e.ctx, e.svc, tn.ID, conv.ID, "a.bin", plain)
	srv := httptest.NewServer(v1.NewServer(convhttp.Config{Store: e.svc, Logger: slog.New(slog.DiscardHandler)}).Handler())
	defer srv.Close()
	http.DefaultClient.CloseIdleConnections()
	base := runtime.NumGoroutine()

	for _, n := range []int64{0, 1, 5*seal.SegmentSize + 3} {
		_, body, err := e.svc.OpenAttachment(e.ctx, tn.ID, conv.ID, "a.bin")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.CopyN(io.Discard, body, n); got != n || err != nil {
			t.Fatalf("read %d of %d bytes: %v", got, n, err)
		}
		body.Close()
	}
	for range 3 {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/conversations/"+conv.ID.Format(convstore.PrefixConversation)+"/attachments/a.bin", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.CopyN(io.Discard, resp.Body, 3*seal.SegmentSize)
		resp.Body.Close() // hangs up mid-download
	}
	http.DefaultClient.CloseIdleConnections()
	for i := 0; runtime.NumGoroutine() > base; i++ {
		if i == 500 {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after every download ended, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // the server notices the hang-up and closes the body
	}
}
