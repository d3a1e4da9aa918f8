package convhttp_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Rules of the kinds the doors declare.
var (
	strictRules  = &convhttp.QueryRules{Strict: true}
	lastRules    = &convhttp.QueryRules{Repeated: convhttp.RepeatLast, Absent: []string{""}, TrimSpace: true}
	firstRules   = &convhttp.QueryRules{Repeated: convhttp.RepeatFirst, Absent: []string{"", "null"}, IgnoreMalformed: true}
	refusedRules = &convhttp.QueryRules{Repeated: convhttp.RepeatRefused}
)

// paramKind returns the kind of a toolkit error, 0 for nil.
func paramKind(t *testing.T, err error) convhttp.ParamKind {
	t.Helper()
	if err == nil {
		return 0
	}
	var pe *convhttp.ParamError
	if !errors.As(err, &pe) {
		t.Fatalf("%v is not a *ParamError", err)
	}
	if convstore.ErrorCode(err) != convhttp.CodeInvalidParameter || convstore.ErrorField(err) != pe.Name {
		t.Fatalf("%v: code %q field %q, want invalid_parameter naming %q", err, convstore.ErrorCode(err), convstore.ErrorField(err), pe.Name)
	}
	return pe.Kind
}

func TestQueryParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rules *convhttp.QueryRules
		raw   string
		known []string
		want  convhttp.ParamKind
	}{
		{strictRules, "limit=1&order=asc", []string{"limit", "order"}, 0},
		{strictRules, "limt=1", []string{"limit", "order"}, convhttp.ParamUnknown},
		{strictRules, "x=1", nil, convhttp.ParamUnknown},
		{strictRules, "limit=1&limit=2", []string{"limit"}, convhttp.ParamRepeated},
		{strictRules, "a=%zz", []string{"a"}, convhttp.QueryMalformed},
		{lastRules, "anything=1&anything=2", nil, 0},
		{lastRules, "a=%zz", nil, convhttp.QueryMalformed},
		{firstRules, "a=%zz&b=1", nil, 0}, // read what can be read
		{refusedRules, "a=1&a=2", nil, 0}, // lenient: refused only when read
	} {
		_, err := tc.rules.ParseRaw(tc.raw, tc.known...)
		if got := paramKind(t, err); got != tc.want {
			t.Errorf("%q %v: kind %d, want %d (%v)", tc.raw, tc.known, got, tc.want, err)
		}
	}
	// The unknown-parameter message lists what the endpoint takes.
	_, err := strictRules.ParseRaw("limt=1", "limit", "order")
	if msg := convstore.ErrorMessage(err); msg != `Unknown query parameter "limt": this endpoint takes limit, order.` {
		t.Errorf("message %q", msg)
	}
}

