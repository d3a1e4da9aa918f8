package symbl

import "encoding/json"

// textRequest is the body of POST /v1/process/text and PUT
// /v1/process/text/{conversationId}. Symbl's processing options
// (confidenceThreshold, detectPhrases, detectEntities, enableSummary,
// webhookUrl, trackers, entities, customEntities, …) are accepted and
// ignored: they are not declared, so any JSON value passes.
type textRequest struct {
	Name     *string        `json:"name"`
	Messages []*textMessage `json:"messages"`
}

// textMessage is one message of a text request.
type textMessage struct {
	Payload  *textPayload  `json:"payload"`
	From     *textFrom     `json:"from"`
	Duration *textDuration `json:"duration"`
}

type textPayload struct {
	Content     *string `json:"content"`
	ContentType *string `json:"contentType"`
}

type textFrom struct {
	Name   string `json:"name"`
	UserID string `json:"userId"`
}

type textDuration struct {
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
}

// jobResponse answers the text routes.
type jobResponse struct {
	ConversationID string `json:"conversationId"`
	JobID          string `json:"jobId"`
}

// job is the answer of GET /v1/job/{jobId}.
type job struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// messageBody is the {"message": …} answer of a delete.
type messageBody struct {
	Message string `json:"message"`
}

// conversation is Symbl's conversation object.
type conversation struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	Name      string            `json:"name"`
	StartTime string            `json:"startTime"`
	EndTime   string            `json:"endTime"`
	Members   []member          `json:"members"`
	Metadata  map[string]string `json:"metadata"`
}

// member is a participant: a distinct author of the conversation's messages.
type member struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// from is a message's author.
type from struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	UserID string `json:"userId,omitempty"`
}

// message is Symbl's message object.
type message struct {
	ID             string   `json:"id"`
	Text           string   `json:"text"`
	From           from     `json:"from"`
	StartTime      string   `json:"startTime"`
	EndTime        string   `json:"endTime"`
	TimeOffset     float64  `json:"timeOffset"`
	Duration       float64  `json:"duration"`
	ConversationID string   `json:"conversationId"`
	Phrases        []string `json:"phrases"`
	Words          []string `json:"words"`
}

// insight is a topic, question, action item or follow-up. Fields a type
// does not carry are left nil and omitted.
type insight struct {
	ID         string          `json:"id"`
	Text       string          `json:"text"`
	Type       string          `json:"type"`
	Score      float64         `json:"score"`
	MessageIDs []string        `json:"messageIds"`
	Entities   json.RawMessage `json:"entities,omitempty"`
	Phrases    json.RawMessage `json:"phrases,omitempty"`
	From       json.RawMessage `json:"from,omitempty"`
	Definitive json.RawMessage `json:"definitive,omitempty"`
	Assignee   json.RawMessage `json:"assignee,omitempty"`
	DueBy      json.RawMessage `json:"dueBy,omitempty"`
	Sentiment  json.RawMessage `json:"sentiment,omitempty"`
	ParentRefs json.RawMessage `json:"parentRefs,omitempty"`
}

// summary is one item of the Summary API.
type summary struct {
	ID          string       `json:"id"`
	Text        string       `json:"text"`
	MessageRefs []messageRef `json:"messageRefs"`
}

type messageRef struct {
	ID string `json:"id"`
}
