package convhttp_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// TestErrorTableAnswers checks the table's answers: a known code keeps its
// message and field, anything else is the 500 with the safe message only.
func TestErrorTableAnswers(t *testing.T) {
	kinds := map[string]convhttp.ErrorKind{}
	for _, c := range convhttp.Codes {
		kinds[c] = convhttp.ErrorKind{Status: http.StatusBadRequest, Code: "door_" + c}
	}
	tab := convhttp.NewErrorTable("door_internal", "Nothing to see.", kinds)
	for _, tc := range []struct {
		err  error
		want convhttp.ErrorAnswer
	}{
		{convstore.Invalidf("title", "too long"), convhttp.ErrorAnswer{
			ErrorKind: convhttp.ErrorKind{Status: 400, Code: "door_invalid"}, Message: "too long", Field: "title"}},
		{errors.New("disk on fire at /var/secret"), convhttp.ErrorAnswer{
			ErrorKind: convhttp.ErrorKind{Status: 500, Code: "door_internal"}, Message: "Nothing to see.", Internal: true}},
		{&convstore.Error{Code: convstore.EINTERNAL, Field: "dsn", Message: "postgres://secret"}, convhttp.ErrorAnswer{
			ErrorKind: convhttp.ErrorKind{Status: 500, Code: "door_internal"}, Message: "Nothing to see.", Internal: true}},
		{&convstore.Error{Code: "made_up", Message: "leak"}, convhttp.ErrorAnswer{
			ErrorKind: convhttp.ErrorKind{Status: 500, Code: "door_internal"}, Message: "Nothing to see.", Internal: true}},
	} {
		if got := tab.Answer(tc.err); got != tc.want {
			t.Errorf("%v: got %+v, want %+v", tc.err, got, tc.want)
		}
	}
}

// TestErrorTableRefusesGaps checks that a door cannot declare a table that
// forgets a code (which would answer it 500) or maps one to a success.
func TestErrorTableRefusesGaps(t *testing.T) {
	full := func() map[string]convhttp.ErrorKind {
		m := map[string]convhttp.ErrorKind{}
		for _, c := range convhttp.Codes {
			m[c] = convhttp.ErrorKind{Status: 400}
		}
		return m
	}
	for name, edit := range map[string]func(map[string]convhttp.ErrorKind){
		"missing timeout":  func(m map[string]convhttp.ErrorKind) { delete(m, convstore.ETIMEOUT) },
		"missing 415 code": func(m map[string]convhttp.ErrorKind) { delete(m, convhttp.CodeUnsupportedMediaType) },
		"2xx status":       func(m map[string]convhttp.ErrorKind) { m[convstore.ENOTFOUND] = convhttp.ErrorKind{Status: 200} },
		"maps EINTERNAL":   func(m map[string]convhttp.ErrorKind) { m[convstore.EINTERNAL] = convhttp.ErrorKind{Status: 400} },
	} {
		m := full()
		edit(m)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewErrorTable accepted the table", name)
				}
			}()
			convhttp.NewErrorTable("x", "y", m)
		}()
	}
}

// TestOpenAPICodesMatchStatuses fails when the Problem schema's code enum
// in openapi.json and the codes the native door can answer differ, so a
// new wire code cannot ship undocumented.
func TestOpenAPICodesMatchStatuses(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Problem struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"Problem"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas.Problem.Properties.Code.Enum
	answered := append([]string{convstore.EINTERNAL}, convhttp.Codes...)
	for _, code := range answered {
		if got := convhttp.ProblemErrors.Kind(code).Code; got != code {
			t.Errorf("the native door answers code %q as %q", code, got)
		}
		if !slices.Contains(documented, code) {
			t.Errorf("code %q is answered but not in the Problem schema's enum", code)
		}
	}
	for _, code := range documented {
		if !slices.Contains(answered, code) {
			t.Errorf("the Problem schema documents code %q, which has no status", code)
		}
	}
	k := convhttp.ProblemErrors.Kind(convhttp.CodeUnsupportedMediaType)
	if k.Status != 415 || convhttp.DomainCode(convhttp.CodeUnsupportedMediaType) != "invalid" || api.CodeForStatus(415) != "invalid" {
		t.Error("unsupported_media_type must be 415 on the wire and EINVALID in the domain")
	}
}

// TestStatusTableRoundTrips checks that the client's status-to-code map
// inverts the native table for the codes a status identifies.
func TestStatusTableRoundTrips(t *testing.T) {
	for _, code := range []string{convstore.EINVALID, convstore.ENOTFOUND, convstore.ECONFLICT, convstore.EUNAUTHORIZED,
		convstore.EFORBIDDEN, convstore.ETOOLARGE, convstore.EUNAVAILABLE, convstore.ERATELIMITED} {
		if got := api.CodeForStatus(convhttp.ProblemErrors.Status(code)); got != code {
			t.Errorf("code %s -> status %d -> %s", code, convhttp.ProblemErrors.Status(code), got)
		}
	}
	if convhttp.ProblemErrors.Status("nonsense") != http.StatusInternalServerError ||
		convhttp.ProblemErrors.Status(convhttp.CodeInvalidJSON) != http.StatusBadRequest {
		t.Fatal("status table wrong")
	}
}
