package doors_test

import (
	"testing"

	"github.com/convstore/convstore"
)

// TestContentNotCached: conversation content is never stored by a cache on
// the way; every door's read and an attachment download say
// Cache-Control: no-store.
func TestContentNotCached(t *testing.T) {
	w := newWorld(t)
	for i, d := range allDoors {
		id := d.create(w, i)
		c, err := w.env.Store.FindConversationByID(w.ctx, w.env.TenantA, id)
		if err != nil {
			t.Fatal(err)
		}
		r := w.mustStatus(d.read(w, c), 200)
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: a read answers Cache-Control %q, want no-store", d.name, got)
		}
	}

	conv := allDoors[0].create(w, len(allDoors))
	path := "/v1/conversations/" + conv.Format(convstore.PrefixConversation) + "/attachments/call.wav"
	w.mustStatus(w.c.Do("PUT", path, "audio bytes", "Authorization", w.token("Bearer"), "Content-Type", "audio/wav"), 201)
	r := w.mustStatus(w.c.Do("GET", path, nil, "Authorization", w.token("Bearer")), 200)
	if string(r.Body) != "audio bytes" {
		t.Fatalf("download: %q", r.Body)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("an attachment download answers Cache-Control %q, want no-store", got)
	}
}
