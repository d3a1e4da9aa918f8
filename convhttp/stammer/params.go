package stammer

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Pagination of the conversation list (DRF PageNumberPagination).
const (
	defaultPageSize = convstore.DefaultPageLimit
	maxPageSize     = convstore.MaxPageLimit
	msgInvalidPage  = "Invalid page."
)

// sourcePlatforms are Stammer's documented sourcePlatform choices.
var sourcePlatforms = []string{
	"none", "whatsapp", "facebook", "instagram", "dashboard", "embeded",
	"shared", "personalized", "API", "AUDIO", "masterchat",
}

// queryRules read query strings as Django does: unknown parameters are
// ignored, a repeated one takes its last value, an empty value counts as
// absent, and what cannot be decoded of a malformed string is dropped.
var queryRules = &convhttp.QueryRules{Repeated: convhttp.RepeatLast, Absent: []string{""}, IgnoreMalformed: true, Wrap: queryError}

// queryError phrases a bad query parameter like DRF's field errors.
func queryError(e *convhttp.ParamError) error {
	switch e.Kind {
	case convhttp.ParamNotBoolean:
		return invalid(e.Name, "Must be a valid boolean.")
	case convhttp.ParamNotInteger, convhttp.ParamTooSmall, convhttp.ParamTooLarge:
		if e.Min > 0 {
			return invalid(e.Name, "A valid positive integer is required.")
		}
		return invalid(e.Name, "A valid integer is required.")
	case convhttp.ParamBadTime:
		return invalid(e.Name, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
	case convhttp.ParamNotAllowed:
		return invalid(e.Name, "%q is not a valid choice; choose one of %s.", e.Value, strings.Join(e.Allowed, ", "))
	}
	return invalid(e.Name, "%s", e.Error())
}

// listQuery is the parsed query of GET …/conversations/.
type listQuery struct {
	filter      convstore.ConversationFilter // selection only; paging is set later
	seq         int64                        // conversation_number; 0 for any
	rounded     *[2]int64                    // the numbers that round to it, when JavaScript may have rounded it
	onlyDeleted bool
	page        int // 0 means "last"
	pageSize    int
}

// parseListQuery validates every parameter before anything is read.
// Unknown parameters are ignored, as Django ignores them.
func parseListQuery(q *convhttp.Query) (*listQuery, error) {
	lq := &listQuery{}
	only, ok, err := q.Bool("onlyDeletedConversations")
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, invalid("onlyDeletedConversations", "This field is required.")
	}
	lq.onlyDeleted = only
	if err := lq.parseChatbot(q); err != nil {
		return nil, err
	}
	if err := lq.parseDates(q); err != nil {
		return nil, err
	}
	if s, ok, err := q.Enum("sourcePlatform", sourcePlatforms...); err != nil {
		return nil, err
	} else if ok {
		lq.filter.Metadata = convstore.Metadata{metaSource: s}
	}
	if err := lq.parseNumber(q); err != nil {
		return nil, err
	}
	return lq, lq.parsePage(q)
}

// parseChatbot reads chatbot_uuid xor chatbot_id. convstore knows chatbots
// only by the uuid it stores as AgentID, so chatbot_id is refused rather
// than silently matching nothing.
func (lq *listQuery) parseChatbot(q *convhttp.Query) error {
	u, hasUUID, _ := q.String("chatbot_uuid")
	_, hasID, _ := q.String("chatbot_id")
	switch {
	case hasUUID && hasID:
		return invalid("chatbot_id", "Provide either chatbot_id or chatbot_uuid, not both.")
	case hasID:
		if _, _, err := q.Int("chatbot_id", math.MinInt64, math.MaxInt64); err != nil {
			return err
		}
		return invalid("chatbot_id", "Integer chatbot ids are not supported by this server; use chatbot_uuid.")
	case hasUUID:
		c, ok := parseUUID(u)
		if !ok {
			return invalid("chatbot_uuid", "Must be a valid UUID.")
		}
		lq.filter.AgentID = c
	}
	return nil
}

