package convhttp_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

func TestProbes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.do("GET", "/healthz", "")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" || string(r.Body) != "{\"status\":\"ok\"}\n" {
		t.Fatalf("healthz: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	r = e.do("GET", "/readyz", "")
	if r.Status != 200 || string(r.Body) != "{\"status\":\"ready\"}\n" {
		t.Fatalf("readyz: %d %q", r.Status, r.Body)
	}
	e.store.pingErr = errors.New("disk on fire at /var/lib/secret")
	r = e.do("GET", "/readyz", "")
	p := r.Map(t)
	if r.Status != 503 || r.Header.Get("Content-Type") != api.ContentTypeProblem || p["code"] != "unavailable" ||
		r.Header.Get("Retry-After") != "1" {
		t.Fatalf("readyz failing: %d %q", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "disk on fire") || !strings.Contains(e.logs.String(), "disk on fire") {
		t.Fatalf("the cause must be logged, not shown: body %q", r.Body)
	}
	if r := e.do("HEAD", "/healthz", ""); r.Status != 200 {
		t.Fatalf("HEAD healthz: %d", r.Status)
	}
}

// TestRequestID: the response always carries a fresh server-generated id,
// whatever the client sends; an acceptable client id is logged apart as
// client_request_id, an unacceptable one is dropped.
func TestRequestID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	gen := regexp.MustCompile(`^req_[0-9a-z]{26}$`)
	tests := []struct {
		name, method, path, incoming string
		status                       int
		kept                         bool
	}{
		{"valid kept", "GET", "/healthz", "abc-DEF_1.2", 200, true},
		{"printable kept", "GET", "/healthz", "trace:1/2@x", 200, true},
		{"max length kept", "GET", "/healthz", strings.Repeat("a", 128), 200, true},
		{"an earlier server id is only the client's", "GET", "/healthz", "req_01m8438j8ef3srga43dcrwhbm4", 200, true},
		{"too long dropped", "GET", "/healthz", strings.Repeat("b", 129), 200, false},
		{"space dropped", "GET", "/healthz", "a b", 200, false},
		{"tab dropped", "GET", "/healthz", "a\tb", 200, false},
		{"non-ascii dropped", "GET", "/healthz", "é", 200, false},
		{"absent", "GET", "/healthz", "", 200, false},
		{"404", "GET", "/nope", "id-404", 404, true},
		{"405", "DELETE", "/healthz", "id-405", 405, true},
		{"door 404", "GET", "/compat/test/nope", "", 404, false},
		{"door 401", "GET", "/compat/test/things/1", "id-401", 401, true},
		{"panic 500", "GET", "/compat/test/panic", "id-500", 500, true},
		{"error 500", "GET", "/compat/test/fail", "", 500, false},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.incoming != "" {
				hdr = []string{"X-Request-Id", tc.incoming}
			}
			r := e.do(tc.method, tc.path, "", hdr...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			got := r.Header.Get("X-Request-Id")
			if !gen.MatchString(got) || seen[got] {
				t.Fatalf("X-Request-Id %q, want a fresh generated req_ id", got)
			}
			seen[got] = true
			logged := logLine(t, e.logs.String(), got)
			if tc.kept && logged["client_request_id"] != tc.incoming {
				t.Fatalf("access log client_request_id %v, want %q", logged["client_request_id"], tc.incoming)
			}
			if !tc.kept && logged["client_request_id"] != nil {
				t.Fatalf("access log client_request_id %v, want none", logged["client_request_id"])
			}
			if ct := r.Header.Get("Content-Type"); ct == api.ContentTypeProblem {
				if p := r.Map(t); p["request_id"] != got {
					t.Fatalf("problem request_id %v, header %q", p["request_id"], got)
				}
			}
		})
	}
}

// logLine returns the "http" group of the access log line of a request id.
func logLine(t *testing.T, logs, requestID string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		var m struct {
			Msg  string         `json:"msg"`
			HTTP map[string]any `json:"http"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Msg == "request" && m.HTTP["request_id"] == requestID {
			return m.HTTP
		}
	}
	t.Fatalf("no access log line for %s in:\n%s", requestID, logs)
	return nil
}

func TestFallbackErrorsUseTheMountedDoorsFormat(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		method, path string
		status       int
		contentType  string
		allow        string
	}{
		{"GET", "/nope", 404, api.ContentTypeProblem, ""},
		{"GET", "/compat", 404, api.ContentTypeProblem, ""},
		{"POST", "/healthz", 405, api.ContentTypeProblem, "GET, HEAD"},
		{"GET", "/compat/test/nope", 404, "application/json", ""},
		{"GET", "/compat/test", 404, "application/json", ""},
		{"PUT", "/compat/test/things/1", 405, "application/json", "DELETE, GET, HEAD"},
		{"POST", "/compat/test/public", 405, "application/json", "GET, HEAD"},
	}
	for _, tc := range tests {
		r := e.do(tc.method, tc.path, "")
		if r.Status != tc.status || r.Header.Get("Content-Type") != tc.contentType || r.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q Allow %q, want %d %q Allow %q; body %s", tc.method, tc.path, r.Status,
				r.Header.Get("Content-Type"), r.Header.Get("Allow"), tc.status, tc.contentType, tc.allow, r.Body)
		}
		if strings.Contains(string(r.Body), "page not found") || strings.Contains(string(r.Body), "Method Not Allowed\n") {
			t.Errorf("%s %s: ServeMux's plain-text page leaked: %q", tc.method, tc.path, r.Body)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.do("GET", "/compat/test/panic", "")
	if r.Status != 500 || r.Map(t)["error"] != "Internal error." {
		t.Fatalf("panic: %d %s", r.Status, r.Body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "boom in handler") || !strings.Contains(logs, "goroutine") {
		t.Fatalf("the panic and its stack must be logged:\n%s", logs)
	}
	// The connection survived: the next request is served.
	if r := e.do("GET", "/healthz", ""); r.Status != 200 {
		t.Fatalf("after panic: %d", r.Status)
	}
	r = e.do("GET", "/compat/test/fail", "")
	if r.Status != 500 || strings.Contains(string(r.Body), "exploded") || !strings.Contains(e.logs.String(), "database exploded") {
		t.Fatalf("plain error: %d %s", r.Status, r.Body)
	}
	// An error after the response began aborts the connection: the client
	// must not take the partial body for a whole one.
	resp, err := http.Get(e.url + "/compat/test/half")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "partial" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error after the response began: %d %q, read error %v; want 200, the partial body and an unexpected EOF", resp.StatusCode, body, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "stream broke midway") || !strings.Contains(logs, `"route":"GET /compat/test/half","status":200`) {
		t.Fatalf("the aborted response is not logged with its cause and access line:\n%s", logs)
	}
}

func TestAuthAndScopes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		name, method, path, key string
		status                  int
	}{
		{"public", "GET", "/compat/test/public", "", 200},
		{"missing", "GET", "/compat/test/things/1", "", 401},
		{"unknown", "GET", "/compat/test/things/1", "csk_unknownunknownunknown", 401},
		{"huge", "GET", "/compat/test/things/1", strings.Repeat("k", 300), 401},
		{"read ok", "GET", "/compat/test/things/1", readKey, 200},
		{"read lacks delete", "DELETE", "/compat/test/things/1", readKey, 403},
		{"write lacks read", "GET", "/compat/test/things/1", writeKey, 403},
	}
	var unauthorized []byte
	for _, tc := range tests {
		r := e.do(tc.method, tc.path, "", "X-Test-Key", tc.key)
		if r.Status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
		}
		if tc.status == 401 {
			if unauthorized != nil && string(unauthorized) != string(r.Body) {
				t.Errorf("%s: 401 body %s differs from %s", tc.name, r.Body, unauthorized)
			}
			unauthorized = r.Body
		}
		if tc.status == 403 && !strings.Contains(string(r.Body), "scope") {
			t.Errorf("%s: 403 must name the scope: %s", tc.name, r.Body)
		}
	}
	if strings.Contains(string(unauthorized), "store wording") {
		t.Errorf("401 must use the one fixed message: %s", unauthorized)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.do("GET", "/compat/test/things/th_secretid", "", "X-Test-Key", readKey, "X-Request-Id", "log-me")
	logs := e.logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"client_request_id":"log-me"`) && strings.Contains(l, `"msg":"request"`) {
			line = l
		}
	}
	for _, want := range []string{`"method":"GET"`, `"route":"GET /compat/test/things/{id}"`, `"status":200`,
		`"key_prefix":"` + convstore.KeyPrefix(readKey) + `"`, `"duration_ms":`, `"door":"test"`} {
		if !strings.Contains(line, want) {
			t.Errorf("access log line lacks %s: %s", want, line)
		}
	}
	if strings.Contains(logs, "th_secretid") || strings.Contains(logs, readKey) {
		t.Errorf("the log must hold neither raw paths nor secrets:\n%s", logs)
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"ok", `{"name":"x","n":2}`, 200, `{"name":"x","n":2}`},
		{"empty", ``, 400, "empty"},
		{"spaces", `   `, 400, "empty"},
		{"syntax", `{"name":}`, 400, "not valid JSON"},
		{"truncated", `{"name":"x"`, 400, "ends before"},
		{"unknown field", `{"name":"x","nmae":"y"}`, 400, `Unknown field \"nmae\"`},
		{"wrong type", `{"n":"two"}`, 400, `Field \"n\" must be an integer, not a string`},
		{"fraction", `{"n":1.5}`, 400, `must be an integer`},
		{"array", `[1]`, 400, "must be a JSON object, not an array"},
		{"string", `"x"`, 400, "must be a JSON object, not a string"},
		{"trailing", `{"name":"x"} {}`, 400, "single JSON object"},
		{"too large", `{"name":"` + strings.Repeat("x", 100) + `"}`, 413, "larger than the limit of 64 bytes"},
	}
	for _, tc := range tests {
		r := e.do("POST", "/compat/test/echo", tc.body, "X-Test-Key", writeKey)
		if r.Status != tc.status || !strings.Contains(string(r.Body), tc.want) {
			t.Errorf("%s: %d %s, want %d containing %s", tc.name, r.Status, r.Body, tc.status, tc.want)
		}
	}
}

