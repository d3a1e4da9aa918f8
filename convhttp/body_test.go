package convhttp_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// bodyKind returns the kind of a decoding error: 0 for nil, -1 for one of
// CheckJSON's refusals (not a *BodyError).
func bodyKind(t *testing.T, err error) convhttp.BodyKind {
	t.Helper()
	if err == nil {
		return 0
	}
	if convstore.ErrorCode(err) != convhttp.CodeInvalidJSON {
		t.Fatalf("%v: code %q, want invalid_json", err, convstore.ErrorCode(err))
	}
	var be *convhttp.BodyError
	if !errors.As(err, &be) {
		return -1
	}
	return be.Kind
}

func TestBodyRules(t *testing.T) {
	t.Parallel()
	type item struct {
		Role string `json:"role"`
	}
	type dst struct {
		Name  string `json:"name"`
		N     int    `json:"n"`
		Items []item `json:"items"`
	}
	for _, tc := range []struct {
		body            string
		strict, lenient convhttp.BodyKind
		field           string
	}{
		{`{"name":"x","n":1}`, 0, 0, ""},
		{`{"name":"x","extra":1}`, convhttp.BodyUnknownField, 0, "extra"},
		{`{"items":[{"role":"r","colour":"red"}]}`, convhttp.BodyUnknownField, 0, "colour"},
		{`{"name":"x","NAME":"y"}`, -1, -1, "NAME"}, // CheckJSON, on both paths
		{`{"n":1,"n":2}`, -1, -1, "n"},
		{`null`, -1, -1, ""},
		{` `, convhttp.BodyEmpty, convhttp.BodyEmpty, ""},
		{`{"name":}`, convhttp.BodySyntax, convhttp.BodySyntax, ""},
		{`{"name":"x"`, convhttp.BodyIncomplete, convhttp.BodyIncomplete, ""},
		{`[1]`, convhttp.BodyNotObject, convhttp.BodyNotObject, ""},
		{`{"n":"two"}`, convhttp.BodyWrongType, convhttp.BodyWrongType, "n"},
		{`{"items":[{"role":5}]}`, convhttp.BodyWrongType, convhttp.BodyWrongType, "items.role"},
		{`{"name":"x"} {}`, convhttp.BodyTrailing, convhttp.BodyTrailing, ""},
		{"{\"name\":\"x\"}\n\t ", 0, 0, ""},
	} {
		for _, r := range []struct {
			rules *convhttp.BodyRules
			want  convhttp.BodyKind
		}{{convhttp.StrictBody, tc.strict}, {convhttp.LenientBody, tc.lenient}} {
			var d dst
			err := r.rules.Decode([]byte(tc.body), &d)
			if got := bodyKind(t, err); got != r.want {
				t.Errorf("%q strict=%v: kind %d, want %d (%v)", tc.body, r.rules.Strict, got, r.want, err)
			} else if err != nil && convstore.ErrorField(err) != tc.field {
				t.Errorf("%q strict=%v: field %q, want %q", tc.body, r.rules.Strict, convstore.ErrorField(err), tc.field)
			}
		}
	}
	// The trailing data's offset counts as json.SyntaxError does: just
	// past its first byte.
	var be *convhttp.BodyError
	if err := convhttp.LenientBody.Decode([]byte(`{} {}`), &dst{}); !errors.As(err, &be) || be.Offset != 4 {
		t.Errorf("trailing offset: %v", err)
	}
	// A door's Wrap phrases every failure but CheckJSON's.
	door := &convhttp.BodyRules{Wrap: func(e *convhttp.BodyError) error { return convstore.Invalidf("", "door: %d", e.Kind) }}
	if err := door.Decode([]byte(`{"n":"x"}`), &dst{}); convstore.ErrorMessage(err) != "door: 5" {
		t.Errorf("wrapped: %v", err)
	}
}

// FuzzBodyRules decodes arbitrary bodies into api.ConversationCreate on
// both paths. Neither panics; every failure is a 400 invalid_json; a body
// the strict path accepts, the lenient path accepts with the same value,
// and encoding/json with DisallowUnknownFields decodes it alike (the
// oracle for the key walker's unknown fields); a body the lenient path
// accepts, encoding/json decodes alike too.
func FuzzBodyRules(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"title":"t"}`, `{"title":"t","x":1}`, `{"messages":[{"role":"user","content":"hi","x":1}]}`,
		`{"metadata":{"a":"1"}}`, `{"Title":"t"}`, `{"title":1}`, `{"title":"t"} x`, `{"title":"t"`, `{"messages":[null]}`,
		`{"messages":[{"role":"user","parts":{"a":1,"a":2}}]}`, `"x"`, `{"agent_id":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var strict, lenient api.ConversationCreate
		serr := convhttp.StrictBody.Decode(body, &strict)
		lerr := convhttp.LenientBody.Decode(body, &lenient)
		for _, err := range []error{serr, lerr} {
			if err != nil && (convstore.ErrorCode(err) != convhttp.CodeInvalidJSON || convstore.ErrorMessage(err) == "") {
				t.Fatalf("%q: %v is not a 400 invalid_json", body, err)
			}
		}
		if lerr == nil {
			var plain api.ConversationCreate
			if err := json.Unmarshal(body, &plain); err != nil || !reflect.DeepEqual(plain, lenient) {
				t.Fatalf("%q: lenient %+v, encoding/json %+v (%v)", body, lenient, plain, err)
			}
		}
		var oracle api.ConversationCreate
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		oerr := dec.Decode(&oracle)
		var be *convhttp.BodyError
		if errors.As(serr, &be) && be.Kind == convhttp.BodyUnknownField && oerr == nil {
			t.Fatalf("%q: strict refused unknown field %q, which encoding/json accepts", body, be.Field)
		}
		if serr != nil {
			return
		}
		if lerr != nil || !reflect.DeepEqual(strict, lenient) {
			t.Fatalf("%q: strict accepted %+v, lenient %+v (%v)", body, strict, lenient, lerr)
		}
		if oerr != nil {
			t.Fatalf("%q: strict accepted what encoding/json refuses: %v", body, oerr)
		}
	})
}
