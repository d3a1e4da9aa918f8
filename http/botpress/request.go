package botpress

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
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

// decodeBody reads the JSON body into dst leniently: unknown members are
// ignored, but a body that is not JSON, is null, repeats a key or sends a
// case variant of a member the door reads, or a member of the wrong type,
// is 400 InvalidPayload; a body over the server's limit is 413 and one
// without a JSON Content-Type 415 UnsupportedMediaType.
func (d *Door) decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := d.srv.ReadBody(w, r)
	if err != nil {
		return err
	}
	if err := convhttp.CheckJSON(body, dst); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return invalid("", "The request body is not valid JSON (at byte %d).", syn.Offset)
		case errors.As(err, &typ) && typ.Field != "":
			return invalid(typ.Field, "%s must be %s, not %s.", typ.Field, jsonKind(typ.Type.String()), typ.Value)
		case errors.As(err, &typ):
			return invalid("", "The request body must be a JSON object, not %s.", typ.Value)
		}
		return invalid("", "The request body is not valid JSON.")
	}
	return nil
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

// query is a parsed query string.
type query url.Values

// parseQuery parses the query string; unknown parameters are ignored, as
// Botpress clients may send more than this door uses.
func parseQuery(r *http.Request) (query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalidQuery("", "The query string is malformed.")
	}
	return query(v), nil
}

// get returns a single-valued parameter; a repeated one is an error.
func (q query) get(name string) (string, bool, error) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return "", false, nil
	}
	if len(v) > 1 {
		return "", false, invalidQuery(name, "Query parameter %s is repeated.", name)
	}
	return v[0], true, nil
}

// text returns an optional text parameter of at most max bytes.
func (q query) text(name string, max int) (string, error) {
	s, _, err := q.get(name)
	if err != nil {
		return "", err
	}
	if len(s) > max || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return "", invalidQuery(name, "%s must be at most %d bytes of UTF-8.", name, max)
	}
	return s, nil
}

// page returns the nextToken cursor (a native id with prefix) and pageSize
// (default 20; larger than the store's 100 is served 100 at a time, which
// nextToken paging makes invisible to clients).
func (q query) page(prefix string) (convstore.PageFilter, error) {
	p := convstore.PageFilter{Limit: convstore.DefaultPageLimit}
	if s, ok, err := q.get("pageSize"); err != nil {
		return p, err
	} else if ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, invalidQuery("pageSize", "pageSize must be a positive integer.")
		}
		p.Limit = min(n, convstore.MaxPageLimit)
	}
	if s, ok, err := q.get("nextToken"); err != nil {
		return p, err
	} else if ok {
		id, err := convstore.ParseID(prefix, "nextToken", s)
		if err != nil {
			return p, invalidQuery("nextToken", "nextToken is not a token this endpoint returned.")
		}
		p.After = id
	}
	return p, nil
}
