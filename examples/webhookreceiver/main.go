// Command webhookreceiver is an example receiver of convstore's webhooks:
// it verifies each request's signature with the Standard Webhooks
// library, drops the events it has seen already (by webhook-id: a retry
// delivers the same event again), and acknowledges with 204 once the
// event is handled, so convstore retries it otherwise.
//
//	WEBHOOK_SECRET=whsec_... go run ./examples/webhookreceiver -addr :9000
//
// During a secret rotation, give it both secrets, comma-separated: convstore
// signs with both until the overlap ends.
package main

import (
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// payload is the body convstore sends: the Standard Webhooks structure,
// with the event as GET /v1/events lists it under data.
type payload struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      struct {
		ID             string          `json:"id"`
		Sequence       int64           `json:"sequence"`
		ConversationID *string         `json:"conversation_id"`
		Data           json.RawMessage `json:"data"`
	} `json:"data"`
}

func main() {
	addr := flag.String("addr", ":9000", "listen address")
	flag.Parse()
	var verifiers []*standardwebhooks.Webhook
	for _, s := range strings.Split(os.Getenv("WEBHOOK_SECRET"), ",") {
		wh, err := standardwebhooks.NewWebhook(strings.TrimSpace(s))
		if err != nil {
			log.Fatalf("WEBHOOK_SECRET: %v", err)
		}
		verifiers = append(verifiers, wh)
	}
	var mu sync.Mutex
	seen := map[string]bool{} // a real receiver keeps this in its database
	http.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		if !verified(verifiers, body, r.Header) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		id := r.Header.Get(standardwebhooks.HeaderWebhookID)
		mu.Lock()
		dup := seen[id]
		mu.Unlock()
		if dup {
			w.WriteHeader(http.StatusNoContent) // handled before: acknowledge again
			return
		}
		var p payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "not a convstore event", http.StatusBadRequest)
			return
		}
		switch p.Type {
		case "conversation.deleted", "conversation.purged":
			// Erase the conversation's copies here (vector index, cache, …).
			log.Printf("%s: erase %v (event %s #%d)", p.Type, deref(p.Data.ConversationID), p.Data.ID, p.Data.Sequence)
		default:
			log.Printf("%s (event %s)", p.Type, p.Data.ID)
		}
		mu.Lock()
		seen[id] = true
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// verified reports whether any of the secrets verifies the request (and
// its timestamp is within the library's tolerance of five minutes).
func verified(verifiers []*standardwebhooks.Webhook, body []byte, h http.Header) bool {
	for _, wh := range verifiers {
		if wh.Verify(body, h) == nil {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}
