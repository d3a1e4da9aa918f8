package console

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// DoorName is the console's name in access logs, receipts and audit
// entries of what is done through it.
const DoorName = "console"

// Prefix is where the console is mounted on a server: s.Mount(Prefix, New(s)).
const Prefix = "/console"

// SessionTTL is how long a sign-in lasts; the session ends earlier on
// sign-out or when its key is revoked.
const SessionTTL = 8 * time.Hour

// Cookie names. The session cookie holds an access token of the signed-in
// key; the sign-in cookie holds the random token of the sign-in form.
const (
	sessionCookie = "convstore_console"
	signinCookie  = "convstore_console_signin"
)

// ContentSecurityPolicy admits nothing but the console's own assets: no
// inline script or style, no third party, no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Door is the web console. It implements convhttp.Door and
// convhttp.RequestAuthenticator.
type Door struct {
	srv    *convhttp.Server
	store  convstore.Store
	pages  map[string]*template.Template
	static fs.FS
	cop    *http.CrossOriginProtection
	now    func() time.Time
}

// New returns the console serving s's store. Mount it at Prefix.
func New(s *convhttp.Server) *Door {
	static, _ := fs.Sub(staticFS, "static")
	d := &Door{srv: s, store: s.Store(), static: static, cop: http.NewCrossOriginProtection(), now: time.Now}
	d.pages = parsePages()
	return d
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the session cookie's value ("" without one).
func (d *Door) Secret(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// AuthenticateRequest authenticates the session cookie: an access token of
// the signed-in key, so the session has exactly that key's scopes and
// tenant, and ends with it.
func (d *Door) AuthenticateRequest(r *http.Request) (*convstore.APIKey, error) {
	return d.srv.AuthenticateAccessToken(r, d.Secret(r), convstore.AudienceConsole)
}

// Routes lists the console's pages and actions. Every route checks the
// scope the same work needs in the native API.
func (d *Door) Routes() []convhttp.Route {
	const form = 64 << 10
	read, del, admin, anyKey := convstore.ScopeRead, convstore.ScopeDelete, convstore.ScopeAdmin, convhttp.AnyScope
	rt := func(method, path string, scope convstore.Scope, h convhttp.HandlerFunc) convhttp.Route {
		r := convhttp.Route{Method: method, Path: path, Scope: scope, Handler: d.guard(h)}
		if method == http.MethodPost {
			r.MaxBodyBytes = form
			if scope == "" {
				r.MaxBodyBytes = convhttp.MaxPublicBodyBytes
			}
		}
		return r
	}
	return []convhttp.Route{
		rt("GET", "/static/{name}", "", d.asset),
		rt("GET", "/signin", "", d.signinPage),
		rt("POST", "/signin", "", d.signin),
		rt("POST", "/signout", anyKey, d.signout),
		rt("GET", "/{$}", anyKey, d.dashboard),
		rt("GET", "/find", read, d.find),
		rt("GET", "/people", read, d.person),
		rt("GET", "/conversations/{conversation_id}", read, d.conversation),
		rt("POST", "/conversations/{conversation_id}/delete", del, d.deleteConversation),
		rt("GET", "/erasures", read, d.erasures),
		rt("POST", "/erasures", admin, d.createErasure),
		rt("POST", "/erasures/{erasure_id}/cancel", admin, d.cancelErasure),
		rt("GET", "/erasures/{erasure_id}", read, d.erasure),
		rt("GET", "/erasures/{erasure_id}/status", read, d.erasureStatus),
		rt("GET", "/erasures/{erasure_id}/receipt", read, d.receiptPage),
		rt("GET", "/erasures/{erasure_id}/receipt.json", read, d.receiptJSON),
		rt("GET", "/holds", admin, d.holds),
		rt("POST", "/holds", admin, d.createHold),
		rt("POST", "/holds/{hold_id}/release", admin, d.releaseHold),
		rt("GET", "/retention", read, d.retention),
		rt("POST", "/retention", admin, d.saveRetention),
		rt("GET", "/deletions", read, d.deletions),
		rt("GET", "/audit", admin, d.audit),
	}
}

// guard sets the console's security headers on every answer and refuses
// a cross-origin POST and, with a session, a POST without the session's
// CSRF token, before the handler runs.
func (d *Door) guard(h convhttp.HandlerFunc) convhttp.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		securityHeaders(w)
		if r.Method == http.MethodPost {
			if err := d.cop.Check(r); err != nil {
				return errCSRF()
			}
			if err := r.ParseForm(); err != nil {
				return convstore.Invalidf("body", "the form could not be read")
			}
			if secret := d.Secret(r); convhttp.Key(r.Context()) != nil &&
				!hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(csrfToken(secret))) {
				return errCSRF()
			}
		}
		return h(w, r)
	}
}

// errCSRF is the answer to a forged or stale form.
func errCSRF() error {
	return convstore.Errorf(convstore.EFORBIDDEN, "This form is stale or did not come from the console: reload the page and try again.")
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
}

