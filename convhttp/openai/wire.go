package openai

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// maxItemsPerCall is OpenAI's bound on the items of one create call.
const maxItemsPerCall = 20

// Request bodies. Members the door reads are raw or pointers, so that
// absent, null and empty can be told apart; unknown members are ignored.

// conversationIn is the body of POST /v1/conversations.
type conversationIn struct {
	Items    json.RawMessage `json:"items"`
	Metadata json.RawMessage `json:"metadata"`
}

// conversationUpdateIn is the body of POST /v1/conversations/{id}.
type conversationUpdateIn struct {
	Metadata json.RawMessage `json:"metadata"`
}

// itemsIn is the body of POST /v1/conversations/{id}/items.
type itemsIn struct {
	Items json.RawMessage `json:"items"`
}

// Response objects.

// conversation is OpenAI's Conversation object.
type conversation struct {
	ID        string            `json:"id"`
	Object    string            `json:"object"`
	CreatedAt int64             `json:"created_at"`
	Metadata  map[string]string `json:"metadata"`
}

// conversationDeleted is the answer to a conversation delete.
type conversationDeleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// itemList is OpenAI's ConversationItemList: first_id and last_id are
// null when data is empty.
type itemList struct {
	Object  string            `json:"object"`
	Data    []json.RawMessage `json:"data"`
	FirstID *string           `json:"first_id"`
	LastID  *string           `json:"last_id"`
	HasMore bool              `json:"has_more"`
}

// newItemList returns the list of items, its ids from the first and last.
func newItemList(items []json.RawMessage, ids []string, more bool) itemList {
	l := itemList{Object: "list", Data: items, HasMore: more}
	if l.Data == nil {
		l.Data = []json.RawMessage{}
	}
	if len(ids) > 0 {
		l.FirstID, l.LastID = &ids[0], &ids[len(ids)-1]
	}
	return l
}

// toConversation renders a conversation. Its metadata is the
// conversation's as stored, whichever door wrote it.
func toConversation(c *convstore.Conversation) conversation {
	meta := map[string]string(c.Metadata)
	if meta == nil {
		meta = map[string]string{}
	}
	return conversation{
		ID:        c.ID.Format(convstore.PrefixConversation),
		Object:    "conversation",
		CreatedAt: c.CreatedAt.Unix(),
		Metadata:  meta,
	}
}

// bodyRules decode bodies leniently: unknown members are ignored, but a
// body that is not JSON, is null, repeats a key or sends a case variant of
// a member the door reads, or a member of the wrong type, is 400
// invalid_request_error; Server.ReadBody answers a body over the server's
// limit 413 and one that is not application/json 415.
var bodyRules = &convhttp.BodyRules{Wrap: bodyError}

// bodyError phrases a decoding failure as a 400 invalid_request_error.
func bodyError(e *convhttp.BodyError) error {
	switch e.Kind {
	case convhttp.BodySyntax, convhttp.BodyIncomplete, convhttp.BodyTrailing:
		return &convstore.Error{Code: convhttp.CodeInvalidJSON,
			Message: "We could not parse the JSON body of your request (at byte " + itoa(e.Offset) + ")."}
	case convhttp.BodyNotObject:
		return &convstore.Error{Code: convhttp.CodeInvalidJSON,
			Message: "The request body must be a JSON object, not " + e.Value + "."}
	case convhttp.BodyEmpty:
		return &convstore.Error{Code: convhttp.CodeInvalidJSON, Message: "The request body is empty; a JSON object is required."}
	}
	return &convstore.Error{Code: convhttp.CodeInvalidJSON, Field: e.Field, Message: e.Error()}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// decodeBody reads the JSON body into dst by bodyRules. When empty is
// true a request without a body (Content-Length 0) decodes as {}.
func (d *Door) decodeBody(w http.ResponseWriter, r *http.Request, dst any, empty bool) error {
	if empty && r.ContentLength == 0 {
		return nil
	}
	return d.srv.ReadJSON(w, r, bodyRules, dst)
}

// queryRules read query strings leniently, as OpenAI does: unknown
// parameters are ignored (the SDKs may send more than this door reads),
// and a repeated one the door reads is refused.
var queryRules = &convhttp.QueryRules{Repeated: convhttp.RepeatRefused, Wrap: queryError}

// queryError phrases a bad query parameter as a 400 invalid_request_error.
func queryError(e *convhttp.ParamError) error {
	switch e.Kind {
	case convhttp.QueryMalformed:
		return invalidQuery("", "The query string is malformed.")
	case convhttp.ParamRepeated:
		return invalidQuery(e.Name, "Query parameter %s is repeated.", e.Name)
	case convhttp.ParamNotInteger, convhttp.ParamTooSmall, convhttp.ParamTooLarge:
		return invalidQuery(e.Name, "Invalid '%s': must be an integer from 1 to 100.", e.Name)
	}
	return invalidQuery(e.Name, "%s", e.Error())
}

// parseMetadata reads a metadata member: absent or null is nil (ok true
// only when present, null included); otherwise an object of at most 16
// string values, keys of 1 to 64 bytes and values of at most 512.
func parseMetadata(raw json.RawMessage) (convstore.Metadata, bool, error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	if string(raw) == "null" {
		return nil, true, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, true, invalid("metadata", "Invalid type for 'metadata': expected an object of strings.")
	}
	if len(m) > convstore.MaxMetadataPairs {
		return nil, true, invalid("metadata", "Invalid 'metadata': too many properties. Expected an object with at most %d properties, but got an object with %d properties instead.", convstore.MaxMetadataPairs, len(m))
	}
	out := convstore.Metadata{}
	for k, v := range m {
		s, isString := v.(string)
		switch {
		case !isString:
			return nil, true, invalid("metadata", "Invalid type for 'metadata.%s': expected a string.", k)
		case k == "" || len(k) > convstore.MaxMetadataKeyLen:
			return nil, true, invalid("metadata", "Invalid 'metadata': keys must be 1 to %d bytes long.", convstore.MaxMetadataKeyLen)
		case len(s) > convstore.MaxMetadataValueLen:
			return nil, true, invalid("metadata", "Invalid 'metadata.%s': string too long. Expected a string with maximum length %d, but got a string with length %d instead.", k, convstore.MaxMetadataValueLen, len(s))
		}
		out[k] = s
	}
	if err := out.Validate("metadata"); err != nil {
		return nil, true, invalid("metadata", "Invalid 'metadata': %s.", strings.TrimPrefix(convstore.ErrorMessage(err), "metadata "))
	}
	return out, true, nil
}
