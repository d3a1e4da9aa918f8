package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/console"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/metrics"
)

// world is a test's store with the console and the native door mounted
// as cmd/convstore mounts them.
type world struct {
	*doortest.Env
	URL string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := doortest.New(t)
	c := e.Serve(func(s *convhttp.Server) {
		s.Mount("/", v1.New(s))
		s.Mount(console.Prefix, console.New(s))
	})
	return &world{Env: e, URL: c.URL}
}

// seed stores a conversation of user for tenant, with one message.
func (w *world) seed(t *testing.T, tenant convstore.ID, user, title, content string) *convstore.Conversation {
	t.Helper()
	c, _, err := w.Store.CreateConversation(context.Background(), tenant, &convstore.ConversationCreate{
		UserID: user, AgentID: "support-bot", Title: title,
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: content}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (w *world) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: w.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) *page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p *page) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no csrf field in the page (%d): %.300s", p.Status, p.Body)
	}
	return m[1]
}

// signIn signs b in with key and returns the session's CSRF token.
func (b *browser) signIn(key string) string {
	b.t.Helper()
	p := b.do("GET", "/console/signin", nil)
	if p.Status != 200 {
		b.t.Fatalf("sign-in page: %d", p.Status)
	}
	r := b.do("POST", "/console/signin", url.Values{"csrf": {csrfOf(b.t, p)}, "key": {key}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console/" {
		b.t.Fatalf("sign in: %d %v %.300s", r.Status, r.Header, r.Body)
	}
	dash := b.do("GET", "/console/", nil)
	if dash.Status != 200 {
		b.t.Fatalf("dashboard after sign-in: %d %.300s", dash.Status, dash.Body)
	}
	return csrfOf(b.t, dash)
}

func TestSignInSessionCookieAndHeaders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.browser(t)

	// Without a session, a page sends the browser to the sign-in page.
	if p := b.do("GET", "/console/", nil); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/console/signin" {
		t.Fatalf("dashboard without a session: %d %s", p.Status, p.Header.Get("Location"))
	}
	signin := b.do("GET", "/console/signin", nil)
	csp := signin.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || signin.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("sign-in page headers: %v", signin.Header)
	}
	// A wrong key is refused on the page, without a session.
	bad := b.do("POST", "/console/signin", url.Values{"csrf": {csrfOf(t, signin)}, "key": {"csk_wrongwrongwrongwrongwrongwrongwrong"}})
	if bad.Status != http.StatusUnauthorized || !strings.Contains(bad.Body, "not accepted") {
		t.Errorf("wrong key: %d %.300s", bad.Status, bad.Body)
	}
	// The sign-in form's token must match its cookie.
	if p := b.do("POST", "/console/signin", url.Values{"csrf": {"forged"}, "key": {w.KeyA}}); p.Status != http.StatusForbidden {
		t.Errorf("sign-in with a forged form token: %d", p.Status)
	}

	p := b.do("GET", "/console/signin", nil)
	r := b.do("POST", "/console/signin", url.Values{"csrf": {csrfOf(t, p)}, "key": {w.KeyA}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %.300s", r.Status, r.Body)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "convstore_console" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console/" ||
		session.MaxAge != int(console.SessionTTL.Seconds()) || !convstore.IsAccessTokenSecret(session.Value) {
		t.Fatalf("session cookie: %+v", session)
	}
	if strings.Contains(session.Value, w.KeyA) {
		t.Fatal("the cookie carries the key")
	}
	dash := b.do("GET", "/console/", nil)
	if dash.Status != 200 || !strings.Contains(dash.Body, "Sign out") || dash.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("dashboard: %d %v", dash.Status, dash.Header)
	}

	// Sign-out ends the session in the store: the old cookie replayed by
	// another client is refused.
	old := session.Value
	out := b.do("POST", "/console/signout", url.Values{"csrf": {csrfOf(t, dash)}})
	if out.Status != http.StatusSeeOther || out.Header.Get("Location") != "/console/signin" {
		t.Fatalf("sign out: %d %s", out.Status, out.Body)
	}
	if _, err := w.Store.AuthenticateAccessToken(context.Background(), old, convstore.AudienceConsole); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Errorf("the session's token after sign-out: %v", err)
	}
	replay := w.browser(t)
	if p := replay.do("GET", "/console/", nil, "Cookie", "convstore_console="+old); p.Status != http.StatusSeeOther {
		t.Errorf("replayed cookie after sign-out: %d", p.Status)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	conv := w.seed(t, w.TenantA, "user-csrf", "t", "hello")
	b := w.browser(t)
	token := b.signIn(w.KeyA)
	holds := func() int {
		list, _, err := w.Store.FindHolds(context.Background(), w.TenantA, convstore.HoldFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	form := func(tok string) url.Values {
		v := url.Values{"kind": {"user"}, "target": {"user-csrf"}, "reason": {"matter 1"}}
		if tok != "" {
			v.Set("csrf", tok)
		}
		return v
	}
	for name, tc := range map[string]struct {
		form url.Values
		hdr  []string
	}{
		"no token":           {form(""), nil},
		"wrong token":        {form("AAAA" + token[4:]), nil},
		"cross-site request": {form(token), []string{"Sec-Fetch-Site", "cross-site"}},
		"foreign origin":     {form(token), []string{"Origin", "https://evil.example"}},
	} {
		p := b.do("POST", "/console/holds", tc.form, tc.hdr...)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "did not come from the console") {
			t.Errorf("%s: %d %.300s", name, p.Status, p.Body)
		}
	}
	del := b.do("POST", "/console/conversations/"+conv.ID.Format(convstore.PrefixConversation)+"/delete", url.Values{"confirm": {"delete"}})
	if del.Status != http.StatusForbidden {
		t.Errorf("delete without a token: %d", del.Status)
	}
	if n := holds(); n != 0 {
		t.Fatalf("%d holds after refused forms", n)
	}
	if _, err := w.Store.FindConversationByID(context.Background(), w.TenantA, conv.ID); err != nil {
		t.Fatalf("the conversation after a refused delete: %v", err)
	}
	// The right token, same origin, works.
	if p := b.do("POST", "/console/holds", form(token), "Sec-Fetch-Site", "same-origin"); p.Status != http.StatusSeeOther || holds() != 1 {
		t.Fatalf("a genuine form: %d %.300s", p.Status, p.Body)
	}
	// Another session's token is not this session's.
	other := w.browser(t)
	otherToken := other.signIn(w.KeyA)
	if otherToken == token {
		t.Fatal("two sessions share a CSRF token")
	}
	if p := b.do("POST", "/console/holds", form(otherToken)); p.Status != http.StatusForbidden || holds() != 1 {
		t.Errorf("another session's token: %d", p.Status)
	}
}

func TestTenantIsolationAndScopes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	convA := w.seed(t, w.TenantA, "user-a", "A's secret title", "A's secret content")
	ctx := context.Background()
	keyA, err := w.Store.Authenticate(ctx, w.KeyA)
	if err != nil {
		t.Fatal(err)
	}
	erasureA, err := w.Store.CreateErasure(ctx, w.TenantA, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "user-a"}, DryRun: true},
		convstore.DeleteParams{ActorKeyID: keyA.ID, Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	holdA, err := w.Store.CreateHold(ctx, w.TenantA, &convstore.HoldCreate{UserID: "user-a", Reason: "matter A"}, convstore.DeleteParams{ActorKeyID: keyA.ID, Door: "test"})
	if err != nil {
		t.Fatal(err)
	}

	b := w.browser(t)
	tokB := b.signIn(w.KeyB)
	missingConv := convstore.NewID().Format(convstore.PrefixConversation)
	cid := convA.ID.Format(convstore.PrefixConversation)
	// A foreign id answers exactly like a missing one.
	foreign, missing := b.do("GET", "/console/conversations/"+cid, nil), b.do("GET", "/console/conversations/"+missingConv, nil)
	if foreign.Status != http.StatusNotFound || missing.Status != http.StatusNotFound {
		t.Errorf("foreign conversation %d, missing %d; want 404 both", foreign.Status, missing.Status)
	}
	if strings.Contains(foreign.Body, "secret") {
		t.Errorf("tenant B sees tenant A's data: %.300s", foreign.Body)
	}
	eid := erasureA.ID.Format(convstore.PrefixErasure)
	for _, path := range []string{"/console/erasures/" + eid, "/console/erasures/" + eid + "/status", "/console/erasures/" + eid + "/receipt.json", "/console/erasures/" + eid + "/receipt"} {
		if p := b.do("GET", path, nil); p.Status != http.StatusNotFound {
			t.Errorf("B GET %s: %d", path, p.Status)
		}
	}
	person := b.do("GET", "/console/people?user_id=user-a", nil)
	if person.Status != 200 || strings.Contains(person.Body, "secret") || !strings.Contains(person.Body, "Nothing is held") {
		t.Errorf("B's view of A's user: %d %.500s", person.Status, person.Body)
	}
	if p := b.do("GET", "/console/find?by=conversation&q="+cid, nil); p.Status != http.StatusNotFound {
		t.Errorf("B finds A's conversation: %d", p.Status)
	}
	hid := holdA.ID.Format(convstore.PrefixHold)
	if p := b.do("POST", "/console/holds/"+hid+"/release", url.Values{"csrf": {tokB}}); p.Status != http.StatusNotFound {
		t.Errorf("B releases A's hold: %d", p.Status)
	}
	if p := b.do("POST", "/console/conversations/"+cid+"/delete", url.Values{"csrf": {tokB}, "confirm": {"delete"}}); p.Status != http.StatusNotFound {
		t.Errorf("B deletes A's conversation: %d", p.Status)
	}
	if _, err := w.Store.FindHoldByID(ctx, w.TenantA, holdA.ID); err != nil {
		t.Errorf("A's hold after B's attempt: %v", err)
	}
	if _, err := w.Store.FindConversationByID(ctx, w.TenantA, convA.ID); err != nil {
		t.Errorf("A's conversation after B's attempt: %v", err)
	}

	// A read-only key sees but cannot act: the same scopes as the API.
	r := w.browser(t)
	tokR := r.signIn(w.Scoped[convstore.ScopeRead])
	if p := r.do("GET", "/console/people?user_id=user-a", nil); p.Status != 200 || !strings.Contains(p.Body, "A&#39;s secret title") ||
		strings.Contains(p.Body, `id="preview"`) {
		t.Errorf("read key's person page: %d", p.Status)
	}
	if p := r.do("POST", "/console/erasures", url.Values{"csrf": {tokR}, "user_id": {"user-a"}}); p.Status != http.StatusForbidden {
		t.Errorf("read key starts an erasure: %d", p.Status)
	}
	if p := r.do("GET", "/console/holds", nil); p.Status != http.StatusForbidden {
		t.Errorf("read key lists holds: %d", p.Status)
	}
	list, _, _ := w.Store.FindErasures(ctx, w.TenantA, convstore.ErasureFilter{})
	if len(list) != 1 {
		t.Errorf("%d erasure jobs, want only the seeded one", len(list))
	}
}

