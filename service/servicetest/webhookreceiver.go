package servicetest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/convstore/convstore/stdwebhook"
)

// Receiver is a webhook endpoint for tests: it verifies every request's
// signature with the official Standard Webhooks library (an independent
// implementation of the specification) under each of its secrets, and
// records what it received.
type Receiver struct {
	URL string

	tb      testing.TB
	mu      sync.Mutex
	secrets []string
	// Respond chooses the status of the n-th request (from 1) of a
	// webhook-id; nil answers 200.
	respond  func(msgID string, n int) int
	requests []ReceivedRequest
	seen     map[string]int // requests per webhook-id
	changed  chan struct{}
	location string // where a 3xx points
}

// ReceivedRequest is one request a Receiver received.
type ReceivedRequest struct {
	MsgID    string
	Header   http.Header
	Body     []byte
	Payload  ReceivedPayload
	Verified []bool // per secret, in the order given
	Status   int    // what the receiver answered
}

// ReceivedPayload is a body in the specification's structure, its data
// being the event as GET /v1/events lists it.
type ReceivedPayload struct {
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// ReceivedEvent is the fields of the event in a payload's data that the
// tests look at.
type ReceivedEvent struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Sequence       int64           `json:"sequence"`
	ConversationID *string         `json:"conversation_id"`
	Data           json.RawMessage `json:"data"`
}

// NewReceiver starts a receiver, closed when tb ends; respond (nil:
// always 200) chooses each answer's status.
func NewReceiver(tb testing.TB, respond func(msgID string, n int) int) *Receiver {
	r := &Receiver{tb: tb, respond: respond, seen: map[string]int{}, changed: make(chan struct{}, 1)}
	srv := httptest.NewServer(r)
	tb.Cleanup(srv.Close)
	r.URL = srv.URL + "/hook?x=1"
	return r
}

// Trust sets the secrets the receiver verifies with.
func (r *Receiver) Trust(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = secrets
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	rec := ReceivedRequest{MsgID: req.Header.Get(stdwebhook.HeaderID), Header: req.Header.Clone(), Body: body}
	if err := json.Unmarshal(body, &rec.Payload); err != nil {
		r.tb.Errorf("receiver: a body that is not the payload: %v: %s", err, body)
	}
	r.mu.Lock()
	for _, s := range r.secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		rec.Verified = append(rec.Verified, err == nil && wh.Verify(body, req.Header) == nil)
	}
	r.seen[rec.MsgID]++
	n := r.seen[rec.MsgID]
	respond := r.respond
	r.mu.Unlock()
	rec.Status = http.StatusOK
	if respond != nil {
		rec.Status = respond(rec.MsgID, n)
	}
	if rec.Status >= 300 && rec.Status < 400 {
		w.Header().Set("Location", r.location)
	}
	w.WriteHeader(rec.Status)
	io.WriteString(w, "receiver says: "+strings.Repeat("x", 600)) // longer than the prefix kept
	r.mu.Lock()
	r.requests = append(r.requests, rec)
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Requests returns the requests received so far, in order.
func (r *Receiver) Requests() []ReceivedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ReceivedRequest(nil), r.requests...)
}

// Accepted returns the requests answered with a 2xx, in order.
func (r *Receiver) Accepted() []ReceivedRequest {
	var out []ReceivedRequest
	for _, q := range r.Requests() {
		if q.Status >= 200 && q.Status < 300 {
			out = append(out, q)
		}
	}
	return out
}

// Event decodes a request's event.
func (q ReceivedRequest) Event(tb testing.TB) ReceivedEvent {
	tb.Helper()
	var e ReceivedEvent
	if err := json.Unmarshal(q.Payload.Data, &e); err != nil {
		tb.Fatalf("data is not an event: %v: %s", err, q.Body)
	}
	return e
}