func TestQueryValues(t *testing.T) {
	t.Parallel()
	parse := func(rules *convhttp.QueryRules, raw string) *convhttp.Query {
		q, err := rules.ParseRaw(raw)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		return q
	}
	// Which value counts, and what counts as absent.
	for _, tc := range []struct {
		rules   *convhttp.QueryRules
		raw     string
		want    string
		present bool
		kind    convhttp.ParamKind
	}{
		{lastRules, "a=1&a=2", "2", true, 0},
		{firstRules, "a=1&a=2", "1", true, 0},
		{refusedRules, "a=1&a=2", "", false, convhttp.ParamRepeated},
		{refusedRules, "a=", "", true, 0},
		{lastRules, "a=", "", false, 0},
		{firstRules, "a=null", "", false, 0},
		{lastRules, "a=null", "null", true, 0},
		{lastRules, "b=1", "", false, 0},
	} {
		s, ok, err := parse(tc.rules, tc.raw).String("a")
		if s != tc.want || ok != tc.present || paramKind(t, err) != tc.kind {
			t.Errorf("%q: got %q %v %v, want %q %v kind %d", tc.raw, s, ok, err, tc.want, tc.present, tc.kind)
		}
	}

	q := parse(lastRules, "n=+7&pad=%207%20&big=101&neg=-1&word=ten&b=Yes&nb=maybe&e=desc&ne=up&t=2024-01-31&nt=31/01&u=86400&nu=1e3&"+
		"text=caf%C3%A9&long=abcdef&nul=a%00b&bad=%FF&id="+convstore.NewID().Format("conv")+"&nid=msg_x&r=1&r=2")
	ints := []struct {
		name   string
		lo, hi int64
		want   int64
		kind   convhttp.ParamKind
	}{
		{"n", 0, 10, 7, 0},
		{"pad", 0, 10, 7, 0}, // TrimSpace
		{"big", 0, 100, 0, convhttp.ParamTooLarge},
		{"neg", 0, 100, 0, convhttp.ParamTooSmall},
		{"word", 0, 100, 0, convhttp.ParamNotInteger},
		{"missing", 0, 100, 0, 0},
	}
	for _, tc := range ints {
		n, _, err := q.Int(tc.name, tc.lo, tc.hi)
		if n != tc.want || paramKind(t, err) != tc.kind {
			t.Errorf("Int(%s): %d %v, want %d kind %d", tc.name, n, err, tc.want, tc.kind)
		}
	}
	if v, ok, err := q.Bool("b"); !v || !ok || err != nil {
		t.Errorf("Bool(Yes): %v %v %v", v, ok, err)
	}
	if _, _, err := q.Bool("nb"); paramKind(t, err) != convhttp.ParamNotBoolean {
		t.Errorf("Bool(maybe): %v", err)
	}
	if v, _, err := q.Enum("e", "asc", "desc"); v != "desc" || err != nil {
		t.Errorf("Enum(desc): %q %v", v, err)
	}
	_, _, err := q.Enum("ne", "asc", "desc")
	if paramKind(t, err) != convhttp.ParamNotAllowed || convstore.ErrorMessage(err) != "ne must be asc or desc." {
		t.Errorf("Enum(up): %v", err)
	}
	day := func(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }
	if v, _, err := q.Time("t", day); err != nil || v.Day() != 31 {
		t.Errorf("Time: %v %v", v, err)
	}
	if _, _, err := q.Time("nt", day); paramKind(t, err) != convhttp.ParamBadTime {
		t.Errorf("Time(bad): %v", err)
	}
	if v, _, err := q.Unix("u"); err != nil || !v.Equal(time.Unix(86400, 0)) || v.Location() != time.UTC {
		t.Errorf("Unix: %v %v", v, err)
	}
	if _, _, err := q.Unix("nu"); paramKind(t, err) != convhttp.ParamBadTime {
		t.Errorf("Unix(1e3): %v", err)
	}
	if s, err := q.Text("text", 5); s != "café" || err != nil {
		t.Errorf("Text: %q %v", s, err)
	}
	for _, name := range []string{"long", "nul", "bad"} {
		if _, err := q.Text(name, 5); paramKind(t, err) != convhttp.ParamTooLong {
			t.Errorf("Text(%s): %v", name, err)
		}
	}
	if id, ok, err := q.ID("id", "conv"); id.IsZero() || !ok || err != nil {
		t.Errorf("ID: %v %v %v", id, ok, err)
	}
	if _, _, err := q.ID("nid", "msg"); paramKind(t, err) != convhttp.ParamBadID {
		t.Errorf("ID(bad): %v", err)
	}
	if all := q.All("r"); !slices.Equal(all, []string{"1", "2"}) {
		t.Errorf("All: %v", all)
	}
	// Values is a copy: changing it leaves the query as it was.
	v := q.Values()
	v.Set("r", "x")
	if all := q.All("r"); !slices.Equal(all, []string{"1", "2"}) {
		t.Errorf("Values shares its slices: %v", all)
	}
}

// TestQueryWrap checks that a door's Wrap sees every failure and its
// answer is what the getter returns.
func TestQueryWrap(t *testing.T) {
	t.Parallel()
	var seen []string
	rules := &convhttp.QueryRules{Wrap: func(e *convhttp.ParamError) error {
		seen = append(seen, e.Name)
		return convstore.Invalidf(e.Name, "door says no")
	}}
	q, _ := rules.ParseRaw("a=x&b=1&b=2")
	_, _, errA := q.Int("a", 0, 1)
	_, _, errB := q.String("b")
	if convstore.ErrorMessage(errA) != "door says no" || convstore.ErrorMessage(errB) != "door says no" || !slices.Equal(seen, []string{"a", "b"}) {
		t.Fatalf("wrap: %v %v %v", errA, errB, seen)
	}
}