func TestBadInputIsAPageNotAFault(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.browser(t)
	tok := b.signIn(w.KeyA)
	for _, tc := range []struct {
		method, path string
		form         url.Values
		status       int
	}{
		{"GET", "/console/conversations/nonsense", nil, 400},
		{"GET", "/console/erasures/erasure_nope", nil, 400},
		{"GET", "/console/find?by=nope&q=x", nil, 422},
		{"GET", "/console/find?by=conversation&q=nonsense", nil, 422},
		{"GET", "/console/people", nil, 422},
		{"GET", "/console/people?user_id=" + strings.Repeat("u", 300), nil, 422},
		{"GET", "/console/deletions?state=nope", nil, 422},
		{"POST", "/console/erasures", url.Values{"csrf": {tok}, "user_id": {""}}, 422},
		{"POST", "/console/erasures", url.Values{"csrf": {tok}, "user_id": {"u"}, "mode": {"erase"}, "confirm": {"x"}}, 422},
		{"POST", "/console/holds", url.Values{"csrf": {tok}, "kind": {"user"}, "target": {"u"}, "reason": {" "}}, 422},
		{"POST", "/console/retention", url.Values{"csrf": {tok}, "rows": {"1"}, "default_0": {"1"}, "conv_days_0": {"0"}}, 422},
		{"POST", "/console/retention", url.Values{"csrf": {tok}, "rows": {"x"}}, 422},
		{"GET", "/console/static/nope.js", nil, 404},
	} {
		p := b.do(tc.method, tc.path, tc.form)
		if p.Status != tc.status || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: %d %s, want %d HTML: %.200s", tc.method, tc.path, p.Status, p.Header.Get("Content-Type"), tc.status, p.Body)
		}
	}
	list, _, _ := w.Store.FindErasures(context.Background(), w.TenantA, convstore.ErasureFilter{})
	if len(list) != 0 {
		t.Errorf("refused forms made %d erasure jobs", len(list))
	}
}

