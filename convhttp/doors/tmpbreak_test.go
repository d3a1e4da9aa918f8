package doors_test

import (
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestTmpBreakdown(t *testing.T) {
	w, _ := listWorld(t, sqliteDriver(t))
	fillList(t, w, 100, 100)
	s, ten := w.env.Store, w.env.TenantA
	f := convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 100}}
	tm := func(name string, fn func()) {
		fn()
		t0 := time.Now()
		for range 20 {
			fn()
		}
		t.Logf("%-30s %.2f ms", name, time.Since(t0).Seconds()*1e3/20)
	}
	var dg []*convstore.ConversationDigest
	tm("FindConversations", func() { s.FindConversations(w.ctx, ten, f) })
	tm("Digests Last0", func() { s.FindConversationDigests(w.ctx, ten, f, convstore.DigestOptions{}) })
	tm("Digests Last1", func() { dg, _, _ = s.FindConversationDigests(w.ctx, ten, f, convstore.DigestOptions{Last: 1}) })
	r4 := make([]convstore.ArtifactRange, 0)
	r2 := make([]convstore.ArtifactRange, 0)
	for _, d := range dg {
		r4 = append(r4, convstore.ArtifactRange{ConversationID: d.Conversation.ID, PageFilter: convstore.PageFilter{Limit: 4, Order: convstore.OrderDesc}})
		for _, ty := range []convstore.ArtifactType{convstore.ArtifactSummary, convstore.ArtifactAnalysis} {
			r2 = append(r2, convstore.ArtifactRange{ConversationID: d.Conversation.ID, Type: ty, PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc}})
		}
	}
	tm("ArtifactPages 4 any", func() { s.FindArtifactPages(w.ctx, ten, r4) })
	tm("ArtifactPages 2x1 typed", func() { s.FindArtifactPages(w.ctx, ten, r2) })
	rm := make([]convstore.MessageRange, 0)
	for _, d := range dg {
		rm = append(rm, convstore.MessageRange{ConversationID: d.Conversation.ID, PageFilter: convstore.PageFilter{Limit: 100}})
	}
	tm("MessagePages 100x100", func() { s.FindMessagePages(w.ctx, ten, rm) })
}
