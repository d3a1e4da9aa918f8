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

func TestAttachments(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 1)
	audio := wavBytes(4000) // 8 KB
	sum := sha256.Sum256(audio)

	a, err := f.c.PutAttachment(f.ctx, cv.ID, "call.wav", "audio/wav", bytes.NewReader(audio))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID.IsZero() || a.ConversationID != cv.ID || a.Name != "call.wav" || a.ContentType != "audio/wav" ||
		a.Size != int64(len(audio)) || a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("put %+v", a)
	}
	// A streamed body of unknown length works too; "" is octet-stream.
	notes, err := f.c.PutAttachment(f.ctx, cv.ID, "notes.bin", "", io.MultiReader(bytes.NewReader([]byte("abc")), bytes.NewReader([]byte("def"))))
	if err != nil {
		t.Fatal(err)
	}
	if notes.ContentType != convstore.DefaultAttachmentContentType || notes.Size != 6 {
		t.Fatalf("put notes %+v", notes)
	}

	list, more, err := f.c.ListAttachments(f.ctx, cv.ID, convstore.AttachmentFilter{})
	if err != nil || more || len(list) != 2 || list[0].ID != a.ID || list[0].SHA256 != a.SHA256 {
		t.Fatalf("list: %v, %d items", err, len(list))
	}

	rec, rc, err := f.c.OpenAttachment(f.ctx, cv.ID, "call.wav")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("read %d bytes: %v", len(got), err)
	}
	if rec.ID != a.ID || rec.Name != "call.wav" || rec.ContentType != "audio/wav" || rec.Size != a.Size ||
		rec.SHA256 != a.SHA256 || rec.CreatedAt.IsZero() {
		t.Fatalf("open record %+v, want %+v", rec, a)
	}

	// Replacing keeps one attachment of that name.
	b, err := f.c.PutAttachment(f.ctx, cv.ID, "call.wav", "audio/wav", bytes.NewReader(audio[:1000]))
	if err != nil || b.Size != 1000 {
		t.Fatalf("replace: %v %+v", err, b)
	}

	if err := f.c.DeleteAttachment(f.ctx, cv.ID, "call.wav"); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.c.OpenAttachment(f.ctx, cv.ID, "call.wav")
	wantCode(t, err, convstore.ENOTFOUND, 404)
	err = f.c.DeleteAttachment(f.ctx, cv.ID, "call.wav")
	wantCode(t, err, convstore.ENOTFOUND, 404)
	list, _, err = f.c.ListAttachments(f.ctx, cv.ID, convstore.AttachmentFilter{})
	if err != nil || len(list) != 1 || list[0].Name != "notes.bin" {
		t.Fatalf("list after delete: %v, %d items", err, len(list))
	}
}

func TestAttachmentErrors(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 0)
	big := make([]byte, testMaxAttachment+1)
	_, err := f.c.PutAttachment(f.ctx, cv.ID, "big.bin", "", bytes.NewReader(big))
	wantCode(t, err, convstore.ETOOLARGE, 413)
	// Too large without a Content-Length: the server stops reading.
	_, err = f.c.PutAttachment(f.ctx, cv.ID, "big.bin", "", io.MultiReader(bytes.NewReader(big)))
	wantCode(t, err, convstore.ETOOLARGE, 413)
	_, err = f.c.PutAttachment(f.ctx, cv.ID, ".hidden", "", bytes.NewReader([]byte("x")))
	if ce := wantCode(t, err, convstore.EINVALID, 400); ce.Err.Field != "name" {
		t.Fatalf("field = %q, want name", ce.Err.Field)
	}
	_, err = f.c.PutAttachment(f.ctx, cv.ID, "a.txt", "not a type", bytes.NewReader([]byte("x")))
	wantCode(t, err, convstore.EINVALID, 422)
	_, err = f.c.PutAttachment(f.ctx, convstore.NewID(), "a.txt", "", bytes.NewReader([]byte("x")))
	wantCode(t, err, convstore.ENOTFOUND, 404)
	list, _, err := f.c.ListAttachments(f.ctx, cv.ID, convstore.AttachmentFilter{})
	if err != nil || len(list) != 0 {
		t.Fatalf("failed puts left %d attachments (%v)", len(list), err)
	}
}
