package servicetest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

var attachmentTests = []subtest{
	{"PutAndOpen", testPutAttachment},
	{"Replace", testReplaceAttachment},
	{"TooLarge", testAttachmentTooLarge},
	{"FailingBody", testAttachmentFailingBody},
	{"Validation", testAttachmentValidation},
	{"Delete", testDeleteAttachment},
	{"MissingConversation", testAttachmentsMissingConversation},
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// checkAttachment reports unless a describes body stored under name.
func checkAttachment(t testing.TB, what string, a *convstore.Attachment, convID convstore.ID, name, contentType string, body []byte) {
	t.Helper()
	if a.ID.IsZero() || a.ConversationID != convID || a.Name != name || a.ContentType != contentType ||
		a.Size != int64(len(body)) || a.SHA256 != sha256Hex(body) {
		t.Errorf("%s: got %+v, want name %q, content type %q, size %d, sha256 %s in conversation %s",
			what, a, name, contentType, len(body), sha256Hex(body), convID.UUID())
	}
	checkRecent(t, what+" CreatedAt", a.CreatedAt)
}

// checkBlobKeys reports unless the blob store holds exactly want keys.
func checkBlobKeys(t testing.TB, f *fixture, what string, want int) {
	t.Helper()
	if keys := MustBlobKeys(t, f.ctx, f.Blobs); len(keys) != want {
		t.Errorf("%s: blob store has %d keys %q, want %d", what, len(keys), keys, want)
	}
}

func testPutAttachment(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	cases := []struct {
		name, contentType, wantType string
		body                        []byte
	}{
		{"notes.txt", "", convstore.DefaultAttachmentContentType, []byte("hello, attachment")},
		{"call-1.wav", "audio/wav", "audio/wav", randomBytes(t, 300<<10)},
		{"empty.bin", "", convstore.DefaultAttachmentContentType, nil},
		{"page.HTML", "text/html; charset=utf-8", "text/html; charset=utf-8", []byte("<p>x</p>")},
	}
	for _, tc := range cases {
		a, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: tc.name, ContentType: tc.contentType, Body: bytes.NewReader(tc.body)})
		if err != nil {
			t.Fatalf("PutAttachment(%q): %v", tc.name, err)
		}
		checkAttachment(t, "PutAttachment", a, conv.ID, tc.name, tc.wantType, tc.body)
		got, err := f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, conv.ID, tc.name)
		if err != nil {
			t.Fatalf("FindAttachmentByName(%q): %v", tc.name, err)
		}
		checkAttachment(t, "FindAttachmentByName", got, conv.ID, tc.name, tc.wantType, tc.body)
		if got.ID != a.ID || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("FindAttachmentByName = %s at %v, PutAttachment returned %s at %v", got.ID.UUID(), got.CreatedAt, a.ID.UUID(), a.CreatedAt)
		}
		opened, b := MustReadAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, tc.name)
		checkAttachment(t, "OpenAttachment", opened, conv.ID, tc.name, tc.wantType, tc.body)
		if !bytes.Equal(b, tc.body) {
			t.Errorf("OpenAttachment(%q) read %d bytes (sha256 %s), want %d (sha256 %s)", tc.name, len(b), sha256Hex(b), len(tc.body), sha256Hex(tc.body))
		}
	}
	// Names are case-sensitive: "page.html" is not "page.HTML".
	_, err := f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, conv.ID, "page.html")
	wantCode(t, err, convstore.ENOTFOUND, "FindAttachmentByName with different case")
	list, more, err := f.Store.FindAttachments(f.ctx, f.tenant.ID, conv.ID, convstore.AttachmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if more || len(list) != len(cases) {
		t.Fatalf("FindAttachments: %d, has_more %v; want %d, false", len(list), more, len(cases))
	}
	for i, a := range list {
		checkAttachment(t, "FindAttachments", a, conv.ID, cases[i].name, cases[i].wantType, cases[i].body)
	}
	checkBlobKeys(t, f, "after putting 4 attachments", len(cases))
}

