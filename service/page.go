package service

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// pageOf returns the driver page of a normalized page filter: one row
// more than the limit, to tell whether more follow.
func pageOf(p convstore.PageFilter, offset int) driver.Page {
	return driver.Page{After: p.After, Desc: p.Order == convstore.OrderDesc, Limit: p.Limit + 1, Offset: offset}
}

// trim cuts the extra row pageOf asked for and reports whether it was
// there.
func trim[T any](items []T, limit int) ([]T, bool) {
	if len(items) > limit {
		return items[:limit], true
	}
	return items, false
}

// The copies below make returned values share nothing with the caller's
// input, and look as they read back: empty is nil.

func copyMeta(m convstore.Metadata) convstore.Metadata {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func copyJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return slices.Clone(raw)
}

func copyDuration(d *time.Duration) *time.Duration {
	if d == nil {
		return nil
	}
	v := *d
	return &v
}
