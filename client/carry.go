package client

import (
	"encoding/json"
	"reflect"
	"unicode/utf8"

	"github.com/convstore/convstore"
)

// The server validates input and answers with the domain's codes and
// fields, its status and its request id. The client checks first only
// what the wire cannot carry as it is: text that is not UTF-8 (JSON
// encoding would silently replace it), a JSON value that is not JSON
// (encoding would fail), a nil item of a list, and zero ids (the wire
// refuses them as malformed; the domain finds nothing).

// checkCarried returns validate's error for input v that JSON cannot carry
// as it is, and nil for input the server can judge.
func checkCarried(v any, validate func() error) error {
	if carried(reflect.ValueOf(v), false) {
		return nil
	}
	if err := validate(); err != nil {
		return err
	}
	return convstore.Invalidf("", "the input holds text that is not UTF-8 or a value that is not JSON, which cannot be sent")
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// carried reports whether v survives JSON encoding unchanged. inList says
// v is an item of a list, where nil cannot stand.
func carried(v reflect.Value, inList bool) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return !inList
		}
		return carried(v.Elem(), false)
	case reflect.String:
		return utf8.ValidString(v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !carried(v.Field(i), false) {
				return false
			}
		}
	case reflect.Slice:
		if v.Type() == rawMessageType {
			return v.Len() == 0 || json.Valid(v.Bytes())
		}
		for i := range v.Len() {
			if !carried(v.Index(i), true) {
				return false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if !carried(it.Key(), false) || !carried(it.Value(), false) {
				return false
			}
		}
	}
	return true
}