func testReplaceAttachment(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	other := MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "other.txt", []byte("other bytes"))
	oldBody := []byte("old bytes that must disappear")
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "rec.wav", oldBody)
	checkBlobKeys(t, f, "before replacing", 2)

	newBody := []byte("the new recording")
	a, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "rec.wav", ContentType: "audio/wav", Body: bytes.NewReader(newBody)})
	if err != nil {
		t.Fatalf("PutAttachment replacing rec.wav: %v", err)
	}
	checkAttachment(t, "replacing PutAttachment", a, conv.ID, "rec.wav", "audio/wav", newBody)
	_, b := MustReadAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "rec.wav")
	if !bytes.Equal(b, newBody) {
		t.Errorf("rec.wav after replace reads %q, want %q", b, newBody)
	}
	checkBlobKeys(t, f, "after replacing", 2)
	for _, blob := range MustBlobContents(t, f.ctx, f.Blobs) {
		if bytes.Equal(blob, oldBody) {
			t.Errorf("the replaced attachment's bytes are still in the blob store")
		}
	}
	list, _, err := f.Store.FindAttachments(f.ctx, f.tenant.ID, conv.ID, convstore.AttachmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range list {
		names = append(names, x.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"other.txt", "rec.wav"}) {
		t.Errorf("attachments after replace: %q, want other.txt and one rec.wav", names)
	}
	if _, b := MustReadAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "other.txt"); !bytes.Equal(b, []byte("other bytes")) || other == nil {
		t.Errorf("other.txt changed by replacing rec.wav: %q", b)
	}
}

func testAttachmentTooLarge(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	const max = 1024
	exact := randomBytes(t, max)
	a, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "exact.bin", Body: bytes.NewReader(exact), MaxBytes: max})
	if err != nil {
		t.Fatalf("PutAttachment of exactly MaxBytes: %v", err)
	}
	checkAttachment(t, "PutAttachment of exactly MaxBytes", a, conv.ID, "exact.bin", convstore.DefaultAttachmentContentType, exact)
	rowsBefore := MustConversationRows(t, f.ctx, f.Harness, conv.ID)

	for _, size := range []int{max + 1, 10 * max} {
		_, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "big.bin", Body: bytes.NewReader(randomBytes(t, size)), MaxBytes: max})
		wantCode(t, err, convstore.ETOOLARGE, "PutAttachment over MaxBytes")
	}
	_, err = f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, conv.ID, "big.bin")
	wantCode(t, err, convstore.ENOTFOUND, "FindAttachmentByName after ETOOLARGE")

	// A too-large replacement leaves the existing attachment as it was.
	_, err = f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "exact.bin", Body: bytes.NewReader(randomBytes(t, max+1)), MaxBytes: max})
	wantCode(t, err, convstore.ETOOLARGE, "replacing PutAttachment over MaxBytes")
	if _, b := MustReadAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "exact.bin"); !bytes.Equal(b, exact) {
		t.Errorf("a failed replacement changed the existing attachment")
	}
	checkBlobKeys(t, f, "after ETOOLARGE puts", 1)
	if rows := MustConversationRows(t, f.ctx, f.Harness, conv.ID); snapshot(t, rows) != snapshot(t, rowsBefore) {
		t.Errorf("ETOOLARGE puts changed the conversation's rows: %v -> %v", rowsBefore, rows)
	}
}

// failingReader returns some bytes and then an error.
type failingReader struct{ n int }

var errBodyBroken = errors.New("servicetest: body broke off")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errBodyBroken
	}
	n := min(len(p), r.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	r.n -= n
	return n, nil
}

func testAttachmentFailingBody(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	_, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "broken.bin", Body: &failingReader{n: 5000}})
	if err == nil {
		t.Fatalf("PutAttachment with a failing body succeeded")
	}
	_, err = f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, conv.ID, "broken.bin")
	wantCode(t, err, convstore.ENOTFOUND, "FindAttachmentByName after a failed body")
	checkBlobKeys(t, f, "after a failed body", 0)
}

