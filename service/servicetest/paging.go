package servicetest

import (
	"context"
	"slices"
	"testing"

	"github.com/convstore/convstore"
)

// lister is one list method with its filter fixed except for the page.
type lister[T any] func(ctx context.Context, p convstore.PageFilter) ([]T, bool, error)

// maxPages bounds every paging loop, so an engine whose cursor never
// advances fails instead of looping forever.
const maxPages = 10000

// mustListAll reads every page of a list in the given order, with the
// largest page size, checking that the cursor advances.
func mustListAll[T any](tb testing.TB, ctx context.Context, list lister[T], idOf func(T) convstore.ID, order convstore.Order) []T {
	tb.Helper()
	var out []T
	var after convstore.ID
	for range maxPages {
		page, more, err := list(ctx, convstore.PageFilter{After: after, Limit: convstore.MaxPageLimit, Order: order})
		if err != nil {
			tb.Fatalf("listing (after %s, order %q): %v", after.UUID(), order, err)
		}
		out = append(out, page...)
		if !more {
			return out
		}
		if len(page) == 0 {
			tb.Fatalf("listing (after %s, order %q): empty page with has_more", after.UUID(), order)
		}
		after = idOf(page[len(page)-1])
	}
	tb.Fatalf("listing never ended after %d pages", maxPages)
	return nil
}

// pageCase describes one list to check: the lister, how to get an item's
// ID, the IDs it must return in ascending order, and its default order.
type pageCase[T any] struct {
	list         lister[T]
	idOf         func(T) convstore.ID
	want         []convstore.ID // ascending
	defaultOrder convstore.Order
}

// checkPaging checks a list's limits, orders, cursors and has_more flags
// against the expected IDs.
func checkPaging[T any](t *testing.T, ctx context.Context, c pageCase[T]) {
	t.Helper()
	n := len(c.want)
	if !slices.IsSortedFunc(c.want, compareIDs) {
		t.Fatalf("test bug: expected IDs are not ascending")
	}
	desc := slices.Clone(c.want)
	slices.Reverse(desc)
	inOrder := map[convstore.Order][]convstore.ID{convstore.OrderAsc: c.want, convstore.OrderDesc: desc}
	inOrder[""] = inOrder[c.defaultOrder]

	ids := func(items []T) []convstore.ID {
		out := make([]convstore.ID, len(items))
		for i, it := range items {
			out[i] = c.idOf(it)
		}
		return out
	}

	// Limit 0 means the default page size; the default order applies.
	page, more, err := c.list(ctx, convstore.PageFilter{})
	if err != nil {
		t.Fatalf("limit 0: %v", err)
	}
	wantN := min(n, convstore.DefaultPageLimit)
	if got := ids(page); !slices.Equal(got, inOrder[""][:wantN]) {
		t.Errorf("limit 0, default order %q: got %d ids %s, want the first %d of %s", c.defaultOrder, len(got), fmtIDs(got), wantN, fmtIDs(inOrder[""]))
	}
	if more != (n > convstore.DefaultPageLimit) {
		t.Errorf("limit 0 with %d items: has_more = %v, want %v", n, more, n > convstore.DefaultPageLimit)
	}

	// Out-of-range limits and unknown orders are EINVALID.
	for _, limit := range []int{convstore.MaxPageLimit + 1, -1} {
		_, _, err := c.list(ctx, convstore.PageFilter{Limit: limit})
		wantInvalid(t, err, "limit", "limit "+itoa(limit))
	}
	_, _, err = c.list(ctx, convstore.PageFilter{Order: "sideways"})
	wantInvalid(t, err, "order", `order "sideways"`)

	// Walk every page for several limits, in both orders.
	limits := []int{1, 7, n - 1, n, n + 1, convstore.MaxPageLimit}
	for _, order := range []convstore.Order{"", convstore.OrderAsc, convstore.OrderDesc} {
		want := inOrder[order]
		for _, limit := range limits {
			if limit < 1 || limit > convstore.MaxPageLimit || (order == "" && limit != 7) {
				continue
			}
			var got []convstore.ID
			var after convstore.ID
			for pages := 0; ; pages++ {
				if pages > n+1 {
					t.Fatalf("order %q limit %d: more than %d pages", order, limit, n+1)
				}
				page, more, err := c.list(ctx, convstore.PageFilter{After: after, Limit: limit, Order: order})
				if err != nil {
					t.Fatalf("order %q limit %d after %d items: %v", order, limit, len(got), err)
				}
				remaining := n - len(got)
				if len(page) != min(limit, remaining) {
					t.Fatalf("order %q limit %d after %d of %d items: page has %d items, want %d", order, limit, len(got), n, len(page), min(limit, remaining))
				}
				if more != (remaining > limit) {
					t.Fatalf("order %q limit %d after %d of %d items: has_more = %v, want %v", order, limit, len(got), n, more, remaining > limit)
				}
				got = append(got, ids(page)...)
				if !more {
					break
				}
				after = c.idOf(page[len(page)-1])
			}
			if !slices.Equal(got, want) {
				t.Errorf("order %q limit %d: got %s, want %s", order, limit, fmtIDs(got), fmtIDs(want))
			}
		}
	}

	// Cursors are compared, not looked up: an ID that is not an item, or the
	// extremes, must work too.
	var cursors []convstore.ID
	if n > 0 {
		mid := c.want[n/2]
		cursors = append(cursors, nextID(mid), prevID(mid), mid)
	}
	var maxID convstore.ID
	for i := range maxID {
		maxID[i] = 0xff
	}
	cursors = append(cursors, maxID, convstore.ID{0: 0, 15: 1})
	for _, cur := range cursors {
		for _, order := range []convstore.Order{convstore.OrderAsc, convstore.OrderDesc} {
			var want []convstore.ID
			for _, id := range inOrder[order] {
				if order == convstore.OrderAsc && cur.Less(id) || order == convstore.OrderDesc && id.Less(cur) {
					want = append(want, id)
				}
			}
			page, more, err := c.list(ctx, convstore.PageFilter{After: cur, Limit: convstore.MaxPageLimit, Order: order})
			if err != nil {
				t.Fatalf("order %q after %s: %v", order, cur.UUID(), err)
			}
			if got := ids(page); !idsEqual(got, want[:min(len(want), convstore.MaxPageLimit)]) {
				t.Errorf("order %q after cursor %s: got %s, want %s", order, cur.UUID(), fmtIDs(got), fmtIDs(want))
			}
			if more != (len(want) > convstore.MaxPageLimit) {
				t.Errorf("order %q after cursor %s: has_more = %v, want %v", order, cur.UUID(), more, len(want) > convstore.MaxPageLimit)
			}
		}
	}
}

// compareIDs orders IDs like the engines must.
func compareIDs(a, b convstore.ID) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// nextID returns the ID one above id (with carry).
func nextID(id convstore.ID) convstore.ID {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			break
		}
	}
	return id
}

// prevID returns the ID one below id (with borrow).
func prevID(id convstore.ID) convstore.ID {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]--
		if id[i] != 0xff {
			break
		}
	}
	return id
}

// fmtIDs renders IDs compactly for failure messages.
func fmtIDs(ids []convstore.ID) string {
	s := "["
	for i, id := range ids {
		if i > 0 {
			s += " "
		}
		b := id.Base32()
		s += b[len(b)-6:]
	}
	return s + "]"
}

func itoa(i int) string {
	if i < 0 {
		return "-" + itoa(-i)
	}
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
