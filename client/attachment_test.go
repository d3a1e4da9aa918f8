package client_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"testing"

	"github.com/convstore/convstore"
)

// wavBytes returns a small mono 16-bit PCM WAV file of a 440 Hz tone.
func wavBytes(samples int) []byte {
	var b bytes.Buffer
	dataLen := samples * 2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+dataLen))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, struct {
		Size               uint32
		Format, Channels   uint16
		Rate, ByteRate     uint32
		Align, BitsPerSamp uint16
	}{16, 1, 1, 8000, 16000, 2, 16})
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(dataLen))
	for i := range samples {
		binary.Write(&b, binary.LittleEndian, int16(8000*math.Sin(2*math.Pi*440*float64(i)/8000)))
	}
	return b.Bytes()
}

// put stores body as the conversation's attachment name through the client.
func (f *fixture) put(convID convstore.ID, name, contentType string, body io.Reader, max int64) (*convstore.Attachment, error) {
	return f.c.PutAttachment(f.ctx, convstore.ID{}, convID, &convstore.AttachmentPut{Name: name, ContentType: contentType, Body: body, MaxBytes: max})
}

func TestAttachments(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 1)
	audio := wavBytes(4000) // 8 KB
	sum := sha256.Sum256(audio)
	a, err := f.put(cv.ID, "call.wav", "audio/wav", bytes.NewReader(audio), 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID.IsZero() || a.ConversationID != cv.ID || a.Name != "call.wav" || a.ContentType != "audio/wav" ||
		a.Size != int64(len(audio)) || a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("put %+v", a)
	}
	// A streamed body of unknown length works too; "" is octet-stream.
	notes, err := f.put(cv.ID, "notes.bin", "", io.MultiReader(bytes.NewReader([]byte("abc")), bytes.NewReader([]byte("def"))), 0)
	if err != nil {
		t.Fatal(err)
	}
	if notes.ContentType != convstore.DefaultAttachmentContentType || notes.Size != 6 {
		t.Fatalf("put notes %+v", notes)
	}
	list, more, err := f.c.FindAttachments(f.ctx, convstore.ID{}, cv.ID, convstore.AttachmentFilter{})
	if err != nil || more || len(list) != 2 || list[0].ID != a.ID || list[0].SHA256 != a.SHA256 {
		t.Fatalf("list: %v, %d items", err, len(list))
	}
	// The record alone (HEAD) and the bytes (GET) describe it alike.
	found, err := f.c.FindAttachmentByName(f.ctx, convstore.ID{}, cv.ID, "call.wav")
	if err != nil {
		t.Fatal(err)
	}
	rec, rc, err := f.c.OpenAttachment(f.ctx, convstore.ID{}, cv.ID, "call.wav")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("read %d bytes: %v", len(got), err)
	}
	for what, r := range map[string]*convstore.Attachment{"find": found, "open": rec} {
		if r.ID != a.ID || r.ConversationID != cv.ID || r.Name != "call.wav" || r.ContentType != "audio/wav" || r.Size != a.Size ||
			r.SHA256 != a.SHA256 || !r.CreatedAt.Equal(a.CreatedAt) {
			t.Fatalf("%s record %+v, want %+v", what, r, a)
		}
	}
	// Replacing keeps one attachment of that name.
	b, err := f.put(cv.ID, "call.wav", "audio/wav", bytes.NewReader(audio[:1000]), 0)
	if err != nil || b.Size != 1000 {
		t.Fatalf("replace: %v %+v", err, b)
	}
	if err := f.c.DeleteAttachment(f.ctx, convstore.ID{}, cv.ID, "call.wav", convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.c.OpenAttachment(f.ctx, convstore.ID{}, cv.ID, "call.wav")
	wantCode(t, err, convstore.ENOTFOUND, 404)
	_, err = f.c.FindAttachmentByName(f.ctx, convstore.ID{}, cv.ID, "call.wav")
	wantCode(t, err, convstore.ENOTFOUND, 404)
	err = f.c.DeleteAttachment(f.ctx, convstore.ID{}, cv.ID, "call.wav", convstore.DeleteParams{})
	wantCode(t, err, convstore.ENOTFOUND, 404)
	list, _, err = f.c.FindAttachments(f.ctx, convstore.ID{}, cv.ID, convstore.AttachmentFilter{})
	if err != nil || len(list) != 1 || list[0].Name != "notes.bin" {
		t.Fatalf("list after delete: %v, %d items", err, len(list))
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestAttachmentErrors(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 0)
	big := make([]byte, testMaxAttachment+1)
	_, err := f.put(cv.ID, "big.bin", "", bytes.NewReader(big), 0)
	wantCode(t, err, convstore.ETOOLARGE, 413)
	// Too large without a Content-Length: the server stops reading.
	_, err = f.put(cv.ID, "big.bin", "", io.MultiReader(bytes.NewReader(big)), 0)
	wantCode(t, err, convstore.ETOOLARGE, 413)
	// The caller's own limit: a body known to be over it is not sent, one
	// of unknown length stops one byte past it.
	_, err = f.put(cv.ID, "big.bin", "", bytes.NewReader(make([]byte, 101)), 100)
	wantLocal(t, err, convstore.ETOOLARGE, "body")
	streamed := &countingReader{r: bytes.NewReader(big)}
	_, err = f.put(cv.ID, "big.bin", "", streamed, 100)
	wantLocal(t, err, convstore.ETOOLARGE, "body")
	if streamed.n > 101 {
		t.Fatalf("read %d bytes of a body over a limit of 100", streamed.n)
	}
	if a, err := f.put(cv.ID, "exact.bin", "", io.MultiReader(bytes.NewReader(make([]byte, 100))), 100); err != nil || a.Size != 100 {
		t.Fatalf("a streamed body of exactly the limit: %v %+v", err, a)
	}
	_, err = f.put(cv.ID, ".hidden", "", bytes.NewReader([]byte("x")), 0)
	if ce := wantCode(t, err, convstore.EINVALID, 400); ce.Err.Field != "name" {
		t.Fatalf("field = %q, want name", ce.Err.Field)
	}
	_, err = f.put(cv.ID, "a.txt", "not a type", bytes.NewReader([]byte("x")), 0)
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "content_type" {
		t.Fatalf("field = %q, want content_type", ce.Err.Field)
	}
	_, err = f.put(cv.ID, "a.txt", "", nil, 0)
	wantLocal(t, err, convstore.EINVALID, "body")
	_, err = f.put(cv.ID, "", "", bytes.NewReader([]byte("x")), 0)
	wantLocal(t, err, convstore.EINVALID, "name")
	_, err = f.put(cv.ID, "a.txt", "text/plain\r\nX-Evil: 1", bytes.NewReader([]byte("x")), 0)
	wantLocal(t, err, convstore.EINVALID, "content_type")
	_, err = f.put(convstore.NewID(), "a.txt", "", bytes.NewReader([]byte("x")), 0)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	list, _, err := f.c.FindAttachments(f.ctx, convstore.ID{}, cv.ID, convstore.AttachmentFilter{})
	if err != nil || len(list) != 1 || list[0].Name != "exact.bin" {
		t.Fatalf("failed puts left %d attachments (%v)", len(list), err)
	}
}
