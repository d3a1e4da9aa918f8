package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
)

// ChunkSize is the size of the chunks BlobStore keeps a blob in: large
// enough that a recording takes few rows, small enough that neither side
// ever holds more than one chunk of a blob in memory.
const ChunkSize = 1 << 20

// ChunkSlack is how much longer than ChunkSize PutFunc lets a blob's last
// chunk grow, so that a few bytes over a multiple of ChunkSize take no
// row, and no round trip to read, of their own: a sealed attachment's
// ciphertext is its plaintext plus a 45-byte header and 16 bytes per 64
// KiB, so the ciphertext of a plaintext of whole chunks (up to 255 of
// them) still fits in as many chunks.
const ChunkSlack = ChunkSize / 16

// maxBlobKeyLen bounds blob keys, like the file blob store does.
const maxBlobKeyLen = 128

// BlobStore is a convstore.BlobStore that keeps attachment bytes in
// PostgreSQL itself, in the blobs and blob_chunks tables of the store's
// schema, so that every node serves every attachment without a shared
// disk. DB.Blobs returns one over the driver's pool.
//
// Put streams the body in ChunkSize pieces, each inserted as it is read,
// inside one transaction: a failed or too-large Put rolls back and leaves
// nothing, and a blob becomes visible whole or not at all. A reader from
// Open fetches one chunk at a time as it is read. It is safe for
// concurrent use.
type BlobStore struct {
	conns     *conns
	pool      *pgxpool.Pool
	chunkSize int
}

var _ convstore.BlobStore = (*BlobStore)(nil)

func checkBlobKey(key string) error {
	if key == "" || len(key) > maxBlobKeyLen || strings.IndexByte(key, 0) >= 0 {
		return convstore.Invalidf("key", "blob key must be 1 to %d characters without NUL", maxBlobKeyLen)
	}
	return nil
}

// Put writes r under key, replacing a blob stored under it, and returns
// its size and SHA-256. More than max bytes is ETOOLARGE; nothing is left
// behind by any failure.
func (s *BlobStore) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, []byte, error) {
	if err := checkBlobKey(key); err != nil {
		return 0, nil, err
	}
	var size int64
	var sum []byte
	var bodyErr error // a failure to read the body, the client's doing
	conn, err := s.conns.acquire(ctx)
	if err != nil {
		return 0, nil, translateErr(ctx, err)
	}
	defer conn.Release()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM blobs WHERE key = $1`, key); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO blobs (key, size, sha256, chunks) VALUES ($1, 0, '', 0)`, key); err != nil {
			return err
		}
		h := sha256.New()
		buf := make([]byte, s.chunkSize)
		// Read one byte past max, so that exactly max bytes are accepted
		// and more are noticed without reading the rest.
		body := io.LimitReader(r, max+1)
		n := 0
		for {
			m, readErr := io.ReadFull(body, buf)
			if m > 0 {
				if size += int64(m); size > max {
					return &convstore.Error{Code: convstore.ETOOLARGE, Field: "body",
						Message: fmt.Sprintf("body must be at most %d bytes", max)}
				}
				h.Write(buf[:m])
				if _, err := tx.Exec(ctx, `INSERT INTO blob_chunks (key, n, data) VALUES ($1, $2, $3)`, key, n, buf[:m]); err != nil {
					return err
				}
				n++
			}
			if readErr == io.EOF || readErr == io.ErrUnexpectedEOF {
				break
			} else if readErr != nil {
				bodyErr = fmt.Errorf("postgres: reading the blob body: %w", readErr)
				return bodyErr
			}
		}
		sum = h.Sum(nil)
		_, err := tx.Exec(ctx, `UPDATE blobs SET size = $2, sha256 = $3, chunks = $4 WHERE key = $1`, key, size, sum, n)
		return err
	})
	if bodyErr != nil {
		// Not a database failure: a client that went away must not read
		// as "database unavailable".
		return 0, nil, bodyErr
	}
	if err != nil {
		return 0, nil, translateErr(ctx, err)
	}
	return size, sum, nil
}

// PutFunc stores under key what write writes to the writer it is given,
// as Put stores a reader's bytes (in ChunkSize chunks, in one
// transaction; the last may be up to ChunkSlack longer), without a
// SHA-256: the caller has the digest it needs
// (the service sealing attachment bytes hashes the plaintext). More than
// max bytes fail the write with ETOOLARGE; an error from write fails the
// Put as it is, and nothing is left behind.
func (s *BlobStore) PutFunc(ctx context.Context, key string, max int64, write func(w io.Writer) error) (int64, error) {
	if err := checkBlobKey(key); err != nil {
		return 0, err
	}
	var size int64
	var writeErr error // write's own failure, the client's doing unless cw's
	conn, err := s.conns.acquire(ctx)
	if err != nil {
		return 0, translateErr(ctx, err)
	}
	defer conn.Release()
	var cw *chunkWriter
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM blobs WHERE key = $1`, key); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO blobs (key, size, sha256, chunks) VALUES ($1, 0, '', 0)`, key); err != nil {
			return err
		}
		cw = &chunkWriter{ctx: ctx, tx: tx, key: key, size: s.chunkSize,
			buf: make([]byte, 0, s.chunkSize+s.chunkSize/16), left: max, max: max}
		if writeErr = write(cw); writeErr != nil {
			return writeErr
		}
		if err := cw.flush(); err != nil {
			return err
		}
		size = max - cw.left
		_, err := tx.Exec(ctx, `UPDATE blobs SET size = $2, chunks = $3 WHERE key = $1`, key, size, cw.n)
		return err
	})
	if writeErr != nil && (cw == nil || cw.err == nil) {
		// Not a database failure: a client that went away must not read
		// as "database unavailable".
		return 0, writeErr
	}
	if err != nil {
		return 0, translateErr(ctx, err)
	}
	return size, nil
}

