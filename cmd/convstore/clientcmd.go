package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

// Defaults of the client commands.
const (
	defaultURL     = "http://127.0.0.1:8080"
	defaultTimeout = 60 * time.Second
)

// clientFlags are the flags every client command has.
type clientFlags struct {
	url     string
	key     string
	json    bool
	timeout time.Duration
}

// register adds --url, --key, --json and --timeout to fs.
func (cf *clientFlags) register(fs *flagSet) {
	fs.StringVar(&cf.url, "url", defaultURL, "server base `URL`")
	fs.bindEnv("url", "CONVSTORE_URL")
	fs.StringVar(&cf.key, "key", "", "API `key` (csk_…)")
	fs.bindEnv("key", "CONVSTORE_KEY")
	fs.BoolVar(&cf.json, "json", false, "print the wire JSON instead of a table")
	fs.DurationVar(&cf.timeout, "timeout", cf.timeout, "give up on the server after this `duration` (0: never)")
}

// client returns a client of the configured server.
func (cf *clientFlags) client(fs *flagSet) (*client.Client, error) {
	if cf.key == "" {
		return nil, usageErrorf(fs, "no API key: pass --key or set CONVSTORE_KEY")
	}
	return client.New(cf.url, cf.key, client.WithHTTPClient(&http.Client{Timeout: cf.timeout}),
		client.WithUserAgent("convstore-cli/1")), nil
}

// newClientFlagSet returns a flag set with the client flags registered and
// timeout as the default --timeout (0: none).
func newClientFlagSet(env *Env, usageLine, summary string, timeout time.Duration) (*flagSet, *clientFlags) {
	fs := newFlagSet(usageLine, "convstore "+usageLine, summary, env.Stderr)
	cf := &clientFlags{timeout: timeout}
	cf.register(fs)
	return fs, cf
}

// parseArgID parses a native id given on the command line.
func parseArgID(fs *flagSet, prefix, what, s string) (convstore.ID, error) {
	id, err := convstore.ParseID(prefix, what, s)
	if err != nil {
		return convstore.ID{}, usageErrorf(fs, "%s %q is not a valid id (want %s_…)", what, s, prefix)
	}
	return id, nil
}

// pageFlags are the pagination flags of list commands.
type pageFlags struct {
	limit int
	after string
	order string
}

func (pf *pageFlags) register(fs *flagSet) {
	fs.IntVar(&pf.limit, "limit", 0, fmt.Sprintf("page size, 1..%d (default %d)", convstore.MaxPageLimit, convstore.DefaultPageLimit))
	fs.StringVar(&pf.after, "after", "", "start after this `id` (the last id of the previous page)")
	fs.StringVar(&pf.order, "order", "", "asc or desc (default depends on the list)")
}

// filter returns the page filter; prefix is the listed resource's prefix.
func (pf *pageFlags) filter(fs *flagSet, prefix string) (convstore.PageFilter, error) {
	p := convstore.PageFilter{Limit: pf.limit, Order: convstore.Order(pf.order)}
	if pf.after != "" {
		id, err := parseArgID(fs, prefix, "--after", pf.after)
		if err != nil {
			return p, err
		}
		p.After = id
	}
	return p, nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// wireList wraps wire items as the API's list object.
func wireList[T any](data []T, id func(T) string, hasMore bool) api.List[T] {
	l := api.List[T]{Object: api.ObjectList, Data: data, HasMore: hasMore}
	if l.Data == nil {
		l.Data = []T{}
	}
	if n := len(data); n > 0 {
		first, last := id(data[0]), id(data[n-1])
		l.FirstID, l.LastID = &first, &last
	}
	return l
}

// table writes rows aligned in columns under a header. Every cell goes
// through termSafe.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cols ...string) {
	safe := make([]string, len(cols))
	for i, c := range cols {
		safe[i] = termSafe(c)
	}
	fmt.Fprintln(t.tw, strings.Join(safe, "\t"))
}

func (t *table) flush(w io.Writer, hasMore bool, lastID string) error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	if hasMore {
		_, err := fmt.Fprintf(w, "(more: --after %s)\n", termSafe(lastID))
		return err
	}
	return nil
}

// fields writes "name: value" lines aligned, for single objects; values
// go through termSafe.
func fields(w io.Writer, kv ...string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[i], termSafe(kv[i+1]))
	}
	return tw.Flush()
}

// fmtTime renders a timestamp for tables.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtOptID renders an optional id with its prefix.
func fmtOptID(id convstore.ID, prefix string) string {
	if id.IsZero() {
		return "-"
	}
	return id.Format(prefix)
}

// orDash renders an empty string as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// truncate shortens s to n runes for a table cell, on one line.
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// parseMetadata parses repeated key=value flags.
func parseMetadata(fs *flagSet, kvs []string) (convstore.Metadata, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := convstore.Metadata{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf(fs, "--metadata %q: want key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}

// fmtMetadata renders metadata as sorted key=value pairs.
func fmtMetadata(m convstore.Metadata) string {
	if len(m) == 0 {
		return "-"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, " ")
}

func itoa(i int) string { return strconv.Itoa(i) }
