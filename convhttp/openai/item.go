package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/convstore/convstore"
)

// Message metadata keys under which the door keeps what an item carries
// beyond a convstore message. They are sealed with the message and
// deleted with it.
const (
	keyType   = "openai.type"   // the item type; set on every item this door stores
	keyID     = "openai.id"     // a message item's own id, when the client gave one
	keyStatus = "openai.status" // a message item's status, when given
	keyPhase  = "openai.phase"  // an assistant message's phase, when given
	keyRole   = "openai.role"   // "developer" (stored as a system message)
)

const typeMessage = "message"

// idPrefixes are the prefixes of the ids this door gives items that come
// without one, by item type; a type not listed gets "item".
var idPrefixes = map[string]string{
	"message":                 convstore.PrefixMessage,
	"function_call":           "fc",
	"function_call_output":    "fco",
	"reasoning":               "rs",
	"file_search_call":        "fs",
	"web_search_call":         "ws",
	"computer_call":           "cu",
	"computer_call_output":    "cuo",
	"image_generation_call":   "ig",
	"code_interpreter_call":   "ci",
	"local_shell_call":        "lsh",
	"local_shell_call_output": "lsho",
	"shell_call":              "sh",
	"shell_call_output":       "sho",
	"apply_patch_call":        "apc",
	"apply_patch_call_output": "apco",
	"mcp_list_tools":          "mcpl",
	"mcp_approval_request":    "mcpr",
	"mcp_approval_response":   "mcpa",
	"mcp_call":                "mcp",
	"custom_tool_call":        "ctc",
	"custom_tool_call_output": "ctco",
	"tool_search_call":        "tsc",
	"tool_search_output":      "tso",
	"compaction":              "cmp",
	"additional_tools":        "adt",
	"program":                 "prg",
	"program_output":          "prgo",
}

// itemPrefix returns the id prefix of an item type.
func itemPrefix(typ string) string {
	if p, ok := idPrefixes[typ]; ok {
		return p
	}
	return "item"
}

// statusTypes are the item types whose SDK type declares a required
// status: an item of one stored without a status is returned "completed".
var statusTypes = map[string]bool{
	"message": true, "function_call": true, "function_call_output": true, "file_search_call": true,
	"web_search_call": true, "computer_call": true, "computer_call_output": true, "code_interpreter_call": true,
	"image_generation_call": true, "local_shell_call": true, "shell_call": true, "shell_call_output": true,
	"apply_patch_call": true, "apply_patch_call_output": true, "tool_search_call": true, "tool_search_output": true,
	"program_output": true,
}

// Bounds of what an item may carry.
var (
	typePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
)

// Message roles of the API and how they are stored.
var messageRoles = map[string]convstore.Role{
	"user":      convstore.RoleUser,
	"assistant": convstore.RoleAssistant,
	"system":    convstore.RoleSystem,
	"developer": convstore.RoleSystem, // with openai.role = developer
}

// textParts are the content part types whose "text" is the message's
// text content.
var textParts = map[string]bool{"input_text": true, "output_text": true, "text": true, "summary_text": true, "reasoning_text": true}