func TestQueryFamily(t *testing.T) {
	t.Parallel()
	known := []string{"limit", convhttp.FamilyParam("metadata")}
	q, err := strictRules.ParseRaw("metadata%5Btier%5D=gold&metadata[a[b]]=c&metadata[]=e&limit=1", known...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.Family("metadata")
	if err != nil || len(got) != 3 || got["tier"] != "gold" || got["a[b]"] != "c" || got[""] != "e" {
		t.Errorf("Family = %q, %v; want tier, a[b] and the empty key", got, err)
	}
	if got, err := q.Family("limit"); got != nil || err != nil {
		t.Errorf("Family(limit) = %q, %v; want none", got, err)
	}
	// Only the family named is known; a member is repeated like any parameter.
	for raw, want := range map[string]convhttp.ParamKind{
		"tags[x]=1":                   convhttp.ParamUnknown,
		"metadata=1":                  convhttp.ParamUnknown,
		"metadata[x=1":                convhttp.ParamUnknown,
		"[x]=1":                       convhttp.ParamUnknown,
		"metadata[x]=1&metadata[x]=2": convhttp.ParamRepeated,
	} {
		_, err := strictRules.ParseRaw(raw, known...)
		if got := paramKind(t, err); got != want {
			t.Errorf("%q: kind %d, want %d (%v)", raw, got, want, err)
		}
	}
	_, err = strictRules.ParseRaw("tags[x]=1", known...)
	if msg := convstore.ErrorMessage(err); msg != `Unknown query parameter "tags[x]": this endpoint takes limit, metadata[key].` {
		t.Errorf("message %q", msg)
	}
	// Lenient rules refuse a repeated member when the family is read.
	q, _ = refusedRules.ParseRaw("metadata[x]=1&metadata[x]=2")
	if _, err := q.Family("metadata"); paramKind(t, err) != convhttp.ParamRepeated {
		t.Errorf("repeated member: %v", err)
	}
}

// FuzzQuery reads arbitrary query strings under every kind of rules. The
// toolkit never panics; a value it returns keeps its promise (an integer
// within bounds, text of valid UTF-8 without NUL within its limit, a value
// that url.ParseQuery also sees); every error unwraps to a 400
// invalid_parameter naming the parameter; strict rules refuse exactly the
// strings with an unknown or repeated parameter.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "a=1&a=2", "a=", "a=null", "a=%zz", "a=%00", "a=%FF", "a=+1", "a=%201%20", "a=-9223372036854775808",
		"a=9223372036854775808", "a=1e3", "a=0x10", "a=yes&b=Off", "limit=100&order=desc&after=conv_01j00000000000000000000000",
		"a;b=1", "&&", "=1", "a=b=c", "a=caf%C3%A9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		known := []string{"a", "b", "limit", "order", "after"}
		parsed, perr := url.ParseQuery(raw)
		for _, rules := range []*convhttp.QueryRules{strictRules, lastRules, firstRules, refusedRules} {
			q, err := rules.ParseRaw(raw, known...)
			if q == nil {
				t.Fatalf("%q: nil query", raw)
			}
			checkParamError(t, raw, err)
			if rules.Strict && perr == nil {
				bad := false
				for k, vs := range parsed {
					bad = bad || !slices.Contains(known, k) || len(vs) > 1
				}
				if bad != (err != nil) {
					t.Fatalf("%q: strict parse error %v, want an error: %v", raw, err, bad)
				}
			}
			if err != nil && !rules.IgnoreMalformed && perr != nil {
				continue
			}
			for _, name := range known {
				if s, ok, err := q.String(name); err == nil && ok && !slices.Contains(parsed[name], s) {
					t.Fatalf("%q: String(%s) = %q, not one of %q", raw, name, s, parsed[name])
				} else {
					checkParamError(t, raw, err)
				}
				if n, ok, err := q.Int(name, -5, 5); ok && (n < -5 || n > 5) {
					t.Fatalf("%q: Int(%s) = %d", raw, name, n)
				} else {
					checkParamError(t, raw, err)
				}
				s, err := q.Text(name, 8)
				if len(s) > 8 || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
					t.Fatalf("%q: Text(%s) = %q", raw, name, s)
				}
				checkParamError(t, raw, err)
				_, _, err = q.Bool(name)
				checkParamError(t, raw, err)
				_, _, err = q.Enum(name, "asc", "desc")
				checkParamError(t, raw, err)
				_, _, err = q.Unix(name)
				checkParamError(t, raw, err)
				_, _, err = q.ID(name, "conv")
				checkParamError(t, raw, err)
			}
		}
	})
}

// checkParamError fails unless err is nil or a toolkit error that a door
// passing it through answers as a 400 invalid_parameter with a message.
func checkParamError(t *testing.T, raw string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var pe *convhttp.ParamError
	if !errors.As(err, &pe) || convstore.ErrorCode(err) != convhttp.CodeInvalidParameter || convstore.ErrorMessage(err) == "" {
		t.Fatalf("%q: %v is not a 400 invalid_parameter", raw, err)
	}
}
