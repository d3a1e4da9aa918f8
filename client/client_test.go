package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// TestOptions checks the headers a client sends and WithHTTPClient.
func TestOptions(t *testing.T) {
	t.Parallel()
	var got http.Header
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, path = r.Header.Clone(), r.URL.RequestURI()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[],"has_more":false}`))
	}))
	defer srv.Close()
	calls := 0
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := client.New(srv.URL+"/", "csk_secret", client.WithHTTPClient(hc), client.WithUserAgent("test-agent/2"))
	after := convstore.NewID()
	_, _, err := c.ListConversations(context.Background(), convstore.ConversationFilter{
		AgentID: "a b", PageFilter: convstore.PageFilter{Limit: 5, After: after, Order: convstore.OrderAsc},
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || got.Get("Authorization") != "Bearer csk_secret" || got.Get("User-Agent") != "test-agent/2" {
		t.Fatalf("calls %d, headers %v", calls, got)
	}
	want := "/v1/conversations?after=" + after.Format("conv") + "&agent_id=a+b&limit=5&order=asc"
	if path != want {
		t.Fatalf("path %q, want %q", path, want)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestHealth(t *testing.T) {
	f := setup(t)
	if err := f.c.Health(f.ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Ready(f.ctx); err != nil {
		t.Fatal(err)
	}
	// Probes need no key.
	if err := client.New(f.srv.URL, "").Ready(f.ctx); err != nil {
		t.Fatal(err)
	}
}