// TestSecureCookieUnderTLS: served over TLS, the session cookie is Secure.
func TestSecureCookieUnderTLS(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	s := convhttp.NewServer(e.Config())
	s.Mount(console.Prefix, console.New(s))
	ts := httptest.NewTLSServer(s.Handler())
	t.Cleanup(ts.Close)
	c := ts.Client()
	c.Jar, _ = cookiejar.New(nil)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b := &browser{t: t, base: ts.URL, c: c}
	p := b.do("GET", "/console/signin", nil)
	for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
		if !ck.Secure || !ck.HttpOnly {
			t.Errorf("sign-in cookie over TLS: %+v", ck)
		}
	}
	r := b.do("POST", "/console/signin", url.Values{"csrf": {csrfOf(t, p)}, "key": {e.KeyA}})
	cookies := (&http.Response{Header: r.Header}).Cookies()
	found := false
	for _, ck := range cookies {
		if ck.Name == "convstore_console" {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie over TLS: %+v", ck)
			}
		}
	}
	if r.Status != http.StatusSeeOther || !found {
		t.Fatalf("sign in over TLS: %d %v", r.Status, cookies)
	}
}

// TestEraseConfirmAndCancel: the erasure form needs the user id typed
// exactly; a queued job can be canceled from its page; the audit log names
// the key that acted.
func TestEraseConfirmAndCancel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	conv := w.seed(t, w.TenantA, "carol", "t", "hello")
	b := w.browser(t)
	tok := b.signIn(w.KeyA)
	if p := b.do("POST", "/console/erasures", url.Values{"csrf": {tok}, "user_id": {"carol"}, "mode": {"erase"}, "confirm": {"Carol"}}); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("erase with a wrong confirmation: %d", p.Status)
	}
	r := b.do("POST", "/console/erasures", url.Values{"csrf": {tok}, "user_id": {"carol"}, "mode": {"erase"}, "confirm": {"carol"}})
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/erasures/erasure_") {
		t.Fatalf("erase: %d %s", r.Status, loc)
	}
	eid := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/console/erasures/")
	page := b.do("GET", loc, nil)
	if page.Status != 200 || !strings.Contains(page.Body, `id="cancel-erasure"`) || !strings.Contains(page.Body, `data-state="queued"`) {
		t.Fatalf("queued job page: %d %.500s", page.Status, page.Body)
	}
	c := b.do("POST", "/console/erasures/"+eid+"/cancel", url.Values{"csrf": {tok}})
	if c.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d %.300s", c.Status, c.Body)
	}
	id, err := convstore.ParseID(convstore.PrefixErasure, "id", eid)
	if err != nil {
		t.Fatal(err)
	}
	job, err := w.Store.FindErasureByID(context.Background(), w.TenantA, id)
	if err != nil || job.State != convstore.ErasureCanceled {
		t.Fatalf("job after cancel: %+v, %v", job, err)
	}
	if _, err := w.Store.FindConversationByID(context.Background(), w.TenantA, conv.ID); err != nil {
		t.Errorf("a canceled queued job erased: %v", err)
	}
	status := b.do("GET", "/console/erasures/"+eid+"/status", nil)
	if status.Status != 200 || !strings.Contains(status.Body, `"state": "canceled"`) || !strings.Contains(status.Body, `"final": true`) {
		t.Errorf("status: %d %s", status.Status, status.Body)
	}
	key, err := w.Store.Authenticate(context.Background(), w.KeyA)
	if err != nil {
		t.Fatal(err)
	}
	audit := b.do("GET", "/console/audit", nil)
	if !strings.Contains(audit.Body, "erasure.cancel") || !strings.Contains(audit.Body, key.Name+" ("+key.ID.Format(convstore.PrefixKey)+")") {
		t.Errorf("audit log: %.1000s", audit.Body)
	}
}

