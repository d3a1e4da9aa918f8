package console_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/console"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/symbl"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// TestSessionsAndSymblTokensApart: a console session's token, though an
// access token like Symbl's, does not open the Symbl door, and a token of
// Symbl's token call does not open the console.
func TestSessionsAndSymblTokensApart(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	c := e.Serve(func(s *convhttp.Server) {
		s.Mount("/", v1.New(s))
		s.Mount(console.Prefix, console.New(s))
		s.Mount("/compat/symbl", symbl.New(s))
	})
	w := &world{Env: e, URL: c.URL}
	b := w.browser(t)
	b.signIn(w.KeyA)
	base, _ := http.NewRequest("GET", w.URL+"/console/", nil)
	var session string
	for _, k := range b.c.Jar.Cookies(base.URL) {
		if k.Name == "convstore_console" {
			session = k.Value
		}
	}
	if !convstore.IsAccessTokenSecret(session) {
		t.Fatalf("no session cookie after sign-in: %q", session)
	}
	api := w.browser(t)
	if p := api.do("GET", "/compat/symbl/v1/conversations", nil, "Authorization", "Bearer "+session); p.Status != http.StatusUnauthorized {
		t.Errorf("the Symbl door with a console session: %d %.200s", p.Status, p.Body)
	}
	if p := api.do("GET", "/compat/symbl/v1/conversations", nil, "Authorization", "Bearer "+w.KeyA); p.Status != http.StatusOK {
		t.Fatalf("the Symbl door with the key itself: %d %.200s", p.Status, p.Body)
	}

	key, err := w.Store.Authenticate(t.Context(), w.KeyA)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"type":"application","appId":"` + key.ID.Format(convstore.PrefixKey) + `","appSecret":"` + w.KeyA + `"}`
	req, _ := http.NewRequest("POST", w.URL+"/compat/symbl/oauth2/token:generate", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || out.AccessToken == "" {
		t.Fatalf("token:generate: %d %v", resp.StatusCode, err)
	}
	if p := api.do("GET", "/compat/symbl/v1/conversations", nil, "Authorization", "Bearer "+out.AccessToken); p.Status != http.StatusOK {
		t.Fatalf("the Symbl door with its own token: %d %.200s", p.Status, p.Body)
	}
	if p := api.do("GET", "/console/", nil, "Cookie", "convstore_console="+out.AccessToken); p.Status != http.StatusSeeOther ||
		!strings.HasPrefix(p.Header.Get("Location"), "/console/signin") {
		t.Errorf("the console with a Symbl token as its cookie: %d %s", p.Status, p.Header.Get("Location"))
	}
	if p := b.do("GET", "/console/", nil); p.Status != http.StatusOK {
		t.Errorf("the console with its own session: %d", p.Status)
	}
}
