package botpress

import (
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Headers of the Runtime API.
const (
	headerBotID            = "x-bot-id"
	headerIntegrationID    = "x-integration-id"
	headerIntegrationAlias = "x-integration-alias"
)

// botID returns the required x-bot-id header: the bot is the
// conversation's AgentID.
func botID(r *http.Request) (string, error) {
	bot := r.Header.Get(headerBotID)
	switch {
	case bot == "":
		return "", invalid(headerBotID, "x-bot-id header is required.")
	case len(bot) > convstore.MaxExternalLen || !utf8.ValidString(bot):
		return "", invalid(headerBotID, "x-bot-id header must be at most %d bytes of UTF-8.", convstore.MaxExternalLen)
	case bot == usersAgent:
		return "", invalid(headerBotID, "x-bot-id %q is reserved by this server for user records.", usersAgent)
	}
	return bot, nil
}

// integrationName returns the integration recorded on a new conversation:
// the x-integration-alias header, else x-integration-id, else the body's
// integrationName.
func integrationName(r *http.Request, body *string) (string, error) {
	name := r.Header.Get(headerIntegrationAlias)
	if name == "" {
		name = r.Header.Get(headerIntegrationID)
	}
	if name == "" && body != nil {
		name = *body
	}
	if len(name) > maxNameLen || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
		return "", invalid("integrationName", "integrationName must be at most %d bytes of UTF-8.", maxNameLen)
	}
	return name, nil
}

// bodyRules decode bodies leniently: unknown members are ignored, but a
// body that is not JSON, is null, repeats a key or sends a case variant of
// a member the door reads, or a member of the wrong type, is 400
// InvalidPayload; Server.ReadBody answers a body over the server's limit
// 413 and one without a JSON Content-Type 415 UnsupportedMediaType.
var bodyRules = &convhttp.BodyRules{Wrap: bodyError}

// bodyError phrases a decoding failure as a 400 InvalidPayload.
func bodyError(e *convhttp.BodyError) error {
	switch e.Kind {
	case convhttp.BodySyntax, convhttp.BodyIncomplete, convhttp.BodyTrailing:
		return invalid("", "The request body is not valid JSON (at byte %d).", e.Offset)
	case convhttp.BodyWrongType:
		return invalid(e.Field, "%s must be %s, not %s.", e.Field, jsonKind(e.Type.String()), e.Value)
	case convhttp.BodyNotObject:
		return invalid("", "The request body must be a JSON object, not %s.", e.Value)
	}
	return invalid("", "The request body is not valid JSON.")
}

// decodeBody reads the JSON body into dst by bodyRules.
func (d *Door) decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	return d.srv.ReadJSON(w, r, bodyRules, dst)
}

// jsonKind names a Go type of the wire structs in JSON terms.
func jsonKind(t string) string {
	switch {
	case strings.HasSuffix(t, "tagsIn"), strings.HasPrefix(t, "map["):
		return "an object of strings"
	case strings.HasPrefix(t, "*[]string"), strings.HasPrefix(t, "[]"):
		return "an array of strings"
	case strings.HasSuffix(t, "string"):
		return "a string"
	case strings.HasSuffix(t, "float64"):
		return "a number"
	}
	return "an object"
}

// requireString checks a required, non-empty string member of at most max
// bytes.
func requireString(field string, s *string, max int) (string, error) {
	if s == nil || *s == "" {
		return "", invalid(field, "%s is required.", field)
	}
	if len(*s) > max || !utf8.ValidString(*s) || strings.IndexByte(*s, 0) >= 0 {
		return "", invalid(field, "%s must be at most %d bytes of UTF-8 without NUL characters.", field, max)
	}
	return *s, nil
}

// queryRules read query strings as Botpress does: unknown parameters are
// ignored, as clients may send more than this door uses, and a repeated
// one that the door reads is refused.
var queryRules = &convhttp.QueryRules{Repeated: convhttp.RepeatRefused, Wrap: queryError}

// queryError phrases a bad query parameter as a 400 InvalidQuery.
func queryError(e *convhttp.ParamError) error {
	switch e.Kind {
	case convhttp.QueryMalformed:
		return invalidQuery("", "The query string is malformed.")
	case convhttp.ParamRepeated:
		return invalidQuery(e.Name, "Query parameter %s is repeated.", e.Name)
	case convhttp.ParamNotInteger, convhttp.ParamTooSmall, convhttp.ParamTooLarge:
		return invalidQuery(e.Name, "%s must be a positive integer.", e.Name)
	case convhttp.ParamBadID:
		return invalidQuery(e.Name, "%s is not a token this endpoint returned.", e.Name)
	case convhttp.ParamBadTime:
		return invalidQuery(e.Name, "%s must be an ISO-8601 date-time such as 2024-01-31T12:00:00.000Z.", e.Name)
	}
	return invalidQuery(e.Name, "%s", e.Error())
}

// page returns the nextToken cursor (a native id with prefix) and pageSize
// (default 20; larger than the store's 100 is served 100 at a time, which
// nextToken paging makes invisible to clients).
func page(q *convhttp.Query, prefix string) (convstore.PageFilter, error) {
	p, err := pageSize(q)
	if err != nil {
		return p, err
	}
	p.After, _, err = q.ID("nextToken", prefix)
	return p, err
}

// pageSize returns the page of pageSize alone, for lists whose nextToken
// is not an id.
func pageSize(q *convhttp.Query) (convstore.PageFilter, error) {
	p := convstore.PageFilter{Limit: convstore.DefaultPageLimit}
	if n, ok, err := q.Int("pageSize", 1, math.MaxInt64); err != nil {
		return p, err
	} else if ok {
		p.Limit = int(min(n, convstore.MaxPageLimit))
	}
	return p, nil
}
