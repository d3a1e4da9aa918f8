package convstore

// Pagination defaults shared by every list method and door.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

// Order is the sort direction of a list.
type Order string

// Orders. Lists are ordered by ID, which is creation order.
const (
	OrderAsc  Order = "asc"
	OrderDesc Order = "desc"
)

// PageFilter is the cursor pagination shared by list filters. After is the
// ID of the last item of the previous page (zero for the first page); the
// item itself need not exist any more, since IDs are compared, not looked up.
type PageFilter struct {
	After ID
	Limit int   // 1..MaxPageLimit; 0 means DefaultPageLimit
	Order Order // "" means the method's documented default
}

// Normalize validates the page filter and applies defaults.
func (p *PageFilter) Normalize(defaultOrder Order) error {
	switch {
	case p.Limit == 0:
		p.Limit = DefaultPageLimit
	case p.Limit < 1 || p.Limit > MaxPageLimit:
		return Invalidf("limit", "limit must be between 1 and %d", MaxPageLimit)
	}
	switch p.Order {
	case "":
		p.Order = defaultOrder
	case OrderAsc, OrderDesc:
	default:
		return Invalidf("order", "order must be asc or desc")
	}
	return nil
}
