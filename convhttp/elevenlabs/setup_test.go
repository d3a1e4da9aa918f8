package elevenlabs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/elevenlabs"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/service"
)

// world is one test's store, tenants and clients: the door alone at the
// root ("own listener"), and the main listener with the native door at the
// root and this door under /compat/elevenlabs.
type world struct {
	*doortest.Env
	own  *doortest.Client
	main *doortest.Client
}

const compat = "/compat/elevenlabs"

func setup(t testing.TB) *world {
	t.Helper()
	return setupWith(t, service.Options{})
}

// setupWith is setup over a service with opts (a test clock, say).
func setupWith(t testing.TB, opts service.Options) *world {
	t.Helper()
	env := doortest.NewWithOptions(t, opts)
	return &world{
		Env: env,
		own: env.Serve(func(s *convhttp.Server) { s.Mount("/", elevenlabs.New(s)) }),
		main: env.Serve(func(s *convhttp.Server) {
			s.Mount("/", v1.New(s))
			s.Mount(compat, elevenlabs.New(s))
		}),
	}
}

// get sends a request to the own listener with tenant A's admin key.
func (w *world) do(method, path string) *doortest.Response {
	return w.own.Do(method, path, nil, "xi-api-key", w.KeyA)
}

// dur is a *time.Duration of ms milliseconds.
func dur(ms int) *time.Duration {
	d := time.Duration(ms) * time.Millisecond
	return &d
}

// seed creates a conversation in tenant with the given messages.
func (w *world) seed(tenant convstore.ID, c *convstore.ConversationCreate) *convstore.Conversation {
	w.TB.Helper()
	conv, _, err := w.Store.CreateConversation(context.Background(), tenant, c)
	if err != nil {
		w.TB.Fatal(err)
	}
	return conv
}

// artifact adds an artifact.
func (w *world) artifact(tenant, cid convstore.ID, t convstore.ArtifactType, text, data string) {
	w.TB.Helper()
	a := &convstore.ArtifactCreate{Type: t, Text: text}
	if data != "" {
		a.Data = json.RawMessage(data)
	}
	if _, err := w.Store.CreateArtifact(context.Background(), tenant, cid, a); err != nil {
		w.TB.Fatal(err)
	}
}

// attach stores an attachment.
func (w *world) attach(tenant, cid convstore.ID, name, ct string, body []byte) {
	w.TB.Helper()
	_, err := w.Store.PutAttachment(context.Background(), tenant, cid,
		&convstore.AttachmentPut{Name: name, ContentType: ct, Body: bytes.NewReader(body)})
	if err != nil {
		w.TB.Fatal(err)
	}
}

// cid renders a conversation's ElevenLabs id.
func cid(c *convstore.Conversation) string { return c.ID.Format(convstore.PrefixConversation) }

// errorDetail checks an {"detail":{"status","message"}} error and returns it.
func errorDetail(t testing.TB, r *doortest.Response, status int, wantStatus string) map[string]any {
	t.Helper()
	doortest.Expect(t, r, status, "application/json")
	var body map[string]any
	r.JSON(t, &body)
	d, ok := body["detail"].(map[string]any)
	if !ok || len(body) != 1 || len(d) != 2 {
		t.Fatalf("%v: not {\"detail\":{status,message}}", r)
	}
	if s, _ := d["message"].(string); s == "" {
		t.Fatalf("%v: empty message", r)
	}
	if d["status"] != wantStatus {
		t.Fatalf("%v: detail.status %v, want %q", r, d["status"], wantStatus)
	}
	return d
}

// validation checks a 422 FastAPI list and that one item has loc
// ["query", param] and the given type.
func validation(t testing.TB, r *doortest.Response, param, typ string) {
	t.Helper()
	doortest.Expect(t, r, 422, "application/json")
	var body struct {
		Detail []map[string]any `json:"detail"`
	}
	r.JSON(t, &body)
	if len(body.Detail) == 0 {
		t.Fatalf("%v: empty detail list", r)
	}
	found := false
	for _, it := range body.Detail {
		loc, ok := it["loc"].([]any)
		msg, _ := it["msg"].(string)
		ty, _ := it["type"].(string)
		if !ok || len(loc) == 0 || msg == "" || ty == "" {
			t.Fatalf("%v: item without loc, msg and type", r)
		}
		for _, l := range loc {
			switch l.(type) {
			case string, float64:
			default:
				t.Fatalf("%v: loc item %v is neither string nor integer", r, l)
			}
		}
		if len(loc) == 2 && loc[0] == "query" && loc[1] == param && ty == typ {
			found = true
		}
	}
	if !found {
		t.Fatalf("%v: no item with loc [query %s] and type %s", r, param, typ)
	}
}

// isDoorError reports whether body is one of the door's error formats.
func isDoorError(body []byte) bool {
	var obj struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &obj) != nil || len(obj.Detail) == 0 {
		return false
	}
	var d struct{ Status, Message string }
	if json.Unmarshal(obj.Detail, &d) == nil && d.Status != "" && d.Message != "" {
		return true
	}
	var list []struct {
		Loc  []any  `json:"loc"`
		Msg  string `json:"msg"`
		Type string `json:"type"`
	}
	if json.Unmarshal(obj.Detail, &list) != nil || len(list) == 0 {
		return false
	}
	for _, it := range list {
		if len(it.Loc) == 0 || it.Msg == "" || it.Type == "" {
			return false
		}
	}
	return true
}

// keys fails unless m has every key, with a value of the given JSON kind
// ("string", "number", "integer", "bool", "array", "object").
func keys(t testing.TB, what string, m map[string]any, want map[string]string) {
	t.Helper()
	for k, kind := range want {
		v, ok := m[k]
		if !ok {
			t.Fatalf("%s: required key %q missing in %v", what, k, m)
		}
		okKind := false
		switch kind {
		case "string":
			_, okKind = v.(string)
		case "number":
			_, okKind = v.(float64)
		case "integer":
			f, isNum := v.(float64)
			okKind = isNum && f == float64(int64(f))
		case "bool":
			_, okKind = v.(bool)
		case "array":
			_, okKind = v.([]any)
		case "object":
			_, okKind = v.(map[string]any)
		}
		if !okKind {
			t.Fatalf("%s: key %q is %T (%v), want %s", what, k, v, v, kind)
		}
	}
}

// trimmed returns the body as a string without surrounding space.
func trimmed(r *doortest.Response) string { return strings.TrimSpace(string(r.Body)) }