// TestSignInReturnsToThePageAsked: a link into the console (from a
// ticket, say) leads through the sign-in page back to that page, and
// never off the console.
func TestSignInReturnsToThePageAsked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.browser(t)
	p := b.do("GET", "/console/people?user_id=dan", nil)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/console/signin?next=%2Fconsole%2Fpeople%3Fuser_id%3Ddan" {
		t.Fatalf("page without a session: %d %s", p.Status, p.Header.Get("Location"))
	}
	for next, want := range map[string]string{
		"/console/people?user_id=dan": "/console/people?user_id=dan",
		"https://evil.example/":       "/console/",
		"//evil.example/console/":     "/console/",
		"/console/\\evil":             "/console/",
		"/v1/conversations":           "/console/",
	} {
		signin := b.do("GET", "/console/signin?next="+url.QueryEscape(next), nil)
		if strings.Contains(signin.Body, "evil") {
			t.Errorf("the sign-in page carries next=%q", next)
		}
		r := b.do("POST", "/console/signin", url.Values{"csrf": {csrfOf(t, signin)}, "key": {w.KeyA}, "next": {next}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("sign in with next=%q: %d %s, want %s", next, r.Status, r.Header.Get("Location"), want)
		}
	}
}

// TestPersonShowsHolds: the person page marks held conversations, also
// through the metrics decorator cmd/convstore wraps the store in.
func TestPersonShowsHolds(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	cfg := e.Config()
	cfg.Store = metrics.New(nil).Store(e.Store)
	c := e.ServeConfig(cfg, func(s *convhttp.Server) { s.Mount(console.Prefix, console.New(s)) })
	w := &world{Env: e, URL: c.URL}
	held := w.seed(t, w.TenantA, "erin", "kept", "x")
	w.seed(t, w.TenantA, "erin", "free", "y")
	if _, err := e.Store.CreateHold(context.Background(), w.TenantA, &convstore.HoldCreate{ConversationID: held.ID, Reason: "matter 9"},
		convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	b := w.browser(t)
	b.signIn(w.KeyA)
	p := b.do("GET", "/console/people?user_id=erin", nil)
	if p.Status != 200 || !strings.Contains(p.Body, `<span class="num">1</span> under legal hold`) || strings.Count(p.Body, `badge warn">held`) != 1 {
		t.Errorf("person page: %d %s", p.Status, p.Body)
	}
}

// TestDeletionsFilters: the receipts page filters by door, policy and
// confirmation state, and pages on.
func TestDeletionsFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	del := func(door string) string {
		c := w.seed(t, w.TenantA, "frank", "t", "x")
		d, err := w.Store.DeleteConversation(ctx, w.TenantA, c.ID, convstore.DeleteParams{Door: door})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID.Format(convstore.PrefixDeletion)
	}
	native, symbl := del("native"), del("symbl")
	b := w.browser(t)
	b.signIn(w.KeyA)
	all := b.do("GET", "/console/deletions", nil)
	if !strings.Contains(all.Body, native) || !strings.Contains(all.Body, symbl) {
		t.Fatalf("all receipts: %.500s", all.Body)
	}
	only := b.do("GET", "/console/deletions?door=symbl", nil)
	if !strings.Contains(only.Body, symbl) || strings.Contains(only.Body, native) || !strings.Contains(only.Body, `value="symbl"`) {
		t.Errorf("door=symbl: %.500s", only.Body)
	}
	if p := b.do("GET", "/console/deletions?policy=default", nil); strings.Contains(p.Body, native) || !strings.Contains(p.Body, "No receipts.") {
		t.Errorf("policy=default lists request deletes: %.500s", p.Body)
	}
	if p := b.do("GET", "/console/deletions?state=overdue", nil); !strings.Contains(p.Body, "No receipts.") {
		t.Errorf("state=overdue without processors: %.500s", p.Body)
	}
}

