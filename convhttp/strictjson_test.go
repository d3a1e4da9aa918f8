package convhttp_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// inner and outer exercise tags, "-", embedding and nesting.
type inner struct {
	Role string `json:"role"`
}

type embedded struct {
	Promoted string `json:"promoted"`
}

type outer struct {
	embedded
	Name     string `json:"name"`
	Skipped  string `json:"-"`
	Untagged string
	Items    []inner           `json:"items"`
	Ptr      *inner            `json:"ptr"`
	Meta     map[string]string `json:"meta"`
	Raw      json.RawMessage   `json:"raw"`
	Any      any               `json:"any"`
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body  string
		field string // "" for no error; "-" for an error without a field
	}{
		{`{"name":"a","items":[{"role":"r"}],"meta":{"a":"1","A":"2"},"raw":{"x":1,"X":2},"promoted":"p","Untagged":"u"}`, ""},
		{`{"name":"a","name":"b"}`, "name"},
		{`{"NAME":"a"}`, "NAME"},
		{`{"Name":"a","name":"b"}`, "Name"},
		{`{"items":[{"role":"a"},{"Role":"b"}]}`, "items[1].Role"},
		{`{"items":[{"role":"a","role":"b"}]}`, "items[0].role"},
		{`{"ptr":{"ROLE":"x"}}`, "ptr.ROLE"},
		{`{"meta":{"k":"1","k":"2"}}`, "meta.k"},
		{`{"raw":{"a":[{"b":1,"b":2}]}}`, "raw.a[0].b"},
		{`{"any":{"a":1,"a":2}}`, "any.a"},
		{`{"any":{"A":1,"a":2}}`, ""}, // no struct behind: case matters not
		{`{"PROMOTED":"x"}`, "PROMOTED"},
		{`{"untagged":"x"}`, "untagged"},
		{`{"skipped":"x"}`, ""}, // json:"-" is no field: unknown, the decoder's call
		{`{"unknown":{"a":1,"a":2}}`, "unknown.a"},
		{`{"unknown":1}`, ""},
		{`null`, "-"},
		{`[{"a":1,"a":2}]`, "[0].a"},
		{`{"name":`, ""}, // syntax errors are the decoder's
		{`{"a":1}{"a":1,"a":2}`, ""},
		{`{"name":"x"}`, ""},
	}
	for _, tc := range tests {
		err := convhttp.CheckJSON([]byte(tc.body), &outer{})
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case tc.field != "" && convstore.ErrorCode(err) != convhttp.CodeInvalidJSON:
			t.Errorf("%s: got %v, want invalid_json", tc.body, err)
		case tc.field != "" && tc.field != "-" && convstore.ErrorField(err) != tc.field:
			t.Errorf("%s: field %q, want %q (%v)", tc.body, convstore.ErrorField(err), tc.field, err)
		case tc.field != "" && tc.field != "-" && !strings.Contains(convstore.ErrorMessage(err), tc.field):
			t.Errorf("%s: message %q does not name %q", tc.body, convstore.ErrorMessage(err), tc.field)
		}
	}
	// A nil destination checks duplicates only, and accepts a null body.
	if err := convhttp.CheckJSON([]byte(`null`), nil); err != nil {
		t.Errorf("null with no destination: %v", err)
	}
	if err := convhttp.CheckJSON([]byte(`{"a":{"b":1,"b":1}}`), nil); convstore.ErrorField(err) != "a.b" {
		t.Errorf("duplicate with no destination: %v", err)
	}
}

func TestCheckJSONDepth(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", convhttp.MaxJSONDepth+1) + strings.Repeat("]", convhttp.MaxJSONDepth+1)
	if err := convhttp.CheckJSON([]byte(deep), nil); convstore.ErrorCode(err) != convhttp.CodeInvalidJSON {
		t.Fatalf("nesting past the limit: %v", err)
	}
	ok := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	if err := convhttp.CheckJSON([]byte(ok), nil); err != nil {
		t.Fatal(err)
	}
}

// FuzzCheckJSON checks CheckJSON against independent oracles on arbitrary
// bodies: (1) a body that passes has exactly as many keys as the value
// encoding/json decodes from it, so no duplicate slipped through, and one
// refused for a duplicate has more; (2) canonical JSON (re-encoded) always
// passes with no destination; (3) when a body passes for api.KeyCreate,
// decoding it gives exactly the members named "name" and "scopes", never a
// case variant's value.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`,
		`{"name":"x","scopes":["read"],"SCOPES":["admin"]}`, `{"Scopes":["admin"]}`,
		`{"name":"k","scopes":["read"]}`, `[{"a":1},{"a":1}]`, `{"a":"\u0061","\u0061":1}`,
		`{"ſcopes":["admin"]}`, `{"name":"x","scopes":["read","write"],"extra":{"x":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := convhttp.CheckJSON(body, nil)
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		sent, decoded := countKeys(body), countDecodedKeys(v)
		switch {
		case err == nil && sent != decoded:
			t.Fatalf("%q passed with %d keys sent, %d decoded", body, sent, decoded)
		case err != nil && strings.Contains(convstore.ErrorMessage(err), "more than once") && sent == decoded:
			t.Fatalf("%q refused as a duplicate, but no key was lost: %v", body, err)
		}
		canon, _ := json.Marshal(v)
		if err := convhttp.CheckJSON(canon, nil); err != nil && !strings.Contains(err.Error(), "deeper") {
			t.Fatalf("canonical %q refused: %v", canon, err)
		}

		var k api.KeyCreate
		if convhttp.CheckJSON(body, &k) != nil || json.Unmarshal(body, &k) != nil {
			return
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(body, &members) != nil {
			return
		}
		var want api.KeyCreate
		if raw, ok := members["name"]; ok {
			_ = json.Unmarshal(raw, &want.Name)
		}
		if raw, ok := members["scopes"]; ok {
			_ = json.Unmarshal(raw, &want.Scopes)
		}
		if k.Name != want.Name || !reflect.DeepEqual(k.Scopes, want.Scopes) {
			t.Fatalf("%q decodes to %+v, but its exact members say %+v", body, k, want)
		}
	})
}

// countKeys counts the object keys of a JSON text, duplicates included,
// with a container stack of its own.
func countKeys(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct{ object, wantKey bool }
	var stack []frame
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top >= 0 && stack[top].object {
					stack[top].wantKey = true
				}
				stack = append(stack, frame{object: d == '{', wantKey: d == '{'})
			default:
				stack = stack[:top]
			}
			continue
		}
		if top >= 0 && stack[top].object {
			if stack[top].wantKey {
				n++
			}
			stack[top].wantKey = !stack[top].wantKey
		}
	}
}

// countDecodedKeys counts the keys of a decoded value.
func countDecodedKeys(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := len(v)
		for _, x := range v {
			n += countDecodedKeys(x)
		}
		return n
	case []any:
		n := 0
		for _, x := range v {
			n += countDecodedKeys(x)
		}
		return n
	}
	return 0
}

// BenchmarkCheckJSON measures the key check against decoding the same body
// (1000 messages of ~200 bytes, the largest batch): compare check with
// decode in one run.
func BenchmarkCheckJSON(b *testing.B) {
	var in api.MessagesCreate
	for i := range 1000 {
		in.Messages = append(in.Messages, api.MessageCreate{Role: "user", Content: strings.Repeat("x", 200),
			Metadata: map[string]string{"turn": strings.Repeat("1", i%5+1)}})
	}
	body, _ := json.Marshal(in)
	b.Run("check", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := convhttp.CheckJSON(body, &api.MessagesCreate{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var out api.MessagesCreate
			if err := json.Unmarshal(body, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
