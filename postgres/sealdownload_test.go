package postgres_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/seal"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// TestSealedDownloadFromChunks reads a sealed attachment stored in more
// than one chunk row (a segment straddles the rows), on the caller's
// goroutine and read ahead with two cores, whole (WriteTo) and in small
// reads: the plaintext comes back as written. Then, with a byte of its
// third segment flipped in blob_chunks, each read fails with EINTEGRITY
// after exactly the two segments before it.
func TestSealedDownloadFromChunks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ctx := testCtx(t)
	schema := pgtest.NewSchema(t)
	ring := servicetest.NewKeyring(t)
	nodes := map[bool]*pgtest.Node{}
	for _, ahead := range []bool{false, true} {
		nodes[ahead] = pgtest.OpenNode(t, schema, pgtest.NodeOptions{Service: service.Options{Keyring: ring, ReadAhead: ahead}})
	}
	n := nodes[false]
	tn, _, err := n.CreateTenant(ctx, "t", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _ := servicetest.MustCreateConversation(t, ctx, n, tn.ID, &convstore.ConversationCreate{Title: "t"})
	plain := make([]byte, postgres.ChunkSize+5*seal.SegmentSize+100)
	rand.Read(plain)
	servicetest.MustPutAttachment(t, ctx, n, tn.ID, conv.ID, "a.bin", plain)
	if got := count(t, n, `SELECT count(*) FROM blob_chunks`); got != 2 {
		t.Fatalf("%d chunk rows, want 2", got)
	}

	read := func(ahead, whole bool) ([]byte, error) {
		_, body, err := nodes[ahead].OpenAttachment(ctx, tn.ID, conv.ID, "a.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		var got bytes.Buffer
		if whole {
			_, err = io.Copy(&got, body) // the blob's WriteTo
		} else {
			_, err = io.CopyBuffer(&got, iotest.OneByteReader(io.LimitReader(body, 3000)), make([]byte, 100))
			if err == nil {
				_, err = io.CopyBuffer(&got, struct{ io.Reader }{body}, make([]byte, 1000))
			}
		}
		return got.Bytes(), err
	}
	for _, ahead := range []bool{false, true} {
		for _, whole := range []bool{true, false} {
			got, err := read(ahead, whole)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("ahead=%v whole=%v: %d bytes, %v; want the %d written", ahead, whole, len(got), err, len(plain))
			}
		}
	}

	// The header is 45 bytes; each full segment is sealed into
	// SegmentSize+16.
	flip := 45 + 2*(seal.SegmentSize+16) + 1000
	if _, err := postgres.Pool(n.DB).Exec(ctx, `UPDATE blob_chunks SET data = set_byte(data, $1, get_byte(data, $1) # 1) WHERE n = 0`, flip); err != nil {
		t.Fatal(err)
	}
	for _, ahead := range []bool{false, true} {
		for _, whole := range []bool{true, false} {
			what := fmt.Sprintf("tampered, ahead=%v whole=%v", ahead, whole)
			got, err := read(ahead, whole)
			if convstore.ErrorCode(err) != convstore.EINTEGRITY {
				t.Errorf("%s: %v, want EINTEGRITY", what, err)
			}
			if !bytes.Equal(got, plain[:2*seal.SegmentSize]) {
				t.Errorf("%s: %d bytes handed on, want exactly the %d of the two segments before the bad one", what, len(got), 2*seal.SegmentSize)
			}
		}
	}
}
