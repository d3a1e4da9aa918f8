package v1_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strconv"
	"testing"

	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

func TestAttachments(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	base := "/v1/conversations/" + conv.ID + "/attachments"
	audio := bytes.Repeat([]byte{0x52, 0x49, 0x46, 0x46, 0x00, 0xff}, 5000)
	sum := sha256.Sum256(audio)
	hexSum := hex.EncodeToString(sum[:])

	// Create: 201 with the record.
	r := e.do("PUT", base+"/call-1.wav", e.KeyA, audio, "Content-Type", "audio/wav")
	if r.Status != 201 || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%v", r)
	}
	rec := hasKeys(t, "put", r.Body, attachmentKeys...)
	if rec["object"] != "attachment" || rec["name"] != "call-1.wav" || rec["content_type"] != "audio/wav" ||
		rec["size"] != float64(len(audio)) || rec["sha256"] != hexSum || rec["conversation_id"] != conv.ID {
		t.Fatalf("put: %s", r.Body)
	}
	id := rec["id"].(string)

	// Download: the bytes with their headers.
	r = e.do("GET", base+"/call-1.wav", e.KeyA, nil)
	if r.Status != 200 || !bytes.Equal(r.Body, audio) {
		t.Fatalf("get: %d, %d bytes", r.Status, len(r.Body))
	}
	for h, want := range map[string]string{
		"Content-Type": "audio/wav", "Content-Length": strconv.Itoa(len(audio)), "ETag": `"` + hexSum + `"`,
		"X-Content-SHA256": hexSum, "X-Attachment-Id": id, "Repr-Digest": "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
		"Content-Disposition": `attachment; filename="call-1.wav"`, "X-Content-Type-Options": "nosniff",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if r.Header.Get("Last-Modified") == "" || r.Header.Get("X-Request-Id") == "" {
		t.Errorf("missing Last-Modified or X-Request-Id: %v", r.Header)
	}
	r = e.do("GET", base+"/call-1.wav", e.KeyA, nil, "If-None-Match", `"`+hexSum+`"`)
	if r.Status != 304 || len(r.Body) != 0 {
		t.Fatalf("If-None-Match: %d %q", r.Status, r.Body)
	}
	r = e.do("HEAD", base+"/call-1.wav", e.KeyA, nil)
	if r.Status != 200 || len(r.Body) != 0 || r.Header.Get("Content-Length") != strconv.Itoa(len(audio)) {
		t.Fatalf("HEAD: %d %v", r.Status, r.Header)
	}

	// Replace: 200; no Content-Type means application/octet-stream.
	r = e.do("PUT", base+"/call-1.wav", e.KeyA, "short")
	if r.Status != 200 {
		t.Fatalf("replace: %v", r)
	}
	r = e.do("GET", base+"/call-1.wav", e.KeyA, nil)
	if string(r.Body) != "short" || r.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("after replace: %q %q", r.Body, r.Header.Get("Content-Type"))
	}

	// An empty body is a valid, empty attachment.
	r = e.do("PUT", base+"/empty.txt", e.KeyA, nil, "Content-Type", "text/plain; charset=utf-8")
	if r.Status != 201 {
		t.Fatalf("empty: %v", r)
	}

	// List: oldest first.
	var l api.List[api.Attachment]
	r = e.must(200, "GET", base, e.KeyA, nil, &l)
	if len(l.Data) != 2 {
		t.Fatalf("list: %s", r.Body)
	}
	replaced := l.Data[0]
	checkList(t, r, attachmentKeys, []string{replaced.ID, l.Data[1].ID}, false)
	if replaced.Name != "call-1.wav" || replaced.Size != 5 {
		t.Fatalf("list: %s", r.Body)
	}

	// Delete.
	r = e.must(200, "DELETE", base+"/call-1.wav", e.KeyA, nil, nil)
	if d := hasKeys(t, "delete", r.Body, deletedKeys...); d["id"] != replaced.ID || d["object"] != "attachment.deleted" {
		t.Fatalf("delete: %s", r.Body)
	}
	problem(t, e.do("GET", base+"/call-1.wav", e.KeyA, nil), 404, "not_found", "")
	problem(t, e.do("DELETE", base+"/call-1.wav", e.KeyA, nil), 404, "not_found", "")
}

func TestAttachmentTooLarge(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.cfg.MaxAttachmentBytes = 1000; o.cfg.MaxBodyBytes = 2000 })
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	base := "/v1/conversations/" + conv.ID + "/attachments/"

	// Exactly at the limit is fine.
	if r := e.do("PUT", base+"ok.bin", e.KeyA, bytes.Repeat([]byte("a"), 1000)); r.Status != 201 {
		t.Fatalf("at limit: %v", r)
	}
	// Over it: with a Content-Length, and streamed without one.
	p := problem(t, e.do("PUT", base+"big.bin", e.KeyA, bytes.Repeat([]byte("a"), 1001)), 413, "too_large", "body")
	if p["detail"] != "The attachment is larger than the limit of 1000 bytes." {
		t.Fatalf("detail: %v", p["detail"])
	}
	chunked := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("b"), 1500)))
	problem(t, e.do("PUT", base+"big2.bin", e.KeyA, chunked), 413, "too_large", "-")
	// Nothing of them remains.
	var l api.List[api.Attachment]
	e.must(200, "GET", "/v1/conversations/"+conv.ID+"/attachments", e.KeyA, nil, &l)
	if len(l.Data) != 1 || l.Data[0].Name != "ok.bin" {
		t.Fatalf("after 413: %+v", l.Data)
	}
	// JSON bodies have their own cap.
	big := map[string]any{"title": string(bytes.Repeat([]byte("t"), 2100))}
	problem(t, e.do("POST", "/v1/conversations", e.KeyA, big), 413, "too_large", "body")
	if e.srv.Config().MaxBodyBytes != 2000 || convhttp.DefaultMaxBodyBytes != 8<<20 {
		t.Fatalf("limits: %+v", e.srv.Config())
	}
}