// chunkWriter inserts what is written to it as the chunks of a blob: each
// of size bytes but the last, which takes the rest once flush is called
// (up to the slack that buf holds beyond size).
type chunkWriter struct {
	ctx  context.Context
	tx   pgx.Tx
	key  string
	size int    // the size of every chunk but the last
	buf  []byte // the chunk being filled, and the next one's first bytes
	n    int    // chunks inserted
	left int64
	max  int64
	err  error // the first database failure
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		return 0, &convstore.Error{Code: convstore.ETOOLARGE, Field: "body",
			Message: fmt.Sprintf("body must be at most %d bytes", c.max)}
	}
	written := 0
	for len(p) > 0 {
		if len(c.buf) == cap(c.buf) {
			// More bytes than the last chunk may hold: the first size of
			// them are a chunk.
			if err := c.insert(c.buf[:c.size]); err != nil {
				return written, err
			}
			c.buf = c.buf[:copy(c.buf, c.buf[c.size:])]
		}
		k := copy(c.buf[len(c.buf):cap(c.buf)], p)
		c.buf = c.buf[:len(c.buf)+k]
		p = p[k:]
		written += k
		c.left -= int64(k)
	}
	return written, nil
}

// flush inserts the buffered bytes as the last chunk, if there are any.
func (c *chunkWriter) flush() error {
	if c.err != nil || len(c.buf) == 0 {
		return c.err
	}
	if err := c.insert(c.buf); err != nil {
		return err
	}
	c.buf = c.buf[:0]
	return nil
}

// insert inserts data as the next chunk.
func (c *chunkWriter) insert(data []byte) error {
	if _, err := c.tx.Exec(c.ctx, `INSERT INTO blob_chunks (key, n, data) VALUES ($1, $2, $3)`, c.key, c.n, data); err != nil {
		c.err = err
		return err
	}
	c.n++
	return nil
}

// Open returns a reader of the blob, which fetches one chunk at a time
// with ctx as it is read. ENOTFOUND if missing. If the blob is deleted
// while being read, reading fails with io.ErrUnexpectedEOF.
func (s *BlobStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	br := &blobReader{ctx: ctx, s: s, key: key}
	err := s.conns.idempotent().QueryRow(ctx, `SELECT size, chunks FROM blobs WHERE key = $1`, key).Scan(&br.size, &br.chunks)
	if err != nil {
		return nil, translateErr(ctx, notFound(err, "blob"))
	}
	return br, nil
}

// Delete removes the blob (its chunks go by cascade); a missing blob is
// not an error.
//
// Called with the ctx a driver transaction gives its function (the
// service removes blobs while that transaction holds the claim on their
// removal, see BlobRemovalClaimDue), it joins that transaction, so the
// bytes and the queue entry go together and no second connection is
// needed. It runs in a savepoint of it: a failed removal is undone alone,
// and the transaction goes on (to reschedule it).
func (s *BlobStore) Delete(ctx context.Context, key string) error {
	const del = `DELETE FROM blobs WHERE key = $1`
	if tx := txFrom(ctx, s.pool); tx != nil {
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			_, err := sp.Exec(ctx, del, key)
			return err
		})
		return translateErr(ctx, err)
	}
	// Deleting twice deletes once: the statement may run again.
	if _, err := s.conns.idempotent().Exec(ctx, del, key); err != nil {
		return translateErr(ctx, err)
	}
	return nil
}

// Keys calls fn with every stored key, in key order. Keys are read a page
// at a time and fn runs between pages, so fn may use the store (delete a
// key, say) without holding up a connection.
func (s *BlobStore) Keys(ctx context.Context, fn func(key string) error) error {
	const pageSize = 1000
	after := ""
	for {
		rows, err := s.conns.idempotent().Query(ctx, `SELECT key FROM blobs WHERE key > $1 ORDER BY key LIMIT $2`, after, pageSize)
		if err != nil {
			return translateErr(ctx, err)
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return translateErr(ctx, err)
		}
		for _, k := range keys {
			if err := fn(k); err != nil {
				return err
			}
		}
		if len(keys) < pageSize {
			return nil
		}
		after = keys[len(keys)-1]
	}
}

// blobReader reads a blob chunk by chunk.
type blobReader struct {
	ctx    context.Context
	s      *BlobStore
	key    string
	size   int64
	chunks int
	next   int    // the chunk to fetch next
	buf    []byte // the unread rest of the current chunk
	read   int64
	closed bool
}

// Read implements io.Reader.
func (r *blobReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("postgres: read of a closed blob")
	}
	for len(r.buf) == 0 {
		if r.next == r.chunks {
			if r.read != r.size {
				return 0, fmt.Errorf("postgres: blob %s: %w", r.key, io.ErrUnexpectedEOF)
			}
			return 0, io.EOF
		}
		var data []byte
		err := r.s.conns.idempotent().QueryRow(r.ctx, `SELECT data FROM blob_chunks WHERE key = $1 AND n = $2`, r.key, r.next).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("postgres: blob %s was removed while being read: %w", r.key, io.ErrUnexpectedEOF)
		} else if err != nil {
			return 0, translateErr(r.ctx, err)
		}
		r.buf = data
		r.next++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.read += int64(n)
	return n, nil
}

// Close releases the current chunk.
func (r *blobReader) Close() error {
	r.closed, r.buf = true, nil
	return nil
}