// decodeObject decodes a JSON object keeping numbers exactly.
func decodeObject(raw []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

// encode re-encodes a decoded JSON value compactly, "<" and "&" kept as
// they are.
func encode(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // values decoded from JSON always encode
	return bytes.TrimSpace(buf.Bytes())
}

// parseItems reads an items member: a JSON array of at most 20 items
// (required says whether it may be empty or absent) into store inputs.
func parseItems(raw json.RawMessage, required bool) ([]*convstore.MessageCreate, error) {
	if len(raw) == 0 || string(raw) == "null" {
		if required {
			return nil, invalid("items", "Missing required parameter: 'items'.")
		}
		return nil, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalid("items", "Invalid type for 'items': expected an array of objects.")
	}
	if required && len(list) == 0 {
		return nil, invalid("items", "Invalid 'items': empty array. Expected an array with minimum length 1.")
	}
	if len(list) > maxItemsPerCall {
		return nil, invalid("items", "Invalid 'items': array too long. Expected an array with maximum length %d, but got an array with length %d instead.", maxItemsPerCall, len(list))
	}
	out := make([]*convstore.MessageCreate, len(list))
	for i, r := range list {
		m, err := parseItem(r, "items["+itoa(int64(i))+"]")
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// parseItem validates one item into a store input. A message item maps
// onto a message of its role with its content parts as the message's parts
// and their text as its content; any other item is stored as it came, the
// whole item as the message's parts.
func parseItem(raw json.RawMessage, field string) (*convstore.MessageCreate, error) {
	obj, ok := decodeObject(raw)
	if !ok {
		return nil, invalid(field, "Invalid type for '%s': expected an object.", field)
	}
	typ, err := itemType(obj, field)
	if err != nil {
		return nil, err
	}
	var id string
	if v, ok := obj["id"]; ok && v != nil {
		s, isString := v.(string)
		if !isString || !idPattern.MatchString(s) {
			return nil, invalid(field+".id", "Invalid '%s.id': expected a string of 1 to 128 letters, digits, '_', '-', '.' or ':'.", field)
		}
		id = s
	}
	var m *convstore.MessageCreate
	if typ == typeMessage {
		m, err = parseMessage(obj, field, id)
	} else {
		role := convstore.RoleAssistant
		if strings.HasSuffix(typ, "_output") || typ == "mcp_approval_response" {
			role = convstore.RoleTool
		}
		m = &convstore.MessageCreate{Role: role, Parts: encode(obj), Metadata: convstore.Metadata{keyType: typ}}
	}
	if err != nil {
		return nil, err
	}
	if err := m.Validate(field); err != nil {
		return nil, invalid(convstore.ErrorField(err), "Invalid '%s': %s.", field, convstore.ErrorMessage(err))
	}
	return m, nil
}

// itemType returns an item's type: "message" for an easy input message
// (role and content without a type).
func itemType(obj map[string]any, field string) (string, error) {
	v, ok := obj["type"]
	if !ok || v == nil {
		if _, hasRole := obj["role"]; hasRole {
			obj["type"] = typeMessage
			return typeMessage, nil
		}
		return "", invalid(field+".type", "Missing required parameter: '%s.type'.", field)
	}
	typ, isString := v.(string)
	switch {
	case !isString || !typePattern.MatchString(typ):
		return "", invalid(field+".type", "Invalid value for '%s.type': expected an item type such as 'message' or 'function_call'.", field)
	case typ == "item_reference":
		return "", invalid(field+".type", "Invalid value for '%s.type': item references are not supported by this server; send the item itself.", field)
	}
	return typ, nil
}

// parseMessage maps a message item onto a message.
func parseMessage(obj map[string]any, field, id string) (*convstore.MessageCreate, error) {
	roleName, _ := obj["role"].(string)
	role, ok := messageRoles[roleName]
	if !ok {
		return nil, invalid(field+".role", "Invalid value for '%s.role': expected one of 'user', 'assistant', 'system' or 'developer'.", field)
	}
	meta := convstore.Metadata{keyType: typeMessage}
	if roleName == "developer" {
		meta[keyRole] = roleName
	}
	if id != "" {
		meta[keyID] = id
	}
	for _, k := range []struct{ name, key string }{{"status", keyStatus}, {"phase", keyPhase}} {
		v, ok := obj[k.name]
		if !ok || v == nil {
			continue
		}
		s, isString := v.(string)
		if !isString || !typePattern.MatchString(s) {
			return nil, invalid(field+"."+k.name, "Invalid value for '%s.%s'.", field, k.name)
		}
		meta[k.key] = s
	}
	var parts []any
	switch c := obj["content"].(type) {
	case string:
		parts = []any{textPart(roleName, c)}
	case []any:
		parts = c
	default:
		return nil, invalid(field+".content", "Invalid type for '%s.content': expected a string or an array of content parts.", field)
	}
	var text []string
	for i, p := range parts {
		po, isObject := p.(map[string]any)
		pt, _ := po["type"].(string)
		if !isObject || !typePattern.MatchString(pt) {
			return nil, invalid(field+".content", "Invalid '%s.content[%d]': expected a content part object with a type.", field, i)
		}
		key := "text"
		if pt == "refusal" {
			key = "refusal"
		} else if !textParts[pt] {
			continue
		}
		s, isString := po[key].(string)
		if !isString {
			return nil, invalid(field+".content", "Invalid type for '%s.content[%d].%s': expected a string.", field, i, key)
		}
		text = append(text, s)
	}
	return &convstore.MessageCreate{Role: role, Content: strings.Join(text, "\n"), Parts: encode(parts), Metadata: meta}, nil
}

// textPart is the content part of a message's plain text: output_text
// (with no annotations) for the assistant, input_text for the others.
func textPart(role, text string) map[string]any {
	if role == "assistant" {
		return map[string]any{"type": "output_text", "text": text, "annotations": []any{}}
	}
	return map[string]any{"type": "input_text", "text": text}
}

// renderItem returns a stored message as an item and the item's id.
// Messages stored by this door come back as they were given, with an id
// (msg_… or the type's prefix) and a status added where the item had
// none; a message from another door is a message item of its text.
func renderItem(m *convstore.Message) (json.RawMessage, string) {
	typ := m.Metadata[keyType]
	if typ != "" && typ != typeMessage {
		obj, ok := decodeObject(m.Parts)
		if ok {
			id, _ := obj["id"].(string)
			if id == "" {
				id = m.ID.Format(itemPrefix(typ))
				obj["id"] = id
			}
			if _, has := obj["status"]; !has && statusTypes[typ] {
				obj["status"] = "completed"
			}
			return encode(obj), id
		}
		// Unreadable parts (never written by this door): the text below.
	}
	role := string(m.Role)
	if r := m.Metadata[keyRole]; r != "" {
		role = r
	}
	id := m.Metadata[keyID]
	if id == "" {
		id = m.ID.Format(convstore.PrefixMessage)
	}
	status := m.Metadata[keyStatus]
	if status == "" {
		status = "completed"
	}
	var content any
	if typ == typeMessage && bytes.HasPrefix(bytes.TrimSpace(m.Parts), []byte("[")) {
		content = json.RawMessage(m.Parts)
	} else {
		content = []any{textPart(role, m.Content)}
	}
	obj := map[string]any{"id": id, "type": typeMessage, "role": role, "status": status, "content": content}
	if p := m.Metadata[keyPhase]; p != "" {
		obj["phase"] = p
	}
	return encode(obj), id
}

// findItem returns the message of conv whose item id is s: an id this
// door gave (a prefix and a native id) is looked up directly, a client's
// own id by reading the conversation newest first. Malformed, missing and
// other conversations' or tenants' ids are the same not-found.
func (d *Door) findItem(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, s string) (*convstore.Message, error) {
	if prefix, rest, ok := strings.Cut(s, "_"); ok && prefix != "" {
		if id, ok := convstore.ParseBase32(rest); ok && !id.IsZero() {
			m, err := d.store.FindMessageByID(ctx, tid, conv.ID, id)
			if err == nil {
				if _, itemID := renderItem(m); itemID == s {
					return m, nil
				}
			} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				return nil, err
			}
		}
	}
	if !idPattern.MatchString(s) {
		return nil, errItemNotFound
	}
	pf := convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderDesc}
	for {
		msgs, more, err := d.store.FindMessages(ctx, tid, conv.ID, convstore.MessageFilter{PageFilter: pf})
		if err != nil {
			return nil, conversationGone(err)
		}
		for _, m := range msgs {
			if m.Metadata[keyType] == "" {
				continue // no client id
			}
			if _, itemID := renderItem(m); itemID == s {
				return m, nil
			}
		}
		if !more || len(msgs) == 0 {
			return nil, errItemNotFound
		}
		pf.After = msgs[len(msgs)-1].ID
	}
}