func testAttachmentValidation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	body := func() io.Reader { return strings.NewReader("data") }
	cases := []struct {
		what  string
		p     convstore.AttachmentPut
		field string
	}{
		{"an empty name", convstore.AttachmentPut{Name: "", Body: body()}, "name"},
		{"a dot name", convstore.AttachmentPut{Name: ".hidden", Body: body()}, "name"},
		{"a slash", convstore.AttachmentPut{Name: "a/b.txt", Body: body()}, "name"},
		{"a parent path", convstore.AttachmentPut{Name: "../x", Body: body()}, "name"},
		{"a space", convstore.AttachmentPut{Name: "a b", Body: body()}, "name"},
		{"a long name", convstore.AttachmentPut{Name: strings.Repeat("n", convstore.MaxAttachmentNameLen+1), Body: body()}, "name"},
		{"a bad content type", convstore.AttachmentPut{Name: "ok.txt", ContentType: "not a type", Body: body()}, "content_type"},
		{"no body", convstore.AttachmentPut{Name: "ok.txt"}, "body"},
	}
	for _, tc := range cases {
		a, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &tc.p)
		wantInvalid(t, err, tc.field, "PutAttachment with "+tc.what)
		if a != nil {
			t.Errorf("PutAttachment with %s returned a record with its error", tc.what)
		}
	}
	list, _, err := f.Store.FindAttachments(f.ctx, f.tenant.ID, conv.ID, convstore.AttachmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("rejected puts left %d records", len(list))
	}
	checkBlobKeys(t, f, "after rejected puts", 0)
	// A name of exactly MaxAttachmentNameLen is fine.
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, strings.Repeat("n", convstore.MaxAttachmentNameLen), []byte("x"))
}

func testDeleteAttachment(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	keepBody, goneBody := []byte("keep me"), []byte("delete me")
	keep := MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "keep.txt", keepBody)
	gone := MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "gone.txt", goneBody)
	checkBlobKeys(t, f, "before delete", 2)
	if err := f.Store.DeleteAttachment(f.ctx, f.tenant.ID, conv.ID, "gone.txt", f.params); err != nil {
		t.Fatalf("DeleteAttachment: %v", err)
	}
	_, err := f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, conv.ID, "gone.txt")
	wantCode(t, err, convstore.ENOTFOUND, "FindAttachmentByName after delete")
	_, _, err = f.Store.OpenAttachment(f.ctx, f.tenant.ID, conv.ID, "gone.txt")
	wantCode(t, err, convstore.ENOTFOUND, "OpenAttachment after delete")
	checkBlobKeys(t, f, "after delete", 1)
	for _, blob := range MustBlobContents(t, f.ctx, f.Blobs) {
		if !SameBlob(blob, keepBody) {
			t.Errorf("blob store holds %q, want only the kept attachment's bytes", blob)
		}
	}
	list, _, err := f.Store.FindAttachments(f.ctx, f.tenant.ID, conv.ID, convstore.AttachmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(list, func(a *convstore.Attachment) convstore.ID { return a.ID }); !slices.Equal(got, []convstore.ID{keep.ID}) {
		t.Errorf("FindAttachments after delete: %s, want %s", fmtIDs(got), fmtIDs([]convstore.ID{keep.ID}))
	}
	checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditAttachmentDelete, conv.ID, gone.ID, f.params)
	err = f.Store.DeleteAttachment(f.ctx, f.tenant.ID, conv.ID, "gone.txt", f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteAttachment twice")

	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	err = f.Store.DeleteAttachment(f.ctx, f.tenant.ID, other.ID, "keep.txt", f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteAttachment with the wrong conversation")
	if _, b := MustReadAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "keep.txt"); !bytes.Equal(b, keepBody) {
		t.Errorf("keep.txt changed: %q", b)
	}
	checkBlobKeys(t, f, "after a refused delete", 1)
}

func testAttachmentsMissingConversation(t *testing.T, f *fixture) {
	missing := randomID()
	_, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, missing, &convstore.AttachmentPut{Name: "a.txt", Body: strings.NewReader("bytes")})
	wantCode(t, err, convstore.ENOTFOUND, "PutAttachment on a missing conversation")
	checkBlobKeys(t, f, "after PutAttachment on a missing conversation", 0)
	_, err = f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, missing, "a.txt")
	wantCode(t, err, convstore.ENOTFOUND, "FindAttachmentByName in a missing conversation")
	_, _, err = f.Store.OpenAttachment(f.ctx, f.tenant.ID, missing, "a.txt")
	wantCode(t, err, convstore.ENOTFOUND, "OpenAttachment in a missing conversation")
	_, _, err = f.Store.FindAttachments(f.ctx, f.tenant.ID, missing, convstore.AttachmentFilter{})
	wantCode(t, err, convstore.ENOTFOUND, "FindAttachments of a missing conversation")
	err = f.Store.DeleteAttachment(f.ctx, f.tenant.ID, missing, "a.txt", f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteAttachment in a missing conversation")
}
