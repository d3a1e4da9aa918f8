package seal

import (
	"errors"
	"io"
	"math"
	"sync"
)

// NewWriteAheadWriter is NewWriterWith with each full segment sealed and
// written on a goroutine of its own while the caller fills the next one
// (reading its input and hashing it), at most one segment queued behind
// the one being sealed: three segment buffers in all. Errors of the
// underlying writer reach the caller a segment late, at the latest from
// Close, which waits for the goroutine. A caller that gives up on the
// stream calls Stop instead of Close, so the goroutine ends and the stream
// stays incomplete (it will not open).
func NewWriteAheadWriter(alg Algorithm, dst io.Writer, dek *DEK, aad []byte) *Writer {
	w := NewWriterWith(alg, dst, dek, aad)
	w.ahead = &writeAhead{}
	return w
}

// errWriterStopped is what a Writer returns after Stop.
var errWriterStopped = errors.New("seal: write after Stop")

// Stop ends a write-ahead Writer's goroutine without sealing a last
// segment, waiting for a segment being written. The stream stays
// incomplete; later calls fail. Stopping a Writer that is not write-ahead,
// or after Close, does nothing more than that.
func (w *Writer) Stop() {
	if w.ahead != nil {
		w.ahead.stop()
	}
	if w.err == nil && !w.closed {
		w.err = errWriterStopped
	}
	w.closed = true
}

// writeAhead seals the segments a Writer hands it, in order.
type writeAhead struct {
	started bool
	stopped bool
	work    chan sealJob
	free    chan []byte
	done    chan struct{}
	mu      sync.Mutex
	err     error // the first error writing to the underlying writer
}

type sealJob struct {
	header  []byte // written first, then nil
	buf     []byte
	counter uint32
	final   bool
}

func (a *writeAhead) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// flushAhead hands the buffered plaintext to the goroutine and takes a free
// buffer to fill next.
func (w *Writer) flushAhead(final bool) error {
	a := w.ahead
	if err := a.failed(); err != nil {
		w.err = err
		return err
	}
	if !final && w.counter == math.MaxUint32 {
		w.err = errStreamTooLong
		return w.err
	}
	if !a.started {
		a.started = true
		a.work = make(chan sealJob, 1)
		a.free = make(chan []byte, 2)
		a.done = make(chan struct{})
		a.free <- make([]byte, 0, w.segment+tagSize)
		a.free <- make([]byte, 0, w.segment+tagSize)
		go a.run(w)
	}
	a.work <- sealJob{header: w.header, buf: w.buf, counter: w.counter, final: final}
	w.header = nil
	w.counter++
	w.buf = (<-a.free)[:0]
	return nil
}

// run seals and writes each job; after an error it only recycles buffers.
func (a *writeAhead) run(w *Writer) {
	defer close(a.done)
	nonce := w.nonce // the prefix; the goroutine sets the counter in its copy
	for j := range a.work {
		if a.failed() == nil {
			err := w.writeSegment(j, nonce[:])
			if err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
			}
		}
		a.free <- j.buf
	}
}

// writeSegment seals one job's segment in place and writes it.
func (w *Writer) writeSegment(j sealJob, nonce []byte) error {
	if j.header != nil {
		if _, err := w.dst.Write(j.header); err != nil {
			return err
		}
	}
	setSegmentNonce(nonce, j.counter, j.final)
	_, err := w.dst.Write(w.aead.Seal(j.buf[:0], nonce, j.buf, nil))
	return err
}

// stop ends the goroutine once it has sealed what it was handed.
func (a *writeAhead) stop() {
	if !a.started || a.stopped {
		return
	}
	a.stopped = true
	close(a.work)
	<-a.done
}
