package stdwebhook

import "time"

// Payload is a request body in the structure the specification
// recommends: the event's type ("conversation.deleted"), when it
// occurred (RFC 3339 in JSON), and its data.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}
