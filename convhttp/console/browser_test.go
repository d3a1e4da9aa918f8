package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// The browser tests drive headless Chromium (Debian's chromium package;
// .ci/run installs it). Without one they skip, unless
// CONVSTORE_TEST_BROWSER=1, which makes a missing browser a failure.
// Screenshots of the pages go to $CONVSTORE_SCREENSHOT_DIR, or to a
// temporary directory the test logs.

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CONVSTORE_TEST_BROWSER") == "1" {
		t.Fatal("CONVSTORE_TEST_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH: the browser tests are skipped (set CONVSTORE_TEST_BROWSER=1 to make this a failure)")
	return ""
}

// tab is one browser tab of a test, on a world's server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string // screenshot directory
}

func newTab(t *testing.T, w *world) *tab {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1100, 800))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// Start the browser without a deadline (a deadline would stop it).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dir := os.Getenv("CONVSTORE_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &tab{t: t, ctx: ctx, base: w.URL, shot: dir}
}

// do runs steps with a deadline, failing the test with what on error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s: %v (at %s)", what, err, loc)
	}
}

// nav runs steps that navigate (a link, a form) and returns the status of
// the page they lead to.
func (b *tab) nav(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

func (b *tab) open(path string) int64 {
	b.t.Helper()
	return b.nav("open "+path, chromedp.Navigate(b.base+path))
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent`, sel))
}

func (b *tab) heading() string { return strings.TrimSpace(b.text("h1")) }

func (b *tab) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// signIn signs the tab in with key through the sign-in page.
func (b *tab) signIn(key string, shot bool) {
	b.t.Helper()
	b.open("/console/")
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.HasSuffix(loc, "/console/signin") {
		b.t.Fatalf("without a session the console shows %s, want the sign-in page", loc)
	}
	if shot {
		b.screenshot("signin")
	}
	b.do("type the key", chromedp.SendKeys(chromedp.ID("key"), key))
	if st := b.nav("sign in", chromedp.Submit(chromedp.ID("key"))); st != 200 || b.heading() != "Dashboard" {
		b.t.Fatalf("after sign-in: %d %q", st, b.heading())
	}
}

func (b *tab) signOut() {
	b.t.Helper()
	if st := b.nav("sign out", chromedp.Click(chromedp.CSS(".signout button"))); st != 200 || b.heading() != "Sign in" {
		b.t.Fatalf("after sign-out: %d %q", st, b.heading())
	}
	b.open("/console/")
	if b.heading() != "Sign in" {
		b.t.Fatalf("after sign-out the dashboard shows %q", b.heading())
	}
}

// checkAccessible checks what a screen-reader or keyboard user needs of a
// page: every visible form field has a label, every button a name, one h1,
// and a skip link to the main content as the first focusable element.
func (b *tab) checkAccessible(page string) {
	b.t.Helper()
	unlabelled := eval[[]string](b, `Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea")).filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")).map(e => e.name || e.id)`)
	if len(unlabelled) > 0 {
		b.t.Errorf("%s: fields without a label: %v", page, unlabelled)
	}
	nameless := eval[int](b, `Array.from(document.querySelectorAll("button")).filter(e => !(e.getAttribute("aria-label") || e.textContent.trim())).length`)
	if nameless > 0 {
		b.t.Errorf("%s: %d buttons without a name", page, nameless)
	}
	if n := eval[int](b, `document.querySelectorAll("h1").length`); n != 1 {
		b.t.Errorf("%s: %d h1 elements", page, n)
	}
	first := eval[string](b, `(() => { const f = document.querySelector("a[href], button, input:not([type=hidden]), select"); return f.getAttribute("href") || f.tagName; })()`)
	if first != "#main" {
		b.t.Errorf("%s: the first focusable element is %q, want the skip link", page, first)
	}
}

// startSweeper runs the store's background work (erasure jobs among it)
// until the test ends.
func startSweeper(t *testing.T, w *world) {
	svc, ok := w.Store.(*service.Service)
	if !ok {
		t.Fatalf("store %T is not the service tier", w.Store)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunSweeper(ctx, 50*time.Millisecond)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// TestBrowserErasureJourney answers an erasure request the way a privacy
// officer would: sign in, find the person, preview, confirm by typing the
// user id, watch the job finish without a reload, take the receipt; then
// place a hold and see a delete refused, release it, edit retention, and
// sign out.
func TestBrowserErasureJourney(t *testing.T) {
	w := newWorld(t)
	b := newTab(t, w)
	ctx := context.Background()
	const user = "ana.lopez@example.com"
	var anas []*convstore.Conversation
	doors := []string{"native", "stammer", "native"}
	for i, agent := range []string{"support-bot", "support-bot", "voice-agent"} {
		c, _, err := w.Store.CreateConversation(ctx, w.TenantA, &convstore.ConversationCreate{
			UserID: user, AgentID: agent, Title: fmt.Sprintf("Order question %d", i+1), Door: doors[i],
			Messages: []*convstore.MessageCreate{
				{Role: convstore.RoleUser, Content: "Where is my order?"},
				{Role: convstore.RoleAssistant, Content: "It ships tomorrow."},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		anas = append(anas, c)
	}
	if _, err := w.Store.PutAttachment(ctx, w.TenantA, anas[2].ID, &convstore.AttachmentPut{Name: "call.wav", ContentType: "audio/wav",
		Body: strings.NewReader(strings.Repeat("RIFF", 1000))}); err != nil {
		t.Fatal(err)
	}
	bob := w.seed(t, w.TenantA, "bob-7", "Refund", "I want a refund")

	b.signIn(w.KeyA, true)
	b.screenshot("dashboard")

	// Find the person by user id.
	if b.open("/console/find") != 200 {
		t.Fatal("find page")
	}
	b.do("search", chromedp.Click(chromedp.CSS(`input[name=by][value=user]`)), chromedp.SendKeys(chromedp.ID("q"), user))
	b.screenshot("find")
	if st := b.nav("find", chromedp.Submit(chromedp.ID("q"))); st != 200 || b.heading() != "Person "+user {
		t.Fatalf("find: %d %q", st, b.heading())
	}
	got := eval[[]string](b, `Array.from(document.querySelectorAll(".tile .num")).map(e => e.textContent)`)
	if len(got) != 4 || got[0] != "3" || got[1] != "6" || got[2] != "1" {
		t.Fatalf("person totals %q, want 3 conversations, 6 messages, 1 attachment", got)
	}
	if n := eval[int](b, `document.querySelector("#person-conversations").tBodies[0].rows.length`); n != 3 {
		t.Errorf("%d conversation rows, want 3", n)
	}
	// What is held, per door and per agent and door: counts of
	// conversations, messages, attachments and their bytes.
	rows := func(sel string) string {
		return eval[string](b, `Array.from(document.querySelectorAll("`+sel+` tbody tr")).map(r => Array.from(r.cells).map(c => c.textContent.trim()).join(",")).join(";")`)
	}
	if got, want := rows("#per-door"), "native,2,4,1,3.9 KiB;stammer,1,2,0,0 B"; got != want {
		t.Errorf("per door: %q, want %q", got, want)
	}
	if got, want := rows("#per-agent-door"), "support-bot,native,1,2,0,0 B;support-bot,stammer,1,2,0,0 B;voice-agent,native,1,2,1,3.9 KiB"; got != want {
		t.Errorf("per agent and door: %q, want %q", got, want)
	}
	b.screenshot("person")

	// Preview: a dry run with the counts, nothing deleted.
	if st := b.nav("preview", chromedp.Click(chromedp.ID("preview"))); st != 200 || b.heading() != "Erasure job" {
		t.Fatalf("preview: %d %q", st, b.heading())
	}
	if c := b.text(`[data-field="total.conversations"]`); c != "3" {
		t.Errorf("preview counts %q conversations, want 3", c)
	}
	if m := b.text(`[data-field="total.messages"]`); m != "6" {
		t.Errorf("preview counts %q messages, want 6", m)
	}
	if _, err := w.Store.FindConversationByID(ctx, w.TenantA, anas[0].ID); err != nil {
		t.Fatalf("the preview deleted: %v", err)
	}
	// The button stays disabled until the user id is typed exactly.
	b.do("type a wrong confirmation", chromedp.SendKeys(chromedp.ID("confirm"), "ana"))
	if !eval[bool](b, `document.getElementById("erase").disabled`) {
		t.Error("Erase is enabled before the confirmation matches")
	}
	b.do("type the confirmation", chromedp.SendKeys(chromedp.ID("confirm"), strings.TrimPrefix(user, "ana")))
	if eval[bool](b, `document.getElementById("erase").disabled`) {
		t.Fatal("Erase stays disabled after the user id was typed")
	}
	b.screenshot("preview")

	// Erase. No worker runs yet, so the page shows the queued job; then
	// the progress must arrive without a reload.
	if st := b.nav("erase", chromedp.Click(chromedp.ID("erase"))); st != 200 {
		t.Fatalf("erase: %d", st)
	}
	if s := b.text(`[data-field="state"]`); s != "queued" {
		t.Fatalf("job state %q before any worker ran, want queued", s)
	}
	if !eval[bool](b, `document.getElementById("receipt-links").hidden`) {
		t.Error("the receipt links show before the job finished")
	}
	eval[bool](b, `window.__samePage = true`)
	startSweeper(t, w)
	b.do("wait for the job", chromedp.WaitVisible(chromedp.ID("receipt-json")))
	if s := b.text(`[data-field="state"]`); s != "succeeded" {
		t.Fatalf("job state %q, want succeeded", s)
	}
	if !eval[bool](b, `window.__samePage === true`) {
		t.Error("the page reloaded to show the progress")
	}
	if d := b.text(`[data-field="done.conversations"]`); d != "3" {
		t.Errorf("erased %q conversations, want 3", d)
	}
	b.screenshot("erasure")
	for _, c := range anas {
		if _, err := w.Store.FindConversationByID(ctx, w.TenantA, c.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("conversation %v after the erasure: %v", c.ID, err)
		}
	}

	// The receipt as JSON, downloaded by the page's own link.
	receiptRaw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(async () => {
		const a = document.getElementById("receipt-json");
		const r = await fetch(a.href);
		return JSON.stringify({disposition: r.headers.get("Content-Disposition"), download: a.hasAttribute("download"), body: await r.json()});
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var rc struct {
		Disposition string `json:"disposition"`
		Download    bool   `json:"download"`
		Body        struct {
			Object  string `json:"object"`
			Erasure struct {
				State  string `json:"state"`
				DryRun bool   `json:"dry_run"`
			} `json:"erasure"`
			Deletions []struct {
				ConversationID string `json:"conversation_id"`
				Messages       int    `json:"messages"`
			} `json:"deletions"`
			GeneratedByKey string `json:"generated_by_key"`
		} `json:"body"`
	}
	if err := json.Unmarshal([]byte(receiptRaw), &rc); err != nil {
		t.Fatalf("receipt: %v: %s", err, receiptRaw)
	}
	if !strings.HasPrefix(rc.Disposition, "attachment;") || !rc.Download || rc.Body.Object != "erasure_receipt" ||
		rc.Body.Erasure.State != "succeeded" || rc.Body.Erasure.DryRun || len(rc.Body.Deletions) != 3 ||
		rc.Body.GeneratedByKey != w.KeyAID.Format(convstore.PrefixKey) {
		t.Errorf("receipt JSON: %s", receiptRaw)
	}
	for _, d := range rc.Body.Deletions {
		if d.Messages != 2 {
			t.Errorf("receipt deletion %+v, want 2 messages", d)
		}
	}
	// And as a printable page.
	if st := b.nav("receipt page", chromedp.Click(chromedp.ID("receipt-page"))); st != 200 || b.heading() != "Erasure receipt" {
		t.Fatalf("receipt page: %d %q", st, b.heading())
	}
	if n := eval[int](b, `document.querySelector(".receipt table").tBodies[0].rows.length`); n != 3 {
		t.Errorf("the printable receipt lists %d deletions, want 3", n)
	}
	if !strings.Contains(b.text(".receipt"), "3 conversations, 6 messages") {
		t.Errorf("the printable receipt: %s", b.text(".receipt"))
	}
	b.screenshot("receipt")
	b.open("/console/erasures")
	if n := eval[int](b, `document.querySelector("main table").tBodies[0].rows.length`); n != 2 {
		t.Errorf("the erasures page lists %d jobs, want the preview and the erasure", n)
	}
	b.screenshot("erasures")

	// A hold on Bob's conversation refuses its delete until released.
	bobID := bob.ID.Format(convstore.PrefixConversation)
	b.open("/console/holds")
	b.do("fill the hold form", chromedp.SetValue(chromedp.ID("kind"), "conversation"),
		chromedp.SendKeys(chromedp.ID("target"), bobID), chromedp.SendKeys(chromedp.ID("reason"), "Matter 2026-114 (refund dispute)"))
	if st := b.nav("place hold", chromedp.Click(chromedp.ID("place-hold"))); st != 200 || !strings.Contains(b.text("main table"), "Matter 2026-114") {
		t.Fatalf("place hold: %d %s", st, b.text("main"))
	}
	b.screenshot("holds")
	b.open("/console/conversations/" + bobID)
	b.screenshot("conversation")
	b.do("confirm delete", chromedp.SendKeys(chromedp.ID("confirm-delete"), "delete"))
	if st := b.nav("delete held", chromedp.Click(chromedp.ID("delete-conversation"))); st != http.StatusConflict || !strings.Contains(b.text("main"), "legal hold") {
		t.Fatalf("delete under hold: %d %s", st, b.text("main"))
	}
	if _, err := w.Store.FindConversationByID(ctx, w.TenantA, bob.ID); err != nil {
		t.Fatalf("the held conversation: %v", err)
	}
	b.open("/console/holds")
	if st := b.nav("release", chromedp.Click(chromedp.CSS(`main table form button`))); st != 200 || !strings.Contains(b.text("main table"), "No holds.") {
		t.Fatalf("release: %d %s", st, b.text("main table"))
	}
	b.open("/console/conversations/" + bobID)
	b.do("confirm delete", chromedp.SendKeys(chromedp.ID("confirm-delete"), "delete"))
	if st := b.nav("delete", chromedp.Click(chromedp.ID("delete-conversation"))); st != 200 || b.heading() != "Deletion receipts" {
		t.Fatalf("delete after release: %d %q", st, b.heading())
	}
	if _, err := w.Store.FindConversationByID(ctx, w.TenantA, bob.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("deleted conversation: %v", err)
	}
	b.screenshot("deletions")

	// Retention: set the default policy to 30 days, see the preview.
	b.open("/console/retention")
	b.do("edit retention", chromedp.SendKeys(chromedp.ID("conv_days_0"), "30"), chromedp.SendKeys(chromedp.ID("att_days_0"), "7"))
	if st := b.nav("save retention", chromedp.Click(chromedp.ID("save-retention"))); st != 200 {
		t.Fatalf("save retention: %d %s", st, b.text("main"))
	}
	pol, err := w.Store.FindRetention(ctx, w.TenantA)
	if err != nil || len(pol) != 1 || pol[0].AgentID != "" || pol[0].Conversations == nil || pol[0].Conversations.Days != 30 ||
		pol[0].Attachments == nil || pol[0].Attachments.Days != 7 {
		t.Fatalf("retention after the edit: %+v, %v", pol, err)
	}
	if v := eval[string](b, `document.getElementById("conv_days_0").value`); v != "30" {
		t.Errorf("the page shows %q days after saving", v)
	}
	if !strings.Contains(b.text("#preview"), "conversations") {
		t.Errorf("no retention preview: %q", b.text("#preview"))
	}
	b.screenshot("retention")

	b.open("/console/audit")
	if !strings.Contains(b.text("main table"), "erasure.create") || !strings.Contains(b.text("main table"), "hold.release") {
		t.Errorf("audit log: %s", b.text("main table"))
	}
	b.screenshot("audit")
	b.open("/console/")
	if n := eval[int](b, `document.querySelectorAll("svg.chart rect").length`); n == 0 {
		t.Error("the dashboard draws no bars after deletions")
	}
	b.screenshot("dashboard")

	// Narrow screens: nothing but tables scrolls sideways.
	b.do("narrow", chromedp.EmulateViewport(380, 800))
	for _, p := range []string{"/console/", "/console/find", "/console/deletions", "/console/retention", "/console/holds", "/console/erasures"} {
		b.open(p)
		b.checkAccessible(p)
		if wide := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); wide {
			culprits := eval[[]string](b, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1)).map(e => e.tagName + "#" + e.id + "." + e.className)`)
			t.Errorf("%s overflows a 380px screen: %v", p, culprits)
		}
	}
	b.open("/console/")
	b.screenshot("narrow")
	b.do("wide", chromedp.EmulateViewport(1100, 800))

	b.signOut()
}

