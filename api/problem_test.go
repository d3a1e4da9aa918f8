package api

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestOpenAPICodesMatchStatuses fails when the Problem schema's code enum
// in openapi.json and the codes the server can answer (statusByCode)
// differ, so a new wire code cannot ship undocumented.
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
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas.Problem.Properties.Code.Enum
	for code := range statusByCode {
		if !slices.Contains(documented, code) {
			t.Errorf("code %q is answered but not in the Problem schema's enum", code)
		}
	}
	for _, code := range documented {
		if _, ok := statusByCode[code]; !ok {
			t.Errorf("the Problem schema documents code %q, which has no status", code)
		}
	}
	if StatusForCode(CodeUnsupportedMediaType) != 415 || DomainCode(CodeUnsupportedMediaType) != "invalid" || CodeForStatus(415) != "invalid" {
		t.Error("unsupported_media_type must be 415 on the wire and EINVALID in the domain")
	}
}

func TestDomainField(t *testing.T) {
	for wire, domain := range map[string]string{
		"start_offset_ms":              "start_offset",
		"messages[2].end_offset_ms":    "messages[2].end_offset",
		"messages[0].start_offset":     "messages[0].start_offset",
		"title":                        "title",
		"messages[1].xstart_offset_ms": "messages[1].xstart_offset_ms",
		"":                             "",
	} {
		if got := DomainField(wire); got != domain {
			t.Errorf("DomainField(%q) = %q, want %q", wire, got, domain)
		}
	}
}
