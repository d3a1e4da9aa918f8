package botpress

import (
	"encoding/json"
	"time"
)

// timeLayout is Botpress's ISO-8601 form: UTC with milliseconds and "Z".
const timeLayout = "2006-01-02T15:04:05.000Z"

// formatTime renders t in timeLayout.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// Request bodies. Fields are pointers or nil-able so that absent, null and
// empty can be told apart; unknown fields are ignored, as SDKs send extras.

// tagsIn is a tags or properties object: a null or "" value removes the key.
type tagsIn map[string]*string

// conversationIn is the body of POST /v1/chat/conversations and of
// POST /v1/chat/conversations/get-or-create.
type conversationIn struct {
	Channel            *string   `json:"channel"`
	Tags               tagsIn    `json:"tags"`
	IntegrationName    *string   `json:"integrationName"`
	Properties         tagsIn    `json:"properties"`
	DiscriminateByTags *[]string `json:"discriminateByTags"` // get-or-create only
}

// conversationUpdateIn is the body of PUT /v1/chat/conversations/{id}.
type conversationUpdateIn struct {
	Tags          tagsIn  `json:"tags"`
	Properties    tagsIn  `json:"properties"`
	CurrentTaskID *string `json:"currentTaskId"` // deprecated by Botpress; accepted and ignored
}

// messageIn is the body of POST /v1/chat/messages.
type messageIn struct {
	Payload        json.RawMessage `json:"payload"`
	UserID         *string         `json:"userId"`
	ConversationID *string         `json:"conversationId"`
	Type           *string         `json:"type"`
	Tags           tagsIn          `json:"tags"`
	Schedule       *struct {
		DateTime *string  `json:"dateTime"`
		Delay    *float64 `json:"delay"`
	} `json:"schedule"` // accepted and ignored: messages are stored at once
	Origin             *string   `json:"origin"`
	DiscriminateByTags *[]string `json:"discriminateByTags"` // get-or-create only
}

// userIn is the body of POST /v1/chat/users, of users/get-or-create and of
// PUT /v1/chat/users/{id}.
type userIn struct {
	Tags               tagsIn    `json:"tags"`
	IntegrationName    *string   `json:"integrationName"` // creates only
	Name               optString `json:"name"`
	PictureURL         optString `json:"pictureUrl"`
	Properties         tagsIn    `json:"properties"`
	Attributes         tagsIn    `json:"attributes"`
	DiscriminateByTags *[]string `json:"discriminateByTags"` // get-or-create only
}

// optString is a string member that may be absent (Set false), null or
// a string (both Set; null reads as "").
type optString struct {
	Set bool
	S   string
}

// UnmarshalJSON reads null or a string.
func (o *optString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.S = ""
		return nil
	}
	return json.Unmarshal(b, &o.S)
}

// participantIn is the body of POST /v1/chat/conversations/{id}/participants.
type participantIn struct {
	UserID *string `json:"userId"`
}

// messageUpdateIn is the body of PUT /v1/chat/messages/{id}.
type messageUpdateIn struct {
	Tags    tagsIn          `json:"tags"`
	Payload json.RawMessage `json:"payload"`
}

// Response objects.

// conversation is Botpress's Conversation object.
type conversation struct {
	ID           string            `json:"id"`
	CreatedAt    string            `json:"createdAt"`
	UpdatedAt    string            `json:"updatedAt"`
	Channel      string            `json:"channel"`
	Integration  string            `json:"integration"`
	Tags         map[string]string `json:"tags"`
	MessageCount int               `json:"messageCount"`
	Properties   map[string]string `json:"properties,omitempty"`
}

// message is Botpress's Message object.
type message struct {
	ID             string            `json:"id"`
	CreatedAt      string            `json:"createdAt"`
	UpdatedAt      string            `json:"updatedAt"`
	Type           string            `json:"type"`
	Payload        json.RawMessage   `json:"payload"`
	Direction      string            `json:"direction"`
	UserID         string            `json:"userId"`
	ConversationID string            `json:"conversationId"`
	Tags           map[string]string `json:"tags"`
	Origin         string            `json:"origin,omitempty"`
}

// user is Botpress's User object.
type user struct {
	ID         string            `json:"id"`
	CreatedAt  string            `json:"createdAt"`
	UpdatedAt  string            `json:"updatedAt"`
	Tags       map[string]string `json:"tags"`
	Name       string            `json:"name,omitempty"`
	PictureURL string            `json:"pictureUrl,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Message directions.
const (
	directionIncoming = "incoming"
	directionOutgoing = "outgoing"
)

// originSynthetic is the one origin Botpress defines.
const originSynthetic = "synthetic"

// Response envelopes.

type conversationResponse struct {
	Conversation conversation `json:"conversation"`
}

type getOrCreateMeta struct {
	Created bool `json:"created"`
}

type getOrCreateResponse struct {
	Conversation conversation    `json:"conversation"`
	Meta         getOrCreateMeta `json:"meta"`
}

// listMeta carries the cursor of the next page; absent on the last page.
type listMeta struct {
	NextToken string `json:"nextToken,omitempty"`
}

type conversationList struct {
	Conversations []conversation `json:"conversations"`
	Meta          listMeta       `json:"meta"`
}

type messageResponse struct {
	Message message `json:"message"`
}

type messageList struct {
	Messages []message `json:"messages"`
	Meta     listMeta  `json:"meta"`
}

type userResponse struct {
	User user `json:"user"`
}

type getOrCreateUserResponse struct {
	User user            `json:"user"`
	Meta getOrCreateMeta `json:"meta"`
}

type userList struct {
	Users []user   `json:"users"`
	Meta  listMeta `json:"meta"`
}

type participantResponse struct {
	Participant user `json:"participant"`
}

type participantList struct {
	Participants []user   `json:"participants"`
	Meta         listMeta `json:"meta"`
}

type getOrCreateMessageResponse struct {
	Message message         `json:"message"`
	Meta    getOrCreateMeta `json:"meta"`
}

// empty is the {} body of deletes.
type empty struct{}