func TestBearerSecret(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                  "",
		"Bearer":            "",
		"Bearer ":           "",
		"Bearer abc":        "abc",
		"bearer abc":        "abc",
		"BEARER  abc":       "abc",
		"Bearer a b":        "",
		"Basic abc":         "",
		"Bearerabc":         "",
		"Token abc":         "",
		"Bearer csk_abc\tx": "",
	}
	for h, want := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if got := convhttp.BearerSecret(r); got != want {
			t.Errorf("BearerSecret(%q) = %q, want %q", h, got, want)
		}
	}
	r, _ := http.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Token xyz")
	if got := convhttp.AuthorizationToken(r, "Token"); got != "xyz" {
		t.Errorf("AuthorizationToken = %q", got)
	}
}

func TestMountRejectsBadPrefix(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"compat", "/compat/{x}", "/a b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Mount(%q) did not panic", p)
				}
			}()
			s := convhttp.NewServer(convhttp.Config{Store: &stubStore{}})
			s.Mount(p, &testDoor{srv: s})
		}()
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	s := convhttp.NewServer(convhttp.Config{Store: &stubStore{}})
	s.Mount("/compat/test", &testDoor{srv: s})
	var got []string
	for _, r := range s.Routes() {
		got = append(got, r.Door+" "+r.Pattern+" "+string(r.Scope))
	}
	want := []string{
		"server GET /healthz ", "server GET /readyz ",
		"test GET /compat/test/public ", "test GET /compat/test/things/{id} read",
		"test DELETE /compat/test/things/{id} delete", "test POST /compat/test/echo write",
		"test GET /compat/test/panic ", "test GET /compat/test/fail ", "test GET /compat/test/half ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := s.Config(); c.MaxBodyBytes != convhttp.DefaultMaxBodyBytes || c.MaxAttachmentBytes != convstore.DefaultMaxAttachmentBytes {
		t.Fatalf("defaults not applied: %+v", c)
	}
}
