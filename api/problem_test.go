package api

import "testing"

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