// TestBrowserXSS stores script, markup and line-breaking characters in
// every field the console shows and proves none of it runs or changes the
// page's structure.
func TestBrowserXSS(t *testing.T) {
	w := newWorld(t)
	b := newTab(t, w)
	ctx := context.Background()
	const payload = `"><script>window.__xss=1</script><img src=x onerror="window.__xss=2"><svg onload="window.__xss=3">`
	user := `u</a><script>window.__xss=4</script>"'` + "\u2028\u2029"
	c, _, err := w.Store.CreateConversation(ctx, w.TenantA, &convstore.ConversationCreate{
		UserID: user, AgentID: "agent" + payload, ExternalID: "ext" + payload, Title: "title" + payload + "\u202e",
		Metadata: convstore.Metadata{"k" + "<b>": "v" + payload},
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, AuthorName: "name" + payload,
			Content: "line1\r\n\t</div></li></ol><script>window.__xss=5</script>" + payload + "\u2028`${window.__xss=6}`"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Attachment names are restricted to [A-Za-z0-9._-]; a media type's
	// quoted parameter is not.
	if _, err := w.Store.PutAttachment(ctx, w.TenantA, c.ID, &convstore.AttachmentPut{Name: "a.txt",
		ContentType: `text/plain; name="<img src=x onerror=window.__xss=7>"`, Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	keyA, _ := w.Store.Authenticate(ctx, w.KeyA)
	if _, err := w.Store.CreateHold(ctx, w.TenantA, &convstore.HoldCreate{AgentID: "agent" + payload, Reason: "reason" + payload},
		convstore.DeleteParams{ActorKeyID: keyA.ID, Door: "test"}); err != nil {
		t.Fatal(err)
	}
	b.signIn(w.KeyA, false)
	check := func(page string, wantText ...string) {
		t.Helper()
		if st := b.open(page); st != 200 {
			t.Fatalf("%s: %d", page, st)
		}
		// Only the console's own script, no injected element, and the
		// payload shown as text.
		if x := eval[string](b, `String(window.__xss)`); x != "undefined" {
			t.Errorf("%s: a payload ran (__xss=%s)", page, x)
		}
		if n := eval[int](b, `document.scripts.length`); n != 1 {
			t.Errorf("%s: %d script elements, want the console's one", page, n)
		}
		if n := eval[int](b, `document.querySelectorAll("img, main svg:not(.chart), b, [onerror], [onload]").length`); n != 0 {
			t.Errorf("%s: %d injected elements", page, n)
		}
		body := eval[string](b, `document.querySelector("main").innerText`)
		for _, s := range wantText {
			if !strings.Contains(body, s) {
				t.Errorf("%s does not show %q as text", page, s)
			}
		}
		if eval[string](b, `document.querySelector("header .brand").textContent`) != "convstore console" {
			t.Errorf("%s: the page header is broken", page)
		}
	}
	check("/console/people?user_id="+urlQuery(user), "title"+`"><script>window.__xss=1</script>`, "agent"+`"><script>`)
	check("/console/conversations/"+c.ID.Format(convstore.PrefixConversation), "name"+`"><script>`, `</div></li></ol><script>window.__xss=5</script>`, "k<b>", "v\"><script>",
		`name="<img src=x onerror=window.__xss=7>"`)
	check("/console/holds", "reason"+`"><script>`)
	check("/console/find?by=external&q="+urlQuery("ext"+payload), "Person u</a><script>window.__xss=4</script>")
	// The preview page puts the user id in attributes (hidden field, the
	// typed-confirmation match).
	b.open("/console/people?user_id=" + urlQuery(user))
	if st := b.nav("preview", chromedp.Click(chromedp.ID("preview"))); st != 200 {
		t.Fatalf("preview: %d", st)
	}
	if x := eval[string](b, `String(window.__xss)`); x != "undefined" {
		t.Errorf("preview page: a payload ran (__xss=%s)", x)
	}
	if v := eval[string](b, `document.querySelector("input[name=user_id]").value`); v != user {
		t.Errorf("the preview form carries user id %q, want %q", v, user)
	}
	if v := eval[string](b, `document.getElementById("confirm").dataset.confirmMatch`); v != user {
		t.Errorf("the confirmation must match %q, want %q", v, user)
	}
	b.screenshot("xss-conversation")
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B", " ", "%20", "\"", "%22", "<", "%3C", ">", "%3E", "'", "%27", "`", "%60")
	return r.Replace(s)
}

// TestBrowserCrossSite: a page of another origin that auto-submits a form
// to the console, in the browser of a signed-in user, changes nothing; and
// tenant B's session cannot see tenant A's conversation.
func TestBrowserCrossSite(t *testing.T) {
	w := newWorld(t)
	b := newTab(t, w)
	conv := w.seed(t, w.TenantA, "victim", "A's private title", "A's private content")
	b.signIn(w.KeyA, false)
	evil := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(rw, `<!doctype html><form id=f method=post action="%s/console/holds">
<input name=kind value=user><input name=target value=victim><input name=reason value=forged><input name=csrf value=guess></form>
<form id=g method=post action="%s/console/conversations/%s/delete"><input name=confirm value=delete></form>
<script>document.getElementById(%q).submit()</script>`, w.URL, w.URL, conv.ID.Format(convstore.PrefixConversation), r.URL.Query().Get("form"))
	}))
	t.Cleanup(evil.Close)
	// The evil page is another origin (another port of 127.0.0.1 is
	// same-site but cross-origin; localhost names another site).
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	for _, form := range []string{"f", "g"} {
		b.do("evil page "+form, chromedp.Navigate(evilURL+"/?form="+form),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`location.href.startsWith(%q) && document.readyState === "complete"`, w.URL+"/console/")))
		// SameSite=Strict kept the session cookie off the forged request.
		if h := b.heading(); h != "Unauthorized" && h != "Forbidden" {
			t.Errorf("forged form %s: %q %s", form, h, b.text("main"))
		}
	}
	ctx := context.Background()
	if list, _, _ := w.Store.FindHolds(ctx, w.TenantA, convstore.HoldFilter{}); len(list) != 0 {
		t.Errorf("a forged form placed %d holds", len(list))
	}
	if _, err := w.Store.FindConversationByID(ctx, w.TenantA, conv.ID); err != nil {
		t.Errorf("a forged form deleted the conversation: %v", err)
	}
	// Still signed in, and tenant B's session sees nothing of A's.
	b.open("/console/")
	if b.heading() != "Dashboard" {
		t.Fatalf("after the forged forms: %q", b.heading())
	}
	b.signOut()
	b.signIn(w.KeyB, false)
	cid := conv.ID.Format(convstore.PrefixConversation)
	foreign := b.open("/console/conversations/" + cid)
	foreignText := b.text("main .error")
	missing := b.open("/console/conversations/" + convstore.NewID().Format(convstore.PrefixConversation))
	if foreign != http.StatusNotFound || missing != http.StatusNotFound || foreignText != b.text("main .error") {
		t.Errorf("tenant B on A's conversation: %d %q; on a missing one: %d %q", foreign, foreignText, missing, b.text("main .error"))
	}
	if b.open("/console/find?by=conversation&q="+cid) != http.StatusNotFound || strings.Contains(b.text("main"), "private") {
		t.Errorf("tenant B finds A's conversation: %s", b.text("main"))
	}
	b.open("/console/people?user_id=victim")
	if strings.Contains(b.text("main"), "private") || !strings.Contains(b.text("main"), "Nothing is held") {
		t.Errorf("tenant B's view of A's user: %s", b.text("main"))
	}
}
