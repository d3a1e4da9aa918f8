package symbl

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Metadata keys where the door keeps what Symbl's model has and the domain
// does not.
const (
	metaUserID    = "symbl.userId"    // message: from.userId
	metaStartTime = "symbl.startTime" // message: duration.startTime, UTC, ms
	metaEndTime   = "symbl.endTime"   // message: duration.endTime, UTC, ms
	metaBaseTime  = "symbl.baseTime"  // conversation: origin of the messages' native offsets
)

// timeLayout is how the door writes times: ISO-8601 UTC with milliseconds,
// as in Symbl's samples.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseISO parses an ISO 8601 date-time with an offset (RFC 3339, any
// fraction) or a plain date (midnight UTC).
func parseISO(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if d, derr := time.Parse(time.DateOnly, s); derr == nil {
			return d, nil
		}
	}
	return t, err
}

// processText serves POST /v1/process/text: 201 {conversationId, jobId}.
// The conversation and all its messages are created in one transaction and
// processing is synchronous, so the job is complete when this answers.
func (d *Door) processText(w http.ResponseWriter, r *http.Request) error {
	var in textRequest
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	title, err := checkName(in.Name)
	if err != nil {
		return err
	}
	batch, err := checkMessages(in.Messages)
	if err != nil {
		return err
	}
	c := &convstore.ConversationCreate{Title: title, UserID: sharedUserID(in.Messages), Door: DoorName}
	base, hasBase := earliestStart(batch)
	if hasBase {
		c.Metadata = convstore.Metadata{metaBaseTime: formatTime(base)}
	}
	c.Messages = toMessageCreates(batch, base, hasBase)
	if err := c.Validate(); err != nil {
		return badRequest("%s", convstore.ErrorMessage(err)) // a safety net: checkMessages covers the bounds
	}
	conv, msgs, err := d.store.CreateConversation(r.Context(), convhttp.Tenant(r), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, jobResponse{ConversationID: conversationID(conv), JobID: msgs[0].ID.UUID()})
}

// appendText serves PUT /v1/process/text/{conversationId}: appends the
// messages and answers 201 {conversationId, jobId}, as Symbl documents. A
// name renames the conversation (after the messages are stored).
func (d *Door) appendText(w http.ResponseWriter, r *http.Request) error {
	conv, err := d.findConversation(r)
	if err != nil {
		return err
	}
	var in textRequest
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	title, err := checkName(in.Name)
	if err != nil {
		return err
	}
	batch, err := checkMessages(in.Messages)
	if err != nil {
		return err
	}
	base, perr := time.Parse(time.RFC3339Nano, conv.Metadata[metaBaseTime])
	creates := toMessageCreates(batch, base, perr == nil)
	if err := convstore.ValidateMessageBatch("messages", creates, true); err != nil {
		return badRequest("%s", convstore.ErrorMessage(err))
	}
	msgs, err := d.store.CreateMessages(r.Context(), convhttp.Tenant(r), conv.ID, creates)
	if err != nil {
		return notFoundAs(err)
	}
	if in.Name != nil && title != conv.Title {
		if _, err := d.store.UpdateConversation(r.Context(), convhttp.Tenant(r), conv.ID, &convstore.ConversationUpdate{Title: &title}); err != nil {
			return notFoundAs(err)
		}
	}
	return writeJSON(w, http.StatusCreated, jobResponse{ConversationID: conversationID(conv), JobID: msgs[0].ID.UUID()})
}

// getJob serves GET /v1/job/{jobId}. A job id is the UUID of the first
// message its request stored; since processing is synchronous, a job that
// exists is "completed". Unknown, malformed, foreign and deleted jobs are
// one 404.
func (d *Door) getJob(w http.ResponseWriter, r *http.Request) error {
	id, valid := convstore.ParseUUID(r.PathValue("jobId"))
	if !valid || id.IsZero() {
		return convstore.Errorf(convstore.ENOTFOUND, msgJobNotFound)
	}
	if _, err := d.store.FindMessageByID(r.Context(), convhttp.Tenant(r), convstore.ID{}, id); err != nil {
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return convstore.Errorf(convstore.ENOTFOUND, msgJobNotFound)
		}
		return err
	}
	return ok(w, job{ID: id.UUID(), Status: "completed"})
}

// checkedMessage is a validated input message.
type checkedMessage struct {
	content, name, userID string
	start, end            time.Time // both zero, or both set
}

// checkName validates the optional name.
func checkName(name *string) (string, error) {
	if name == nil {
		return "", nil
	}
	return *name, checkText("name", *name, convstore.MaxTitleLen)
}