// csrfToken is the synchronizer token of a session: an HMAC of a fixed
// label under the session secret, which lives only in the HttpOnly
// cookie, so a page of another origin can neither read nor compute it.
func csrfToken(sessionSecret string) string {
	m := hmac.New(sha256.New, []byte(sessionSecret))
	m.Write([]byte("convstore console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// WriteError answers an error as an HTML page with the status the native
// API would give; a page asked for without a valid session goes to the
// sign-in page instead.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	securityHeaders(w)
	p := convhttp.NewProblem(r, err)
	// The session cookie is left alone: a request without it (a link or a
	// form of another site, which SameSite=Strict keeps it off) must not
	// sign the user out.
	if p.Status == http.StatusUnauthorized && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		to := Prefix + "/signin"
		if next := r.URL.RequestURI(); safeNext(next) && next != Prefix+"/" {
			to += "?next=" + url.QueryEscape(next)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	v := &view{Title: p.Title, Key: convhttp.Key(r.Context())}
	if v.Key != nil {
		v.CSRF = csrfToken(d.Secret(r))
	}
	v.Data = p
	d.render(w, r, p.Status, "error", v)
}

// view is what every page template gets.
type view struct {
	Title string
	Key   *convstore.APIKey // nil on the sign-in and error pages without a session
	CSRF  string
	Nav   string
	Data  any
	Keys  map[convstore.ID]string // key names, for pages that show who acted
}

// Has reports whether the signed-in key grants scope s (for links and
// buttons; the routes check again).
func (v *view) Has(s string) bool { return v.Key != nil && v.Key.Has(convstore.Scope(s)) }

// withKeys adds the names of the tenant's keys to v: all of them for an
// admin key (which may list keys), else the signed-in key's own.
func (d *Door) withKeys(r *http.Request, v *view) (*view, error) {
	v.Keys = map[convstore.ID]string{v.Key.ID: v.Key.Name}
	if !v.Key.Has(convstore.ScopeAdmin) {
		return v, nil
	}
	keys, err := d.store.FindKeys(r.Context(), v.Key.TenantID)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		v.Keys[k.ID] = k.Name
	}
	return v, nil
}

func (d *Door) page(r *http.Request, title, nav string, data any) *view {
	return &view{Title: title, Nav: nav, Key: convhttp.Key(r.Context()), CSRF: csrfToken(d.Secret(r)), Data: data}
}

func (d *Door) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) error {
	var buf bytes.Buffer
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	return nil
}

// asset serves an embedded file of static/.
func (d *Door) asset(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	b, err := fs.ReadFile(d.static, name)
	if err != nil || strings.HasPrefix(name, ".") {
		return convstore.Errorf(convstore.ENOTFOUND, "no such file")
	}
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(name, ".css"):
		ct = "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".js"):
		ct = "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		ct = "image/svg+xml"
	}
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
	return nil
}

// signinPage shows the sign-in form with a fresh form token, which the
// sign-in cookie carries too (a double-submit token: no session exists
// yet to tie it to).
func (d *Door) signinPage(w http.ResponseWriter, r *http.Request) error {
	return d.showSignin(w, r, http.StatusOK, "")
}

// safeNext reports whether next is a console page to return to after
// sign-in: a path under Prefix on this server, never another site.
func safeNext(next string) bool {
	return strings.HasPrefix(next, Prefix+"/") && len(next) <= 2048 && !strings.ContainsAny(next, "\\\r\n") &&
		!strings.HasPrefix(next, Prefix+"/signin")
}

type signinView struct {
	Error string
	Next  string
}

func (d *Door) showSignin(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: tok, Path: Prefix + "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	next := r.FormValue("next")
	if !safeNext(next) {
		next = ""
	}
	return d.render(w, r, status, "signin", &view{Title: "Sign in", CSRF: tok, Data: &signinView{Error: msg, Next: next}})
}

// signin exchanges an API key for a session: an access token of the key,
// stored only as a hash in the database every node shares.
func (d *Door) signin(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(signinCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		return errCSRF()
	}
	secret := strings.TrimSpace(r.PostForm.Get("key"))
	key, err := d.srv.Authenticate(r, secret)
	if err != nil {
		if convstore.ErrorCode(err) == convstore.EUNAUTHORIZED {
			return d.showSignin(w, r, http.StatusUnauthorized, "That API key was not accepted. Check it and try again.")
		}
		return err
	}
	_, token, err := d.store.CreateAccessToken(r.Context(), key.TenantID, key.ID, convstore.AudienceConsole, SessionTTL)
	if err != nil {
		return err
	}
	clearCookie(w, r, signinCookie)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: Prefix + "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL / time.Second)})
	to := Prefix + "/"
	if next := r.PostForm.Get("next"); safeNext(next) {
		to = next
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// signout ends the session on every node.
func (d *Door) signout(w http.ResponseWriter, r *http.Request) error {
	if err := d.store.RevokeAccessToken(r.Context(), d.Secret(r)); err != nil {
		return err
	}
	clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
	return nil
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Prefix + "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// seeOther redirects after a successful POST.
func seeOther(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, Prefix+path, http.StatusSeeOther)
	return nil
}

// pathID parses a path id, EINVALID naming the parameter when malformed.
func pathID(r *http.Request, name, prefix string) (convstore.ID, error) {
	id, err := convstore.ParseID(prefix, name, r.PathValue(name))
	if err != nil {
		return id, &convhttp.ParamError{Kind: convhttp.ParamBadID, Name: name, Value: r.PathValue(name), Err: err}
	}
	return id, nil
}