// Bounds of startDate and endDate that every engine can store.
var (
	minDate = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// parseDates reads startDate and endDate (YYYY-MM-DD, whole UTC days, both
// inclusive) into the filter's exclusive bounds.
func (lq *listQuery) parseDates(q *convhttp.Query) error {
	start, hasStart, err := q.Time("startDate", parseDate)
	if err != nil {
		return err
	}
	end, hasEnd, err := q.Time("endDate", parseDate)
	if err != nil {
		return err
	}
	if hasStart && hasEnd && start.After(end) {
		return invalid("startDate", "startDate must not be later than endDate.")
	}
	if hasStart && start.After(minDate) {
		after := start.Add(-time.Nanosecond)
		lq.filter.CreatedAfter = &after
	}
	if hasEnd && end.Before(maxDate) {
		before := end.AddDate(0, 0, 1)
		lq.filter.CreatedBefore = &before
	}
	return nil
}

// parseDate reads a YYYY-MM-DD date.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err == nil && t.Before(minDate) {
		err = errors.New("before year 1")
	}
	return t, err
}

// parsePage reads DRF's page and page_size: a bad page is DRF's 404
// "Invalid page."; a bad page_size falls back to the default and a large
// one is capped, as DRF does.
func (lq *listQuery) parsePage(q *convhttp.Query) error {
	lq.page, lq.pageSize = 1, defaultPageSize
	if n, ok, err := q.Int("page_size", 1, math.MaxInt); err == nil && ok {
		lq.pageSize = int(min(n, maxPageSize))
	}
	if s, _, _ := q.String("page"); s == "last" {
		lq.page = 0
		return nil
	}
	n, ok, err := q.Int("page", 1, math.MaxInt)
	if err != nil {
		return errInvalidPage()
	} else if ok {
		lq.page = int(n)
	}
	return nil
}

// errInvalidPage is DRF's answer for a page that does not exist.
func errInvalidPage() error { return convstore.Errorf(convstore.ENOTFOUND, msgInvalidPage) }

// parseNumber reads conversation_number: a positive integer. Above
// convstore.MaxSeq a number may be one JavaScript rounded (a conversation
// created before numbers were bounded keeps its 63-bit number, which
// res.json() turns into the nearest double and String() prints as that
// double's shortest decimal, such as 4611686018427388000). When the text
// is exactly that form, lq.rounded holds every number that rounds to the
// same double, which the list falls back to when no conversation has the
// exact number; up to 2^63 (what 2^63-1 rounds to) is then accepted.
func (lq *listQuery) parseNumber(q *convhttp.Query) error {
	s, ok, _ := q.String("conversation_number")
	if !ok {
		return nil
	}
	bad := invalid("conversation_number", "A valid positive integer is required.")
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return bad
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || err == nil && n < 1 {
		return bad
	}
	if err == nil {
		lq.seq = n
	}
	if err == nil && n <= convstore.MaxSeq {
		return nil
	}
	d, ferr := strconv.ParseFloat(s, 64)
	if ferr == nil && d <= 1<<63 && strconv.FormatFloat(d, 'f', -1, 64) == s {
		lq.rounded = roundsTo(d)
	}
	if lq.seq == 0 && lq.rounded == nil {
		return bad // above 2^63-1 and not a rounded number
	}
	return nil
}

// roundsTo returns the range of sequence numbers above convstore.MaxSeq
// that a double parse turns into d (round to nearest, ties to even, as
// JavaScript and Go both convert), nil if there are none.
func roundsTo(d float64) *[2]int64 {
	at := uint64(d) // at most 2^63; the next double up is 2^63+2048
	prev, next := uint64(math.Nextafter(d, 0)), uint64(math.Nextafter(d, math.Inf(1)))
	// The midpoints to the neighbours, without overflow; a midpoint is a
	// tie, which may have gone to the neighbour.
	lo, hi := prev+(at-prev)/2, at+(next-at)/2
	if float64(lo) != d {
		lo++
	}
	if float64(hi) != d {
		hi--
	}
	lo, hi = max(lo, convstore.MaxSeq+1), min(hi, math.MaxInt64)
	if lo > hi {
		return nil
	}
	return &[2]int64{int64(lo), int64(hi)}
}
