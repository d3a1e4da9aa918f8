package v1

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
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

// queryRules are the native door's: unknown parameters are refused, so a
// typo such as "limt" is not silently ignored, and so are repeated ones.
var queryRules = &convhttp.QueryRules{Strict: true, Repeated: convhttp.RepeatRefused}

// parseQuery parses the query string of an endpoint that takes the
// parameters allowed (none when empty).
func parseQuery(r *http.Request, allowed ...string) (*convhttp.Query, error) {
	return queryRules.Parse(r, allowed...)
}

// page returns the pagination parameters limit, after and order; after is
// an id with the listed resource's prefix.
func page(q *convhttp.Query, afterPrefix string, defaultOrder convstore.Order) (convstore.PageFilter, error) {
	p := convstore.PageFilter{Limit: convstore.DefaultPageLimit, Order: defaultOrder}
	if n, ok, err := q.Int("limit", 1, convstore.MaxPageLimit); err != nil {
		return p, err
	} else if ok {
		p.Limit = int(n)
	}
	if o, ok, err := q.Enum("order", string(convstore.OrderAsc), string(convstore.OrderDesc)); err != nil {
		return p, err
	} else if ok {
		p.Order = convstore.Order(o)
	}
	after, _, err := q.ID("after", afterPrefix)
	p.After = after
	return p, err
}

// unix returns an optional Unix-seconds time parameter (nil when absent).
func unix(q *convhttp.Query, name string) (*time.Time, error) {
	t, ok, err := q.Unix(name)
	if err != nil || !ok {
		return nil, err
	}
	return &t, nil
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
