package elevenlabs

import (
	"fmt"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// max_messages of the summary: ElevenLabs documents neither its default
// nor its bounds; these are the door's.
const (
	defaultSummaryMessages = 20
	maxSummaryMessages     = 100
)

// plainTurn returns a message as a plain chat turn of the summary: user
// and assistant messages with text. System and tool messages and
// assistant messages without text (tool calls only) are not plain chat.
func plainTurn(m *convstore.Message) (summaryMessage, bool) {
	switch {
	case m.Content == "":
		return summaryMessage{}, false
	case m.Role == convstore.RoleUser:
		return summaryMessage{Role: roleUser, Message: m.Content}, true
	case m.Role == convstore.RoleAssistant:
		return summaryMessage{Role: roleAgent, Message: m.Content}, true
	}
	return summaryMessage{}, false
}

// getSummary serves GET /v1/convai/conversations/{conversation_id}/summary:
// the conversation's title, transcript summary and success, the number of
// its plain chat turns and, when there are at most max_messages of them,
// the turns themselves (role and text only), oldest first; otherwise
// messages is null and messages_omitted true. It reads the messages a
// store page at a time, up to the newest one when the request began, and
// holds at most max_messages of them.
func (d *Door) getSummary(w http.ResponseWriter, r *http.Request) error {
	c, err := d.findConversation(r)
	if err != nil {
		return err
	}
	q := parseQuery(r)
	limit := int64(defaultSummaryMessages)
	if n, ok := q.integer("max_messages", 0, maxSummaryMessages); ok {
		limit = n
	}
	if err := q.err(); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	an, err := d.loadAnalysis(ctx, tid, c)
	if err != nil {
		return notFound(err)
	}
	out := summaryResponse{
		ConversationID: c.ID.Format(convstore.PrefixConversation),
		AgentID:        c.AgentID,
		Status:         statusDone,
		CallSuccessful: successUnknown,
		Messages:       []summaryMessage{},
	}
	if c.Title != "" {
		t := c.Title
		out.CallSummaryTitle = &t
	}
	if an != nil {
		out.CallSuccessful, out.CallSummaryTitle = an.CallSuccessful, an.CallSummaryTitle
		if an.TranscriptSummary != "" {
			t := an.TranscriptSummary
			out.TranscriptSummary = &t
		}
	}
	pages, err := convhttp.OpenMessagePages(ctx, d.store, tid, c.ID)
	if err != nil {
		return notFound(err)
	}
	err = pages.Each(ctx, func(m *convstore.Message) error {
		t, ok := plainTurn(m)
		if !ok {
			return nil
		}
		out.MessageCount++
		if int64(out.MessageCount) > limit {
			out.Messages = nil // omitted: stop holding them
		} else if out.Messages != nil {
			out.Messages = append(out.Messages, t)
		}
		return nil
	})
	if err != nil {
		return notFound(err)
	}
	full := fmt.Sprintf("GET /v1/convai/conversations/%s", out.ConversationID)
	if out.Messages == nil {
		out.MessagesOmitted = true
		out.Note = fmt.Sprintf("The conversation has %d chat messages, more than max_messages (%d), so they are omitted. "+
			"%s returns the full transcript; max_messages may be up to %d.", out.MessageCount, limit, full, maxSummaryMessages)
	} else {
		out.Note = "messages holds the plain chat messages only, without tool calls, tool results or system messages. " +
			full + " returns the full transcript."
	}
	return convhttp.WriteJSON(w, http.StatusOK, out)
}

// getSIPMessages serves GET /v1/convai/conversations/{conversation_id}/sip-messages:
// convstore receives no telephony signalling, so every conversation has
// none. It answers {"sip_messages": [], "next_cursor": null, "has_more":
// false}; page_size (1..100) and cursor (any string) are validated and
// otherwise unused.
func (d *Door) getSIPMessages(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.findConversation(r); err != nil {
		return err
	}
	q := parseQuery(r)
	q.integer("page_size", 1, convstore.MaxPageLimit)
	q.text("cursor", convstore.MaxExternalLen)
	if err := q.err(); err != nil {
		return err
	}
	return convhttp.WriteJSON(w, http.StatusOK, sipMessagesPage{SIPMessages: []jsonRaw{}})
}
