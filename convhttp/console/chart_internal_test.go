package console

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// TestBarChartEscapes: series names and labels are data; the SVG stays
// well-formed XML with none of their markup in it, and the text
// alternative sums each series.
func TestBarChartEscapes(t *testing.T) {
	svg := string(barChart(`<script>alert(1)</script>`, []string{"a", `"><b>`}, map[string][]int{
		`</svg><script>x</script>`: {1, 2},
		"":                         {0, 3},
	}))
	if strings.Contains(svg, "<script") || strings.Contains(svg, "<b>") || strings.Contains(svg, "</svg><") {
		t.Fatalf("markup got through: %s", svg)
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	rects := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "rect" {
			rects++
		}
	}
	if rects != 3+2 { // three bars, two legend keys
		t.Errorf("%d rects, want 5", rects)
	}
	if !strings.Contains(svg, "(operator) 3; ") || !strings.Contains(svg, "x&lt;/script&gt; 3; ") {
		t.Errorf("text alternative: %s", svg)
	}
}
