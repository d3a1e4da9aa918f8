package doors_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// keyed sends every request with one Idempotency-Key.
type keyed string

func (k keyed) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Idempotency-Key", string(k))
	return http.DefaultTransport.RoundTrip(r)
}

// withKey returns w whose requests carry the Idempotency-Key key.
func (w *world) withKey(key string) *world {
	c := *w.c
	c.HTTP = &http.Client{Transport: keyed(key)}
	kw := *w
	kw.c = &c
	return &kw
}

func (w *world) receipts(id convstore.ID) int {
	w.t.Helper()
	dels, _, err := w.env.Store.FindDeletions(w.ctx, w.env.TenantA, convstore.DeletionFilter{ConversationID: id})
	if err != nil {
		w.t.Fatal(err)
	}
	return len(dels)
}

// TestIdempotencyKey retries every door's delete with its Idempotency-Key:
// the retry gets the first answer (not the door's 404), the key reused on
// another conversation is 422 in the door's format, and concurrent
// duplicates run once (the others get the answer or 409).
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	n := 100
	for _, d := range allDoors {
		t.Run(d.name, func(t *testing.T) {
			w.t = t
			defer func() { w.t = t }()
			n++
			key := "del-" + d.name
			c := w.conversation(d.create(w, n))
			// A malformed key is refused in the door's format, unrun.
			if r := d.del(w.withKey(`"bad"quote"`), c); r.Status != 400 && r.Status != 422 || d.read(w, c).Status != 200 {
				t.Errorf("a malformed key: %v, want 400 or 422 and nothing deleted", r)
			}
			first := d.del(w.withKey(key), c)
			if first.Status != 200 {
				t.Fatalf("first delete: %v", first)
			}
			again := d.del(w.withKey(key), c)
			if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) || again.ContentType() != first.ContentType() {
				t.Errorf("retry: %v, want the first answer %v", again, first)
			}
			if again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry lacks Idempotent-Replayed: %v", again.Header)
			}
			if got := w.receipts(c.ID); got != 1 {
				t.Errorf("%d receipts after the retry, want 1", got)
			}
			d.gone(w, d.del(w, c)) // without the key: the door's not-found

			n++
			other := w.conversation(d.create(w, n))
			reused := d.del(w.withKey(key), other)
			if reused.Status != 422 || reused.ContentType() != first.ContentType() && d.name != "inkeep" && d.name != "native" {
				t.Errorf("key reused on another conversation: %v, want 422 as %s", reused, first.ContentType())
			}
			if d.read(w, other).Status != 200 {
				t.Errorf("the reused key's request deleted the other conversation")
			}

			// Concurrent duplicates: one delete runs.
			var wg sync.WaitGroup
			answers := make([]*doortest.Response, 6)
			for i := range answers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i] = d.del(w.withKey("race-"+d.name), other)
				}()
			}
			wg.Wait()
			ok := 0
			for _, r := range answers {
				switch {
				case r.Status == 200:
					ok++
				case r.Status != 409:
					t.Errorf("a concurrent duplicate: %v, want 200 or 409", r)
				}
			}
			if ok == 0 {
				t.Errorf("no concurrent duplicate got the answer")
			}
			if got := w.receipts(other.ID); got != 1 {
				t.Errorf("%d receipts after concurrent duplicates, want 1", got)
			}
		})
	}
}
