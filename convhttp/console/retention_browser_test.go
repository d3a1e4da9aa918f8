package console_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/console"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/service"
)

// TestBrowserRetentionDraft edits a retention policy and previews it
// before saving: the draft's counts show what it would erase and differ
// from the saved policy's, nothing is saved until Save, and after saving
// the saved preview is the draft's.
func TestBrowserRetentionDraft(t *testing.T) {
	var mu sync.Mutex
	now := time.Now().Add(-40 * 24 * time.Hour) // the data is made 40 days ago
	e := doortest.NewWithOptions(t, service.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	c := e.Serve(func(s *convhttp.Server) {
		s.Mount("/", v1.New(s))
		s.Mount(console.Prefix, console.New(s))
	})
	w := &world{Env: e, URL: c.URL}
	ctx := context.Background()
	for i := range 3 {
		if _, _, err := w.Store.CreateConversation(ctx, w.TenantA, &convstore.ConversationCreate{AgentID: "bot", UserID: "old-" + string(rune('a'+i)),
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}, {Role: convstore.RoleAssistant, Content: "hello"}}}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = time.Now()
	mu.Unlock()
	if _, err := w.Store.ReplaceRetention(ctx, w.TenantA, []*convstore.RetentionPolicy{{Conversations: &convstore.RetentionRule{Days: 60}}},
		convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	b := newTab(t, w)
	b.signIn(w.KeyA, false)
	b.open("/console/retention")
	if got := b.text("#preview"); !strings.HasPrefix(got, "0 conversations") {
		t.Fatalf("the saved 60-day policy's preview: %q, want nothing due", got)
	}
	// Edit 60 to 30 days and preview: the 40-day-old conversations would go.
	b.do("edit retention", chromedp.Clear(chromedp.ID("conv_days_0")), chromedp.SendKeys(chromedp.ID("conv_days_0"), "30"))
	if st := b.nav("preview retention", chromedp.Click(chromedp.ID("preview-retention"))); st != 200 {
		t.Fatalf("preview retention: %d %s", st, b.text("main"))
	}
	if got := b.text(`[data-field="draft.conversations"]`); got != "3" {
		t.Errorf("the draft would erase %q conversations, want 3 (%s)", got, b.text("#draft-preview"))
	}
	if got := b.text(`[data-field="draft.messages"]`); got != "6" {
		t.Errorf("the draft would erase %q messages, want 6", got)
	}
	if got := b.text("#preview"); !strings.HasPrefix(got, "0 conversations") {
		t.Errorf("the saved policy's preview beside the draft: %q, want still nothing", got)
	}
	if v := eval[string](b, `document.getElementById("conv_days_0").value`); v != "30" {
		t.Errorf("the form shows %q days after the preview, want the edit kept", v)
	}
	if pol, err := w.Store.FindRetention(ctx, w.TenantA); err != nil || len(pol) != 1 || pol[0].Conversations.Days != 60 {
		t.Fatalf("a preview saved the draft: %+v, %v", pol, err)
	}
	b.screenshot("retention-draft")
	// Save: the saved preview is now the draft's.
	if st := b.nav("save retention", chromedp.Click(chromedp.ID("save-retention"))); st != 200 {
		t.Fatalf("save retention: %d %s", st, b.text("main"))
	}
	if pol, err := w.Store.FindRetention(ctx, w.TenantA); err != nil || len(pol) != 1 || pol[0].Conversations.Days != 30 {
		t.Fatalf("retention after saving: %+v, %v", pol, err)
	}
	if got := b.text("#preview"); !strings.HasPrefix(got, "3 conversations (6 messages)") {
		t.Errorf("the saved preview after saving: %q, want the draft's 3 conversations", got)
	}
	if n := eval[int](b, `document.querySelectorAll("#draft-preview").length`); n != 0 {
		t.Errorf("a draft preview is still shown after saving")
	}
}
