package postgres

import (
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

// sealedArg returns a sealed value (opaque bytes in a string, see
// driver.ConversationRow) as a bytea argument; "" is the empty bytea the
// NOT NULL columns default to.
func sealedArg(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return []byte(s)
}

// nullSealedArg returns a sealed value as a bytea argument, NULL when "".
func nullSealedArg(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// bytesArg returns bytes as a bytea argument, NULL when empty.
func bytesArg(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// sealedScanner scans a bytea (NULL as "") into a string unchanged.
type sealedScanner struct{ dst *string }

func scanSealed(s *string) sealedScanner { return sealedScanner{s} }

// ScanBytes implements pgtype.BytesScanner.
func (s sealedScanner) ScanBytes(b []byte) error {
	*s.dst = string(b)
	return nil
}

// bytesScanner scans a bytea into a copy, NULL and empty as nil.
type bytesScanner struct{ dst *[]byte }

func scanBytes(b *[]byte) bytesScanner { return bytesScanner{b} }

// ScanBytes implements pgtype.BytesScanner.
func (s bytesScanner) ScanBytes(b []byte) error {
	*s.dst = nil
	if len(b) > 0 {
		*s.dst = append([]byte(nil), b...)
	}
	return nil
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
