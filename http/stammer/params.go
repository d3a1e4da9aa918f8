package stammer

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
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

// DRF BooleanField's accepted spellings.
var (
	trueValues  = []string{"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"}
	falseValues = []string{"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"}
)

// listQuery is the parsed query of GET …/conversations/.
type listQuery struct {
	filter      convstore.ConversationFilter // selection only; paging is set later
	source      string                       // "" for any
	seq         int64                        // conversation_number; 0 for any
	onlyDeleted bool
	page        int // 0 means "last"
	pageSize    int
}

// param returns a query parameter's last value, as Django's QueryDict
// does; an empty value counts as absent.
func param(q url.Values, name string) (string, bool) {
	v := q[name]
	if len(v) == 0 || v[len(v)-1] == "" {
		return "", false
	}
	return v[len(v)-1], true
}

// parseListQuery validates every parameter before anything is read.
// Unknown parameters are ignored, as Django ignores them.
func parseListQuery(q url.Values) (*listQuery, error) {
	lq := &listQuery{}
	s, ok := param(q, "onlyDeletedConversations")
	switch {
	case !ok:
		return nil, invalid("onlyDeletedConversations", "This field is required.")
	case slices.Contains(trueValues, s):
		lq.onlyDeleted = true
	case !slices.Contains(falseValues, s):
		return nil, invalid("onlyDeletedConversations", "Must be a valid boolean.")
	}
	if err := lq.parseChatbot(q); err != nil {
		return nil, err
	}
	if err := lq.parseDates(q); err != nil {
		return nil, err
	}
	if s, ok := param(q, "sourcePlatform"); ok {
		if !slices.Contains(sourcePlatforms, s) {
			return nil, invalid("sourcePlatform", "%q is not a valid choice; choose one of %s.", s, strings.Join(sourcePlatforms, ", "))
		}
		lq.source = s
		lq.filter.Metadata = convstore.Metadata{metaSource: s}
	}
	if s, ok := param(q, "conversation_number"); ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return nil, invalid("conversation_number", "A valid positive integer is required.")
		}
		lq.seq = n
	}
	return lq, lq.parsePage(q)
}

// parseChatbot reads chatbot_uuid xor chatbot_id. convstore knows chatbots
// only by the uuid it stores as AgentID, so chatbot_id is refused rather
// than silently matching nothing.
func (lq *listQuery) parseChatbot(q url.Values) error {
	u, hasUUID := param(q, "chatbot_uuid")
	id, hasID := param(q, "chatbot_id")
	switch {
	case hasUUID && hasID:
		return invalid("chatbot_id", "Provide either chatbot_id or chatbot_uuid, not both.")
	case hasID:
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return invalid("chatbot_id", "A valid integer is required.")
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
func (lq *listQuery) parseDates(q url.Values) error {
	start, err := date(q, "startDate")
	if err != nil {
		return err
	}
	end, err := date(q, "endDate")
	if err != nil {
		return err
	}
	if start != nil && end != nil && start.After(*end) {
		return invalid("startDate", "startDate must not be later than endDate.")
	}
	if start != nil && start.After(minDate) {
		after := start.Add(-time.Nanosecond)
		lq.filter.CreatedAfter = &after
	}
	if end != nil && end.Before(maxDate) {
		before := end.AddDate(0, 0, 1)
		lq.filter.CreatedBefore = &before
	}
	return nil
}

// date parses an optional YYYY-MM-DD parameter.
func date(q url.Values, name string) (*time.Time, error) {
	s, ok := param(q, name)
	if !ok {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Before(minDate) {
		return nil, invalid(name, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
	}
	return &t, nil
}

// parsePage reads DRF's page and page_size: a bad page is DRF's 404
// "Invalid page."; a bad page_size falls back to the default and a large
// one is capped, as DRF does.
func (lq *listQuery) parsePage(q url.Values) error {
	lq.page, lq.pageSize = 1, defaultPageSize
	if s, ok := param(q, "page_size"); ok {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			lq.pageSize = min(n, maxPageSize)
		}
	}
	if s, ok := param(q, "page"); ok {
		if s == "last" {
			lq.page = 0
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return errInvalidPage()
		}
		lq.page = n
	}
	return nil
}

// errInvalidPage is DRF's answer for a page that does not exist.
func errInvalidPage() error { return convstore.Errorf(convstore.ENOTFOUND, msgInvalidPage) }
