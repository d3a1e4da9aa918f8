package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/convstore/convstore"
)

// IDs are stored as 16-byte bytea. The zero ID ("none", such as an
// operator's missing actor key) is stored as NULL.

// idArg returns id as a query argument: 16 bytes, or NULL for the zero ID.
func idArg(id convstore.ID) any {
	if id.IsZero() {
		return nil
	}
	return id[:]
}

// idBytes returns id's 16 bytes.
func idBytes(id convstore.ID) []byte { return id[:] }

// idsArg returns ids as a bytea[] argument.
func idsArg(ids []convstore.ID) [][]byte {
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}

// idScanner scans a bytea column (NULL for the zero ID) into an ID.
type idScanner struct{ id *convstore.ID }

// scanID returns a scan target for a bytea ID column.
func scanID(id *convstore.ID) idScanner { return idScanner{id} }

// ScanBytes implements pgtype.BytesScanner.
func (s idScanner) ScanBytes(b []byte) error {
	switch len(b) {
	case 0:
		*s.id = convstore.ID{}
	case len(s.id):
		copy(s.id[:], b)
	default:
		return fmt.Errorf("postgres: an id column holds %d bytes, want 16", len(b))
	}
	return nil
}

// toIDs converts a scanned bytea[] into IDs; nil for none.
func toIDs(raw [][]byte) ([]convstore.ID, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	out := make([]convstore.ID, len(raw))
	for i, b := range raw {
		if len(b) != len(out[i]) {
			return nil, fmt.Errorf("postgres: an id array element holds %d bytes, want 16", len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// metadataArg renders metadata as a jsonb argument; empty is {}.
func metadataArg(m convstore.Metadata) []byte {
	if len(m) == 0 {
		return []byte("{}")
	}
	b, err := json.Marshal(m)
	if err != nil { // a map of strings always marshals
		panic("postgres: marshalling metadata: " + err.Error())
	}
	return b
}

// noEmpty returns m, nil when empty: pgx decodes a jsonb column into
// metadata itself, and empty metadata reads back as nil.
func noEmpty(m convstore.Metadata) convstore.Metadata {
	if len(m) == 0 {
		return nil
	}
	return m
}

// jsonArg returns raw JSON as a json argument, NULL when empty. The json
// type (not jsonb) keeps the caller's bytes as they came, like SQLite's
// text does.
func jsonArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// jsonBytes returns a scanned json column as a RawMessage, nil for NULL.
func jsonBytes(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// durationArg returns an offset as nanoseconds, NULL for none.
func durationArg(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	ns := int64(*d)
	return &ns
}

// durationOf converts stored nanoseconds back into an offset.
func durationOf(ns *int64) *time.Duration {
	if ns == nil {
		return nil
	}
	d := time.Duration(*ns)
	return &d
}
