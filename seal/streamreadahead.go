package seal

import (
	"crypto/cipher"
	"runtime"
	"sync"
	"time"
)

// readAhead opens segments on helper goroutines ahead of the caller, who
// opens any segment no helper has taken yet itself rather than wait for
// one. Every segment is read from the source in order, under mu, by
// whoever claims it; only opening runs side by side. On an idle core a
// helper opens the next segments while the caller opens or hands on the
// current one, so a download uses two cores; on a busy host the helpers
// rarely get a turn and the caller goes on as a plain Reader would,
// without waiting on a handoff.
//
// Segment i lives in slots[i%len(slots)]. The caller holds the slot of the
// segment it consumes (low) until its next call; helpers claim segments
// below low+len(slots) only, so no slot is filled while its bytes are
// still being consumed, and memory stays at len(slots) segments.
type readAhead struct {
	mu      sync.Mutex
	cond    sync.Cond // helpers wait here for a free slot
	slots   []aheadSlot
	low     uint64 // the segment the caller holds (or wants next)
	want    uint64 // the segment the caller's next call returns
	claimed uint64 // segments claimed so far, by the caller or a helper
	ended   bool   // a claimed segment was the final one or failed: claim no more
	stopped bool
	retired bool // the helpers fell behind: the caller opens the rest alone
	waiting int  // helpers waiting on cond
	started bool
	helped  uint64 // segments claimed by helpers (for tests)
	helpers sync.WaitGroup
}

// aheadSlot holds one segment being read, opened or consumed.
type aheadSlot struct {
	buf  []byte
	res  opened
	done chan struct{} // receives once res is set by a helper
}

// aheadSlots is how many segments a read-ahead Reader holds per opener
// (the caller and each helper).
const aheadSlots = 4

// maxReadAheadHelpers bounds the helpers of one Reader: past three, the
// cipher outruns any source here and more only take turns.
const maxReadAheadHelpers = 3

// aheadHelpers is how many helpers a read-ahead Reader starts: one per
// core besides the caller's, at most maxReadAheadHelpers; none with one
// core, where the Reader works as a plain one.
func aheadHelpers() int { return min(maxReadAheadHelpers, runtime.GOMAXPROCS(0)-1) }

// next returns the caller's next segment. One a helper has opened is
// returned at once. While a helper is still opening it, the caller opens
// segments further on that no one has claimed (within the window) rather
// than wait, so that the caller and the helpers open side by side; it
// waits only when there is nothing left to claim. A segment no one has
// claimed yet it reads and opens itself.
func (a *readAhead) next(s *segmenter) opened {
	if a.slots == nil {
		helpers := aheadHelpers()
		a.slots = make([]aheadSlot, aheadSlots*(helpers+1))
		for i := range a.slots {
			a.slots[i].done = make(chan struct{}, 1)
		}
		a.cond.L = &a.mu
	}
	a.mu.Lock()
	a.low = a.want // the caller is done with the segment before
	j := a.want
	a.want++
	if a.waiting > 0 && a.claimed+uint64(len(a.slots))/2 <= a.low+uint64(len(a.slots)) {
		// Waiting helpers wake once half the window is free, not for
		// every segment: each wake costs the scheduler more than a
		// segment's share of it.
		a.cond.Broadcast()
	}
	sl := &a.slots[j%uint64(len(a.slots))]
	if j == a.claimed { // no one has it: read and open it here
		a.claimed++
		seg := s.read(&sl.buf)
		if seg.err != nil || seg.final {
			a.ended = true
		}
		start := !a.started && !a.ended
		a.started = a.started || start
		a.mu.Unlock()
		if start { // the header is read and more segments follow
			a.start(s)
		}
		if seg.err != nil {
			return opened{buf: sl.buf, err: seg.err}
		}
		return seg.open(s.aead, s.nonce[:])
	}
	for {
		select {
		case <-sl.done:
			a.mu.Unlock()
			return sl.res
		default:
		}
		if !a.claim(s, s.aead, s.nonce[:], false) {
			a.mu.Unlock()
			a.await(sl)
			return sl.res
		}
	}
}

// claim, called with mu held, reads the next unclaimed segment within the
// window and opens it into its slot, with mu released meanwhile. It
// returns false, having done nothing, when there is no such segment.
func (a *readAhead) claim(s *segmenter, aead cipher.AEAD, nonce []byte, helper bool) bool {
	if a.stopped || a.ended || a.claimed >= a.low+uint64(len(a.slots)) {
		return false
	}
	sl := &a.slots[a.claimed%uint64(len(a.slots))]
	a.claimed++
	seg := s.read(&sl.buf)
	if seg.err != nil || seg.final {
		a.ended = true
		if a.waiting > 0 {
			a.cond.Broadcast() // the waiting helpers can go
		}
	}
	a.mu.Unlock()
	if helper && helperPause != nil {
		helperPause()
	}
	if seg.err != nil {
		sl.res = opened{buf: sl.buf, err: seg.err}
	} else {
		sl.res = seg.open(aead, nonce)
	}
	sl.done <- struct{}{} // never blocks: the slot's last result was taken
	a.mu.Lock()
	return true
}

// start starts the helpers, each with a cipher and nonce of its own.
func (a *readAhead) start(s *segmenter) {
	for range aheadHelpers() {
		aead, err := streamAEAD(s.dek, s.header, s.aad)
		if err != nil {
			panic(err) // s.aead was made from the same header
		}
		nonce := s.nonce
		a.helpers.Go(func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			for {
				// On a full window, wait until half of it is free.
				if n := uint64(len(a.slots)); a.claimed >= a.low+n {
					for !a.stopped && !a.ended && !a.retired && a.claimed+n/2 > a.low+n {
						a.waiting++
						a.cond.Wait()
						a.waiting--
					}
				}
				if a.stopped || a.ended || a.retired {
					return
				}
				a.helped++
				a.claim(s, aead, nonce[:], true)
			}
		})
	}
}

// helperPause, when set (by tests), is called by a helper between
// claiming a segment and opening it, as if other load took its core.
var helperPause func()

// helperLate is how long the caller waits for a helper's segment before
// it retires the helpers: a 64 KiB segment opens in about 20 µs, so a
// helper this late was taken off its core by other load, and waiting on
// helpers that may be again costs more than they save.
const helperLate = 250 * time.Microsecond

// await waits for a helper's segment in sl, retiring the helpers if it
// came late: from then on the caller opens every segment not yet claimed.
func (a *readAhead) await(sl *aheadSlot) {
	select {
	case <-sl.done:
		return
	default:
	}
	start := time.Now()
	<-sl.done
	if time.Since(start) > helperLate {
		a.mu.Lock()
		a.retired = true
		if a.waiting > 0 {
			a.cond.Broadcast()
		}
		a.mu.Unlock()
	}
}

// close stops the helpers, waits for them (a source read under way is
// finished, not interrupted) and returns the buffers to the pool.
func (a *readAhead) close() {
	if a.slots == nil {
		return
	}
	a.mu.Lock()
	a.stopped = true
	a.cond.Broadcast()
	a.mu.Unlock()
	a.helpers.Wait()
	for i := range a.slots {
		putSegmentBuffer(a.slots[i].buf)
		a.slots[i] = aheadSlot{}
	}
}

// full reports whether the helpers have claimed every slot they may
// (for tests).
func (a *readAhead) full() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return aheadHelpers() == 0 || a.ended || a.claimed >= a.low+uint64(len(a.slots)) && a.waiting == aheadHelpers()
}
