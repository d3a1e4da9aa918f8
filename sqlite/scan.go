package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// idArg returns id as a query argument. IDs are stored as 16-byte BLOBs
// whose byte order is time order, so ORDER BY id is creation order.
func idArg(id convstore.ID) []byte { return id[:] }

// nullID returns NULL for the zero ID (an operator's delete has no actor).
func nullID(id convstore.ID) any {
	if id.IsZero() {
		return nil
	}
	return id[:]
}

// idScan scans a 16-byte BLOB (or NULL, as the zero ID) into an ID.
type idScan struct{ dst *convstore.ID }

func (s idScan) Scan(v any) error {
	switch b := v.(type) {
	case nil:
		*s.dst = convstore.ID{}
	case []byte:
		if len(b) != len(s.dst) {
			return fmt.Errorf("sqlite: id of %d bytes", len(b))
		}
		copy(s.dst[:], b)
	default:
		return fmt.Errorf("sqlite: cannot scan %T into an id", v)
	}
	return nil
}

// timeScan scans INTEGER Unix microseconds into a UTC time.
type timeScan struct{ dst *time.Time }

func (s timeScan) Scan(v any) error {
	switch n := v.(type) {
	case int64:
		*s.dst = time.UnixMicro(n).UTC()
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a time", v)
	}
	return nil
}

// nullTimeScan scans NULL as nil.
type nullTimeScan struct{ dst **time.Time }

func (s nullTimeScan) Scan(v any) error {
	if v == nil {
		*s.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeScan{&t}).Scan(v); err != nil {
		return err
	}
	*s.dst = &t
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// nullMicros stores an optional time, NULL when nil.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// jsonArg stores a JSON value (sealed: opaque bytes) as a BLOB, NULL when
// empty.
func jsonArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return []byte(raw)
}

// jsonScan reads a raw JSON value; NULL reads as nil.
type jsonScan struct{ dst *json.RawMessage }

func (s jsonScan) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.dst = nil
	case string:
		*s.dst = json.RawMessage(x)
	case []byte:
		*s.dst = append(json.RawMessage(nil), x...)
	default:
		return fmt.Errorf("sqlite: cannot scan %T into JSON", v)
	}
	return nil
}

// durationArg stores an optional duration as INTEGER nanoseconds.
func durationArg(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return int64(*d)
}

type durationScan struct{ dst **time.Duration }

func (s durationScan) Scan(v any) error {
	switch n := v.(type) {
	case nil:
		*s.dst = nil
	case int64:
		d := time.Duration(n)
		*s.dst = &d
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a duration", v)
	}
	return nil
}

// idsArg packs ids into one BLOB of 16-byte ids, NULL when empty.
func idsArg(ids []convstore.ID) any {
	if len(ids) == 0 {
		return nil
	}
	b := make([]byte, 0, 16*len(ids))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return b
}

type idsScan struct{ dst *[]convstore.ID }

func (s idsScan) Scan(v any) error {
	*s.dst = nil
	switch b := v.(type) {
	case nil:
		return nil
	case []byte:
		if len(b)%16 != 0 {
			return fmt.Errorf("sqlite: id list of %d bytes", len(b))
		}
		out := make([]convstore.ID, len(b)/16)
		for i := range out {
			copy(out[i][:], b[16*i:])
		}
		*s.dst = out
		return nil
	}
	return fmt.Errorf("sqlite: cannot scan %T into ids", v)
}

// scopesArg stores scopes comma-separated in AllScopes order.
func scopesArg(scopes []convstore.Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

func parseScopes(s string) []convstore.Scope {
	var out []convstore.Scope
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, convstore.Scope(p))
		}
	}
	return out
}

// Compile-time checks that the scanners are sql.Scanners.
var _ = []interface{ Scan(any) error }{idScan{}, timeScan{}, nullTimeScan{}, jsonScan{}, durationScan{}, idsScan{}, sealedScan{}, bytesScan{}}

// sealedArg stores a sealed value (opaque bytes in a string, see
// driver.ConversationRow) as a BLOB; "" stays the empty TEXT the column
// defaults to.
func sealedArg(s string) any {
	if s == "" {
		return ""
	}
	return []byte(s)
}

// nullSealedArg stores a sealed value as a BLOB, NULL when "".
func nullSealedArg(s string) any {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// bytesArg stores bytes as a BLOB, NULL when empty.
func bytesArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// sealedScan reads a sealed BLOB, or the TEXT of a row written before
// sealing, or NULL (as ""), into a string unchanged.
type sealedScan struct{ dst *string }

func (s sealedScan) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.dst = ""
	case string:
		*s.dst = x
	case []byte:
		*s.dst = string(x)
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a sealed value", v)
	}
	return nil
}

// bytesScan reads a BLOB or TEXT into a copy of its bytes; NULL and empty
// read as nil.
type bytesScan struct{ dst *[]byte }

func (s bytesScan) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.dst = nil
	case string:
		*s.dst = nil
		if x != "" {
			*s.dst = []byte(x)
		}
	case []byte:
		*s.dst = nil
		if len(x) > 0 {
			*s.dst = append([]byte(nil), x...)
		}
	default:
		return fmt.Errorf("sqlite: cannot scan %T into bytes", v)
	}
	return nil
}
