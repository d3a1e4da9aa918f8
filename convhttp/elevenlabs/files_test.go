package elevenlabs_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/textproto"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/elevenlabs"
)

// multipartBody builds a multipart/form-data body with one part and
// returns it with its Content-Type.
func multipartBody(t testing.TB, field, filename, ct string, content []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	disp := `form-data; name="` + field + `"`
	if filename != "" {
		disp += `; filename="` + filename + `"`
	}
	h.Set("Content-Disposition", disp)
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(content)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func TestFiles(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	c := w.seed(w.TenantA, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
	path := "/v1/convai/conversations/" + cid(c) + "/files"
	upload := func(key, path, field, filename, ct string, content []byte) *doortest.Response {
		body, mct := multipartBody(t, field, filename, ct, content)
		return w.own.Do("POST", path, body, "xi-api-key", key, "Content-Type", mct)
	}

	r := upload(w.KeyA, path, "file", "a.png", "image/png", []byte("\x89PNG\r\n\x1a\nrest"))
	doortest.Expect(t, r, 200, "application/json")
	fileID := r.Map(t)["file_id"].(string)
	a, err := w.Store.FindAttachmentByName(ctx, w.TenantA, c.ID, "elevenlabs_"+fileID)
	if err != nil || a.ContentType != "image/png" || a.Size != 12 {
		t.Fatalf("attachment %+v (%v)", a, err)
	}
	// A text upload is not the conversation's audio.
	if got := doortest.Raw(t, w.do("GET", "/v1/convai/conversations/"+cid(c)).Body, "has_audio"); got != "false" {
		t.Fatalf("has_audio %s after an image upload", got)
	}

	// 422: not multipart, no file part, a field that is not a file, a
	// media type ElevenLabs does not take (also when sniffed).
	bodyItem(t, w.own.Do("POST", path, `{"file":"x"}`, "xi-api-key", w.KeyA), "missing", "body", "file")
	bodyItem(t, upload(w.KeyA, path, "other", "a.txt", "text/plain", []byte("x")), "missing", "body", "file")
	bodyItem(t, upload(w.KeyA, path, "file", "", "", []byte("x")), "value_error", "body", "file")
	bodyItem(t, upload(w.KeyA, path, "file", "a.mp3", "audio/mpeg", []byte("ID3")), "value_error", "body", "file")
	bodyItem(t, upload(w.KeyA, path, "file", "a.bin", "application/octet-stream", []byte{0, 1, 2, 3}), "value_error", "body", "file")

	// Scopes: upload needs write, delete needs delete.
	errorDetail(t, upload(w.Scoped[convstore.ScopeRead], path, "file", "a.txt", "text/plain", []byte("x")), 401, "missing_permissions")
	errorDetail(t, w.own.Do("DELETE", path+"/"+fileID, nil, "xi-api-key", w.Scoped[convstore.ScopeWrite]), 401, "missing_permissions")

	// Tenant B: uploading to A's conversation is the missing answer, and
	// deleting A's file is the unknown-file answer; nothing changes.
	foreign := upload(w.KeyB, path, "file", "a.txt", "text/plain", []byte("x"))
	missing := upload(w.KeyB, "/v1/convai/conversations/conv_01m8pfgzpnepf8eew0phv59r57/files", "file", "a.txt", "text/plain", []byte("x"))
	errorDetail(t, foreign, 404, "conversation_not_found")
	if string(foreign.Body) != string(missing.Body) {
		t.Fatalf("foreign %s, missing %s", foreign.Body, missing.Body)
	}
	foreignDel := w.own.Do("DELETE", path+"/"+fileID, nil, "xi-api-key", w.KeyB)
	errorDetail(t, foreignDel, 404, "file_not_found")
	for _, p := range []string{path + "/file_01m8pfgzpnepf8eew0phv59r57", path + "/nope", "/v1/convai/conversations/nope/files/" + fileID} {
		if r := w.own.Do("DELETE", p, nil, "xi-api-key", w.KeyA); string(r.Body) != string(foreignDel.Body) || r.Status != 404 {
			t.Fatalf("%s: %v, want as %v", p, r, foreignDel)
		}
	}
	if _, err := w.Store.FindAttachmentByName(ctx, w.TenantA, c.ID, "elevenlabs_"+fileID); err != nil {
		t.Fatalf("tenant B deleted A's file: %v", err)
	}

	// Delete: 200 {"file_id"}, then 404.
	r = w.do("DELETE", path+"/"+fileID)
	doortest.Expect(t, r, 200, "application/json")
	if r.Map(t)["file_id"] != fileID {
		t.Fatalf("%v", r)
	}
	errorDetail(t, w.do("DELETE", path+"/"+fileID), 404, "file_not_found")

	// Deleting the conversation deletes its uploads.
	doortest.Expect(t, upload(w.KeyA, path, "file", "b.txt", "text/plain", []byte("keep")), 200, "application/json")
	doortest.Expect(t, w.do("DELETE", "/v1/convai/conversations/"+cid(c)), 200, "application/json")
	for table, n := range w.ConversationRows(c.ID) {
		if n != 0 {
			t.Fatalf("%d rows left in %s", n, table)
		}
	}
	if files := w.BlobFiles(); len(files) != 0 {
		t.Fatalf("blob files left: %v", files)
	}
}

// An upload over the server's attachment cap is 413 and stores nothing.
func TestFileTooLarge(t *testing.T) {
	env := doortest.New(t)
	cfg := env.Config()
	cfg.MaxAttachmentBytes = 16
	srv := env.ServeConfig(cfg, func(s *convhttp.Server) { s.Mount("/", elevenlabs.New(s)) })
	w := &world{Env: env}
	c := w.seed(env.TenantA, &convstore.ConversationCreate{})
	body, ct := multipartBody(t, "file", "big.txt", "text/plain", bytes.Repeat([]byte("x"), 100))
	errorDetail(t, srv.Do("POST", "/v1/convai/conversations/"+cid(c)+"/files", body, "xi-api-key", env.KeyA, "Content-Type", ct), 413, "payload_too_large")
	if rows := env.ConversationRows(c.ID); rows["attachments"] != 0 {
		t.Fatalf("rows %v", rows)
	}
}
