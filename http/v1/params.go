package v1

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
)

// invalidParam returns the 400 invalid_parameter error naming a path or
// query parameter.
func invalidParam(field, format string, args ...any) error {
	return &convstore.Error{Code: convhttp.CodeInvalidParameter, Field: field, Message: fmt.Sprintf(format, args...)}
}

// pathID parses the path parameter name as a native id with prefix.
func pathID(r *http.Request, name, prefix string) (convstore.ID, error) {
	id, err := convstore.ParseID(prefix, name, r.PathValue(name))
	if err != nil {
		return id, invalidParam(name, "%s", convstore.ErrorMessage(err))
	}
	return id, nil
}

// conversationID parses the {conversation_id} path parameter.
func conversationID(r *http.Request) (convstore.ID, error) {
	return pathID(r, "conversation_id", convstore.PrefixConversation)
}

// attachmentName parses the {name} path parameter.
func attachmentName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	if err := convstore.ValidateAttachmentName(name); err != nil {
		return "", invalidParam("name", "%s", convstore.ErrorMessage(err))
	}
	return name, nil
}

// query is a request's parsed query string restricted to known parameters.
type query url.Values

// parseQuery parses the query string, rejecting malformed encoding, unknown
// parameters (so a typo such as "limt" is not silently ignored) and
// repeated ones.
func parseQuery(r *http.Request, allowed ...string) (query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalidParam("", "The query string is malformed: %v.", err)
	}
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return nil, invalidParam(k, "Unknown query parameter %q: this endpoint takes none.", k)
			}
			return nil, invalidParam(k, "Unknown query parameter %q: this endpoint takes %s.", k, strings.Join(allowed, ", "))
		}
		if len(v[k]) > 1 {
			return nil, invalidParam(k, "Query parameter %q is repeated.", k)
		}
	}
	return query(v), nil
}

// get returns a parameter's value and whether it is present.
func (q query) get(name string) (string, bool) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// text returns an optional free-text parameter of at most max bytes.
func (q query) text(name string, max int) (string, error) {
	s, _ := q.get(name)
	if len(s) > max || !utf8.ValidString(s) {
		return "", invalidParam(name, "%s must be at most %d bytes of UTF-8.", name, max)
	}
	return s, nil
}

// id returns an optional id parameter with prefix (zero when absent).
func (q query) id(name, prefix string) (convstore.ID, error) {
	s, ok := q.get(name)
	if !ok {
		return convstore.ID{}, nil
	}
	id, err := convstore.ParseID(prefix, name, s)
	if err != nil {
		return id, invalidParam(name, "%s", convstore.ErrorMessage(err))
	}
	return id, nil
}

// unix returns an optional Unix-seconds time parameter.
func (q query) unix(name string) (*time.Time, error) {
	s, ok := q.get(name)
	if !ok {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	// Keep to years 0..9999 so the time survives every engine's encoding.
	if err != nil || n < -62135596800 || n > 253402300799 {
		return nil, invalidParam(name, "%s must be a Unix time in seconds (an integer).", name)
	}
	t := time.Unix(n, 0).UTC()
	return &t, nil
}

// page returns the pagination parameters limit, after and order; after is
// an id with the listed resource's prefix.
func (q query) page(afterPrefix string, defaultOrder convstore.Order) (convstore.PageFilter, error) {
	p := convstore.PageFilter{Limit: convstore.DefaultPageLimit, Order: defaultOrder}
	if s, ok := q.get("limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > convstore.MaxPageLimit {
			return p, invalidParam("limit", "limit must be an integer from 1 to %d.", convstore.MaxPageLimit)
		}
		p.Limit = n
	}
	if s, ok := q.get("order"); ok {
		switch o := convstore.Order(s); o {
		case convstore.OrderAsc, convstore.OrderDesc:
			p.Order = o
		default:
			return p, invalidParam("order", "order must be asc or desc.")
		}
	}
	after, err := q.id("after", afterPrefix)
	if err != nil {
		return p, err
	}
	p.After = after
	return p, nil
}

// pageParams are the query parameters of every paginated list.
var pageParams = []string{"limit", "after", "order"}

// withPage returns the page parameters plus extra ones.
func withPage(extra ...string) []string { return append(extra, pageParams...) }

// offsetMS converts a wire offset in milliseconds, rejecting values whose
// duration would overflow.
func offsetMS(field string, ms *int64) error {
	if ms != nil && (*ms > math.MaxInt64/int64(time.Millisecond) || *ms < math.MinInt64/int64(time.Millisecond)) {
		return convstore.Invalidf(field, "%s is too large", field)
	}
	return nil
}
