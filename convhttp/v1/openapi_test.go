package v1_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// openAPIDoc is the part of the document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]openAPIParam `json:"parameters"`
	} `json:"components"`
}

type openAPIOp struct {
	RequestBody *struct {
		Content map[string]any `json:"content"`
	} `json:"requestBody"`
	Security   *[]any         `json:"security"`
	Scope      string         `json:"x-scope"`
	Parameters []openAPIParam `json:"parameters"`
	Responses  map[string]any `json:"responses"`
}

type openAPIParam struct {
	Ref    string `json:"$ref"`
	Name   string `json:"name"`
	In     string `json:"in"`
	Style  string `json:"style"`
	Schema struct {
		Pattern string `json:"pattern"`
	} `json:"schema"`
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI parses api.OpenAPI and returns its operations by
// "METHOD path", with parameter references resolved.
func loadOpenAPI(tb testing.TB) map[string]openAPIOp {
	tb.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		tb.Fatalf("api/openapi.json is not valid JSON: %v", err)
	}
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(doc.OpenAPI) {
		tb.Fatalf("openapi is %q, want 3.1.x", doc.OpenAPI)
	}
	ops := map[string]openAPIOp{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			var op openAPIOp
			if err := json.Unmarshal(raw, &op); err != nil {
				tb.Fatalf("%s %s: %v", method, path, err)
			}
			for i, p := range op.Parameters {
				if p.Ref != "" {
					name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
					resolved, ok := doc.Components.Parameters[name]
					if !ok {
						tb.Fatalf("%s %s: unresolved parameter %s", method, path, p.Ref)
					}
					op.Parameters[i] = resolved
				}
			}
			ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	return ops
}

// TestOpenAPIMatchesRoutes fails when the registered routes and the
// document's operations differ, or disagree on scopes or path parameters.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	ops := loadOpenAPI(t)
	srv := v1.NewServer(convhttp.Config{})
	routes := map[string]convhttp.RouteInfo{}
	for _, r := range srv.Routes() {
		routes[r.Method+" "+r.Path] = r
	}
	for k := range routes {
		if _, ok := ops[k]; !ok {
			t.Errorf("route %s is registered but not in api/openapi.json", k)
		}
	}
	for k := range ops {
		if _, ok := routes[k]; !ok {
			t.Errorf("api/openapi.json documents %s, which no route serves", k)
		}
	}
	pathParam := regexp.MustCompile(`\{([a-z_]+)\}`)
	for k, op := range ops {
		rt, ok := routes[k]
		if !ok {
			continue
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.Scope == "") || op.Scope != string(rt.Scope) {
			t.Errorf("%s: document says public=%v scope %q, route has scope %q", k, public, op.Scope, rt.Scope)
		}
		var want, got []string
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			want = append(want, m[1])
		}
		for _, p := range op.Parameters {
			if p.In == "path" {
				got = append(got, p.Name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: documented path parameters %v, want %v", k, got, want)
		}
		if op.RequestBody != nil && op.RequestBody.Content["application/json"] != nil {
			for _, code := range []string{"400", "413", "415"} {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s takes a JSON body but documents no %s response", k, code)
				}
			}
		}
		if rt.Scope != "" {
			codes := []string{"401", "403", "500"}
			if rt.Scope == convhttp.AnyScope {
				codes = []string{"401", "500"} // every valid key may call it
				if _, ok := op.Responses["403"]; ok {
					t.Errorf("%s: documents a 403, but any valid key may call it", k)
				}
			}
			for _, code := range codes {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s: no %s response documented", k, code)
				}
			}
		}
	}
	if len(routes) != 63 {
		t.Errorf("%d routes; update this count (and the document) deliberately", len(routes))
	}
}

// TestOpenAPIRefsResolve checks that every $ref points into the document.
func TestOpenAPIRefsResolve(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	n := 0
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				n++
				var cur any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := cur.(map[string]any)
					if cur, ok = m[part]; !ok {
						t.Errorf("unresolved $ref %s", ref)
						return
					}
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if n < 50 {
		t.Fatalf("only %d $refs: is the document complete?", n)
	}
}

// TestOpenAPIQueryParametersAccepted sends every documented query parameter
// with a valid value and fails if the route rejects it as unknown or
// malformed: the document cannot promise a parameter the code refuses.
func TestOpenAPIQueryParametersAccepted(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ids := randomFixture()
	prefix := regexp.MustCompile(`^\^([a-z]+)_`)
	values := map[string]string{"limit": "1", "order": "asc", "created_after": "0", "created_before": "4000000000",
		"agent_id": "a", "user_id": "u", "type": "topic", "offset": "1", "include": "messages", "external_id": "x",
		"seq": "1", "metadata[k]": "v", "door": "retention", "policy": "default", "deleted": "true",
		"state": convstore.DeliveryPending}
	// Parameters whose values differ by route.
	perRoute := map[string]string{"GET /v1/events after": "0", "GET /v1/events type": convstore.EventConversationDeleted,
		"GET /v1/audit action": "erasure.", "GET /v1/audit target_id": convstore.NewID().Format(convstore.PrefixMessage)}
	for k, op := range loadOpenAPI(t) {
		method, path, _ := strings.Cut(k, " ")
		for _, p := range op.Parameters {
			if p.In != "query" {
				continue
			}
			name := p.Name
			if p.Style == "deepObject" {
				name += "[k]" // one member of the object: name[k]=v
			}
			v, ok := values[name]
			if o, isOver := perRoute[k+" "+name]; isOver {
				v, ok = o, true
			}
			if m := prefix.FindStringSubmatch(p.Schema.Pattern); m != nil {
				v, ok = convstore.NewID().Format(m[1]), true
			}
			if !ok {
				t.Fatalf("%s: no test value for query parameter %s", k, name)
			}
			body, hdr := validBody(convhttp.RouteInfo{Method: method, Path: path})
			r := e.do(method, ids.path(path)+"?"+name+"="+v, e.KeyA, body, hdr...)
			if r.Status == 400 {
				t.Errorf("%s: documented query parameter %s=%s rejected: %v", k, name, v, r)
			}
		}
	}
}