// checkMessages validates every message before anything is written.
func checkMessages(in []*textMessage) ([]checkedMessage, error) {
	switch {
	case in == nil:
		return nil, badRequest(`"messages" is required`)
	case len(in) == 0:
		return nil, badRequest(`"messages" must contain at least 1 items`)
	case len(in) > convstore.MaxMessageBatch:
		return nil, badRequest(`"messages" must contain at most %d items`, convstore.MaxMessageBatch)
	}
	out := make([]checkedMessage, len(in))
	for i, m := range in {
		f := "messages[" + strconv.Itoa(i) + "]"
		if m == nil {
			return nil, badRequest("%q must be an object", f)
		}
		if m.Payload == nil || m.Payload.Content == nil {
			return nil, badRequest("%q is required", f+".payload.content")
		}
		c := &out[i]
		c.content = *m.Payload.Content
		if c.content == "" {
			return nil, badRequest("%q is not allowed to be empty", f+".payload.content")
		}
		if err := checkText(f+".payload.content", c.content, convstore.MaxMessageContentLen); err != nil {
			return nil, err
		}
		if ct := m.Payload.ContentType; ct != nil && *ct != "text/plain" {
			return nil, badRequest("%q must be %q", f+".payload.contentType", "text/plain")
		}
		if m.From != nil {
			c.name, c.userID = m.From.Name, m.From.UserID
			if err := checkText(f+".from.name", c.name, convstore.MaxAuthorNameLen); err != nil {
				return nil, err
			}
			if err := checkText(f+".from.userId", c.userID, convstore.MaxExternalLen); err != nil {
				return nil, err
			}
		}
		if m.Duration != nil {
			var err error
			if c.start, c.end, err = checkDuration(f+".duration", m.Duration); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// checkDuration parses a message's ISO-8601 times. When only one is given,
// the other equals it.
func checkDuration(f string, d *textDuration) (start, end time.Time, err error) {
	parse := func(name, s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := parseISO(s)
		if err != nil || t.Year() < 1 || t.Year() > 9999 {
			return time.Time{}, badRequest("%q must be a valid ISO 8601 date", f+"."+name)
		}
		return t.UTC().Truncate(time.Millisecond), nil
	}
	if start, err = parse("startTime", d.StartTime); err != nil {
		return
	}
	if end, err = parse("endTime", d.EndTime); err != nil {
		return
	}
	switch {
	case start.IsZero():
		start = end
	case end.IsZero():
		end = start
	case end.Before(start):
		err = badRequest("%q must not be before %q", f+".endTime", f+".startTime")
	}
	return
}

// checkText checks a string's length in bytes and refuses NUL, which the
// store cannot hold.
func checkText(field, s string, max int) error {
	if len(s) > max {
		return badRequest("%q must be at most %d bytes", field, max)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return badRequest("%q must not contain NUL characters", field)
	}
	return nil
}

// sharedUserID returns the from.userId every message shares, or "": it
// becomes the conversation's end-user id, so erasure by user finds it.
func sharedUserID(in []*textMessage) string {
	id := ""
	for i, m := range in {
		u := ""
		if m.From != nil {
			u = m.From.UserID
		}
		if u == "" || i > 0 && u != id {
			return ""
		}
		id = u
	}
	return id
}

// earliestStart returns the earliest start time of the batch.
func earliestStart(batch []checkedMessage) (time.Time, bool) {
	var min time.Time
	for _, m := range batch {
		if !m.start.IsZero() && (min.IsZero() || m.start.Before(min)) {
			min = m.start
		}
	}
	return min, !min.IsZero()
}

// toMessageCreates converts validated messages. Symbl has no roles: every
// message is a user message. Absolute times go into metadata; native
// offsets are set relative to base when known and not negative.
func toMessageCreates(batch []checkedMessage, base time.Time, hasBase bool) []*convstore.MessageCreate {
	out := make([]*convstore.MessageCreate, len(batch))
	for i, m := range batch {
		mc := &convstore.MessageCreate{Role: convstore.RoleUser, Content: m.content, AuthorName: m.name}
		meta := convstore.Metadata{}
		if m.userID != "" {
			meta[metaUserID] = m.userID
		}
		if !m.start.IsZero() {
			meta[metaStartTime] = formatTime(m.start)
			meta[metaEndTime] = formatTime(m.end)
			if hasBase && !m.start.Before(base) {
				s, e := m.start.Sub(base), m.end.Sub(base)
				mc.StartOffset, mc.EndOffset = &s, &e
			}
		}
		if len(meta) > 0 {
			mc.Metadata = meta
		}
		out[i] = mc
	}
	return out
}