// TestAuditFilters: the audit page filters by action (or a family of
// them) and by conversation.
func TestAuditFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	c := w.seed(t, w.TenantA, "gus", "t", "x")
	other := w.seed(t, w.TenantA, "gus", "u", "y")
	p := convstore.DeleteParams{Door: "test"}
	h, err := w.Store.CreateHold(ctx, w.TenantA, &convstore.HoldCreate{ConversationID: c.ID, Reason: "r"}, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Store.DeleteHold(ctx, w.TenantA, h.ID, p); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.DeleteConversation(ctx, w.TenantA, other.ID, p); err != nil {
		t.Fatal(err)
	}
	b := w.browser(t)
	b.signIn(w.KeyA)
	rows := func(query string) string {
		t.Helper()
		pg := b.do("GET", "/console/audit?"+query, nil)
		if pg.Status != 200 {
			t.Fatalf("audit?%s: %d", query, pg.Status)
		}
		body := pg.Body[strings.Index(pg.Body, "<tbody>"):]
		var acts []string
		for _, a := range []string{"hold.create", "hold.release", "conversation.delete"} {
			if strings.Contains(body, "<td>"+a+"</td>") {
				acts = append(acts, a)
			}
		}
		return strings.Join(acts, ",")
	}
	if got := rows(""); got != "hold.create,hold.release,conversation.delete" {
		t.Errorf("all: %s", got)
	}
	if got := rows("action=hold."); got != "hold.create,hold.release" {
		t.Errorf("action=hold.: %s", got)
	}
	if got := rows("action=hold.release"); got != "hold.release" {
		t.Errorf("action=hold.release: %s", got)
	}
	if got := rows("conversation_id=" + other.ID.Format(convstore.PrefixConversation)); got != "conversation.delete" {
		t.Errorf("conversation filter: %s", got)
	}
	if pg := b.do("GET", "/console/audit?conversation_id=nonsense", nil); pg.Status != http.StatusUnprocessableEntity {
		t.Errorf("a malformed conversation id: %d", pg.Status)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for q, want := range map[string]string{
		"door=test":   "hold.create,hold.release,conversation.delete",
		"door=native": "",
		"target_id=" + h.ID.Format(convstore.PrefixHold): "hold.create,hold.release",
		"since=" + today + "&until=" + today:             "hold.create,hold.release,conversation.delete",
		"since=2000-01-01&until=2000-01-02":              "",
		"key_id=" + w.KeyAID.Format(convstore.PrefixKey): "", // the test's deletes had no key
	} {
		if got := rows(q); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	for _, q := range []string{"since=yesterday", "key_id=conv_x", "target_id=nope", "action=" + strings.Repeat("a", 65)} {
		if pg := b.do("GET", "/console/audit?"+q, nil); pg.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", q, pg.Status)
		}
	}
	// Pages are filled by the store: 54 hold entries are a page of 50
	// and one of 4, whatever else the log holds.
	for range 26 {
		h, err := w.Store.CreateHold(ctx, w.TenantA, &convstore.HoldCreate{ConversationID: c.ID, Reason: "r"}, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Store.DeleteHold(ctx, w.TenantA, h.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	first := b.do("GET", "/console/audit?action=hold.", nil)
	if n := strings.Count(first.Body, "<td>hold."); n != 50 {
		t.Errorf("first page: %d hold entries, want 50", n)
	}
	m := regexp.MustCompile(`href="/console/audit\?([^"]+)">Older entries`).FindStringSubmatch(first.Body)
	if m == nil {
		t.Fatal("no link to older entries")
	}
	second := b.do("GET", "/console/audit?"+strings.ReplaceAll(m[1], "&amp;", "&"), nil)
	if n := strings.Count(second.Body, "<td>hold."); n != 4 || strings.Contains(second.Body, "Older entries") {
		t.Errorf("second page: %d hold entries, want 4 and no further page", n)
	}
}

// TestPersonPerDoor: the person page sums up what is held per door and
// per agent and door, from the door each conversation records.
func TestPersonPerDoor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, c := range []struct{ agent, door string }{{"bot", "symbl"}, {"bot", "openai"}, {"bot", "symbl"}, {"", "native"}} {
		conv, _, err := w.Store.CreateConversation(ctx, w.TenantA, &convstore.ConversationCreate{UserID: "fay", AgentID: c.agent, Door: c.door,
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
		if err != nil {
			t.Fatal(err)
		}
		if c.door == "openai" {
			if _, err := w.Store.PutAttachment(ctx, w.TenantA, conv.ID, &convstore.AttachmentPut{Name: "a.txt", ContentType: "text/plain",
				Body: strings.NewReader("12345")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := w.browser(t)
	b.signIn(w.KeyA)
	p := b.do("GET", "/console/people?user_id=fay", nil)
	if p.Status != 200 {
		t.Fatalf("person page: %d", p.Status)
	}
	for _, want := range []string{
		// per door: door, conversations, messages, attachments, size
		`<tr><td class="mono">native</td><td>1</td><td>1</td><td>0</td><td>0 B</td></tr>`,
		`<tr><td class="mono">openai</td><td>1</td><td>1</td><td>1</td><td>5 B</td></tr>`,
		`<tr><td class="mono">symbl</td><td>2</td><td>2</td><td>0</td><td>0 B</td></tr>`,
		// per agent and door
		`<tr><td class="mono"><em>none</em></td><td class="mono">native</td><td>1</td><td>1</td><td>0</td><td>0 B</td></tr>`,
		`<tr><td class="mono">bot</td><td class="mono">openai</td><td>1</td><td>1</td><td>1</td><td>5 B</td></tr>`,
		`<tr><td class="mono">bot</td><td class="mono">symbl</td><td>2</td><td>2</td><td>0</td><td>0 B</td></tr>`,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("person page lacks %s", want)
		}
	}
}
