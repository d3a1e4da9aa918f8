package inkeep

import "encoding/json"

// Wire types of the Inkeep Analytics API, as the official SDK's zod schemas
// parse them. Members the schemas declare nullable are always present, as
// null when empty: several are nullable without being optional.

// Problem is Inkeep's error body (application/problem+json).
type Problem struct {
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance"`
	RequestID string       `json:"requestId"`
	Code      string       `json:"code"`
	Type      string       `json:"type"`
	Error     ProblemError `json:"error"`
}

// ProblemError is the problem's "legacy error format".
type ProblemError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Conversation is the "openai" variant of Inkeep's Conversation. Its
// answers are streamed (see writeConversation): the members before the
// messages, then the messages in either format, one store page at a time.
type Conversation struct {
	conversationHead
	Messages             []Message       `json:"messages"`
	MessagesOpenAIFormat []OpenAIMessage `json:"messagesOpenAIFormat"`
}

// conversationHead is the members of a Conversation before its messages.
type conversationHead struct {
	ID                          string          `json:"id"`
	Type                        string          `json:"type"`
	ExternalID                  *string         `json:"externalId"`
	ExternalURL                 *string         `json:"externalUrl"`
	SupportTicketConversationID *string         `json:"supportTicketConversationId"`
	CreatedAt                   string          `json:"createdAt"`
	UpdatedAt                   string          `json:"updatedAt"`
	ProjectID                   *string         `json:"projectId"`
	IntegrationID               *string         `json:"integrationId"`
	Properties                  json.RawMessage `json:"properties"`     // object or null
	UserProperties              json.RawMessage `json:"userProperties"` // object or null
	Tags                        []string        `json:"tags"`           // null when never set
	Visibility                  *string         `json:"visibility"`
}

// Message is Inkeep's OpenAIExtendedMessage.
type Message struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	ExternalID     *string         `json:"externalId"`
	ExternalURL    *string         `json:"externalUrl"`
	ConversationID string          `json:"conversationId"`
	CreatedAt      string          `json:"createdAt"`
	UpdatedAt      string          `json:"updatedAt"`
	Role           string          `json:"role"`
	Content        json.RawMessage `json:"content"` // a string or an array of content items
	Name           *string         `json:"name"`
	Links          []Link          `json:"links"`
	Properties     json.RawMessage `json:"properties"`
	UserProperties json.RawMessage `json:"userProperties"`
	ToolCalls      []ToolCall      `json:"tool_calls"`
}

// OpenAIMessage is one entry of messagesOpenAIFormat.
type OpenAIMessage struct {
	Role      string          `json:"role"`
	Name      *string         `json:"name"`
	Content   json.RawMessage `json:"content"`
	ToolCalls []ToolCall      `json:"tool_calls"`
}

// ContentItem is an OpenAI content part: text or an image URL.
type ContentItem struct {
	Type     string    `json:"type"` // "text" or "image_url"
	Text     *string   `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL is the image of an image_url content item.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"` // auto, low or high
}

// Link is a source link of an assistant message.
type Link struct {
	Label       *string  `json:"label"`
	URL         string   `json:"url"`
	Title       *string  `json:"title"`
	Description *string  `json:"description"`
	Type        *string  `json:"type"`
	Breadcrumbs []string `json:"breadcrumbs"`
}

// ToolCall is an OpenAI tool call.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"` // "function"
	Function ToolFunction `json:"function"`
}

// ToolFunction is the function a tool call invokes.
type ToolFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// listTail is the members of the body of GET /conversations after its
// "conversations" array: {conversations, total, pageSize, count}.
type listTail struct {
	Total    int `json:"total"`
	PageSize int `json:"pageSize"`
	Count    int `json:"count"`
}

// DeleteResult is the body of DELETE /conversations/{id}.
type DeleteResult struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// Feedback is a thumbs up or down on a message. It is the union of the
// members the SDK's submit, log and get schemas require, so that every SDK
// version parses it; GET /feedback/{id} adds the conversation and message.
type Feedback struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"` // positive or negative
	MessageID      string          `json:"messageId"`
	CreatedAt      string          `json:"createdAt"`
	UpdatedAt      string          `json:"updatedAt"`
	Reasons        []Reason        `json:"reasons"`
	Details        string          `json:"details"`
	Properties     json.RawMessage `json:"properties"`
	UserProperties json.RawMessage `json:"userProperties"`
	Sources        []Source        `json:"sources"`
	Conversation   *Conversation   `json:"conversation,omitempty"`
	Message        *Message        `json:"message,omitempty"`
}

// Reason is a labelled reason of a feedback.
type Reason struct {
	Label   string `json:"label"`
	Details string `json:"details"`
}

// Source is a source a feedback refers to.
type Source struct {
	Type  *string `json:"type"` // positive, negative, new or null
	Title *string `json:"title"`
	URL   *string `json:"url"`
}

// stored is the Data of the conversation's one "other" artifact that keeps
// the structured Inkeep fields: {"inkeep": stored}.
type stored struct {
	Properties     json.RawMessage          `json:"properties,omitempty"`
	UserProperties json.RawMessage          `json:"userProperties,omitempty"`
	Tags           *[]string                `json:"tags,omitempty"`     // a pointer, so [] survives
	Messages       map[string]*messageExtra `json:"messages,omitempty"` // by native message id
}

// messageExtra holds the structured members of one message.
type messageExtra struct {
	Links          []Link          `json:"links,omitempty"`
	Properties     json.RawMessage `json:"properties,omitempty"`
	UserProperties json.RawMessage `json:"userProperties,omitempty"`
	ToolCalls      []ToolCall      `json:"tool_calls,omitempty"`
}

// empty reports whether e holds nothing worth storing.
func (e *messageExtra) empty() bool {
	return e == nil || e.Links == nil && e.Properties == nil && e.UserProperties == nil && e.ToolCalls == nil
}

// storedFeedback is the Data of a feedback artifact: {"inkeep_feedback": …}.
type storedFeedback struct {
	ClientID       string          `json:"clientId,omitempty"`
	Type           string          `json:"type"`
	MessageID      string          `json:"messageId"`
	CreatedAt      string          `json:"createdAt"`
	UpdatedAt      string          `json:"updatedAt"`
	Reasons        []Reason        `json:"reasons,omitempty"`
	Details        string          `json:"details,omitempty"`
	Properties     json.RawMessage `json:"properties,omitempty"`
	UserProperties json.RawMessage `json:"userProperties,omitempty"`
	Sources        []Source        `json:"sources,omitempty"`
}
