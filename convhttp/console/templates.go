package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// pageNames are the templates of templates/, each parsed with the layout.
var pageNames = []string{"signin", "error", "dashboard", "find", "person", "conversation", "erasures", "erasure",
	"receipt", "holds", "retention", "deletions", "audit"}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"bytes": func(n int64) string {
		switch {
		case n < 1024:
			return fmt.Sprintf("%d B", n)
		case n < 1<<20:
			return fmt.Sprintf("%.1f KiB", float64(n)/1024)
		case n < 1<<30:
			return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
		}
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	},
	"id": func(prefix string, id convstore.ID) string {
		if id.IsZero() {
			return ""
		}
		return id.Format(prefix)
	},
	"scopes": func(k *convstore.APIKey) string {
		s := make([]string, len(k.Scopes))
		for i, sc := range k.Scopes {
			s[i] = string(sc)
		}
		return strings.Join(s, ", ")
	},
	"confState": func(c convstore.Confirmation, now time.Time) string { return c.StateAt(now) },
	"cause":     causeOf,
	// who names a key by its name and id, or by its id alone when the
	// viewer may not list keys (or the key is gone); zero is an operator.
	"who": func(keys map[convstore.ID]string, id convstore.ID) string {
		if id.IsZero() {
			return "operator (command line)"
		}
		if n, ok := keys[id]; ok {
			return n + " (" + id.Format(convstore.PrefixKey) + ")"
		}
		return id.Format(convstore.PrefixKey)
	},
	"add": func(a, b int) int { return a + b },
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
}

func parsePages() map[string]*template.Template {
	layout := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := make(map[string]*template.Template, len(pageNames))
	for _, n := range pageNames {
		t := template.Must(layout.Clone())
		b, err := fs.ReadFile(templateFS, "templates/"+n+".html")
		if err != nil {
			panic(err)
		}
		pages[n] = template.Must(t.Parse(string(b)))
	}
	return pages
}
