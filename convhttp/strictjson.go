package convhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// encoding/json matches object keys to struct fields case-insensitively and
// lets the last of duplicate keys win, so {"scopes":["read"],"SCOPES":["admin"]}
// decodes as an admin key while a reviewer (or a proxy, a WAF, a log
// reader) sees a read key. CheckJSON refuses both before any decoding:
// every door runs it on every JSON body.

// MaxJSONDepth is the deepest nesting CheckJSON walks, as encoding/json's
// own limit.
const MaxJSONDepth = 10000

// errStopCheck ends the walk at a syntax error, which the decoder then
// reports in the door's own words.
var errStopCheck = errors.New("convhttp: stop checking")

// CheckJSON reports what encoding/json would let through in a body
// destined for dst (a pointer, or nil for a body of any shape): a null
// body where dst is an object, and, at any depth, a key repeated within
// one object or a key that matches a field of the destination struct only
// case-insensitively. Maps and json.RawMessage values accept any key but
// no duplicates. The error is a 400 invalid_json naming the key's path
// ("messages[1].role"). Syntax errors are left to the decoder: CheckJSON
// returns nil for them.
func CheckJSON(body []byte, dst any) error {
	_, err := checkJSON(body, dst)
	return err
}

// checkJSON is CheckJSON that also returns the first key that matches no
// field of a struct in dst (the unknown field strict decoding refuses), if
// any. It is the key alone, not its path, as encoding/json names it; ""
// is a key too.
func checkJSON(body []byte, dst any) (unknown *string, err error) {
	var t reflect.Type
	if dst != nil {
		t = reflect.TypeOf(dst)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // no float parsing: only the shape matters here
	w := &keyWalker{dec: dec}
	err = w.value(t, "", true)
	if errors.Is(err, errStopCheck) {
		return nil, nil
	}
	return w.unknown, err
}

// keyWalker walks a JSON value's tokens beside its destination type.
type keyWalker struct {
	dec     *json.Decoder
	depth   int
	unknown *string // the first key that matches no struct field
}

// value walks one value destined for t (nil: any shape).
func (w *keyWalker) value(t reflect.Type, path string, top bool) error {
	tok, err := w.dec.Token()
	if err != nil {
		return errStopCheck
	}
	t = shapeOf(t)
	d, ok := tok.(json.Delim)
	if !ok {
		if top && tok == nil && t != nil && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map) {
			return invalidJSON("", "The request body is null; a JSON object is required.")
		}
		return nil
	}
	if w.depth++; w.depth > MaxJSONDepth {
		return invalidJSON(path, "The request body nests deeper than %d levels.", MaxJSONDepth)
	}
	defer func() { w.depth-- }()
	if d == '[' {
		return w.array(t, path)
	}
	return w.object(t, path)
}

// array walks the elements of an array destined for t.
func (w *keyWalker) array(t reflect.Type, path string) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	for i := 0; w.dec.More(); i++ {
		if err := w.value(elem, path+"["+strconv.Itoa(i)+"]", false); err != nil {
			return err
		}
	}
	return w.end()
}

// object walks the members of an object destined for t: a struct's
// fields, a map's values or, for any other t, values of any shape.
func (w *keyWalker) object(t reflect.Type, path string) error {
	var fields *structFields
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = fieldsOf(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]struct{}{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return errStopCheck
		}
		key, ok := tok.(string)
		if !ok {
			return errStopCheck
		}
		name := joinPath(path, key)
		if _, dup := seen[key]; dup {
			return invalidJSON(name, "Key %q appears more than once in the same object; send each key once.", name)
		}
		seen[key] = struct{}{}
		child := elem
		if fields != nil {
			if f, ok := fields.exact[key]; ok {
				child = f
			} else if exact, ok := fields.fold(key); ok {
				return invalidJSON(name, "Key %q differs from the field %q only in case; field names are case-sensitive.",
					name, joinPath(path, exact))
			} else if w.unknown == nil {
				w.unknown = &key
			}
		}
		if err := w.value(child, name, false); err != nil {
			return err
		}
	}
	return w.end()
}

// end consumes the closing delimiter.
func (w *keyWalker) end() error {
	if _, err := w.dec.Token(); err != nil {
		return errStopCheck
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// shapeOf returns the type whose JSON shape t decodes, following pointers;
// nil for a type that decodes itself (json.RawMessage and other
// json.Unmarshalers) or takes any shape (interfaces).
func shapeOf(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

// structFields are the JSON names of a struct's fields, as encoding/json
// resolves them (tags, "-", embedded structs).
type structFields struct {
	exact map[string]reflect.Type
}

// fold returns the field name that key matches case-insensitively, as
// encoding/json would (bytes.EqualFold, like its foldName).
func (f *structFields) fold(key string) (string, bool) {
	for name := range f.exact {
		if strings.EqualFold(name, key) {
			return name, true
		}
	}
	return "", false
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf returns the JSON fields of struct type t.
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{exact: map[string]reflect.Type{}}
	collectFields(t, f.exact, 0)
	fieldCache.Store(t, f)
	return f
}

// collectFields adds t's fields to names, promoting the fields of embedded
// structs; a shallower field wins, as in encoding/json.
func collectFields(t reflect.Type, names map[string]reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, taken := names[name]; !taken {
			names[name] = sf.Type
		}
	}
	for _, et := range embedded {
		collectFields(et, names, depth+1)
	}
}
