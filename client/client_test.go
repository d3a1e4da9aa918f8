package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// TestOptions checks the headers a client sends, WithHTTPClient, and that
// the client learns its tenant from the answers, without asking.
func TestOptions(t *testing.T) {
	t.Parallel()
	tenant := convstore.NewID()
	var got http.Header
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		paths = append(paths, r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Tenant-Id", tenant.Format("ten"))
		w.Write([]byte(`{"object":"list","data":[{"id":"` + convstore.NewID().Format("conv") + `"}],"has_more":false}`))
	}))
	defer srv.Close()
	calls := 0
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := client.New(srv.URL+"/", "csk_secret", client.WithHTTPClient(hc), client.WithUserAgent("test-agent/2"))
	after := convstore.NewID()
	for range 2 {
		convs, _, err := c.FindConversations(context.Background(), convstore.ID{}, convstore.ConversationFilter{
			AgentID: "a b", Metadata: convstore.Metadata{"k]": "v"}, PageFilter: convstore.PageFilter{Limit: 5, After: after, Order: convstore.OrderAsc},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(convs) != 1 || convs[0].TenantID != tenant {
			t.Fatalf("listed %+v, want one conversation of tenant %s", convs, tenant.UUID())
		}
	}
	if calls != 2 || got.Get("Authorization") != "Bearer csk_secret" || got.Get("User-Agent") != "test-agent/2" {
		t.Fatalf("calls %d, headers %v", calls, got)
	}
	want := "/v1/conversations?after=" + after.Format("conv") + "&agent_id=a+b&limit=5&metadata%5Bk%5D%5D=v&order=asc"
	if paths[0] != want || paths[1] != want {
		t.Fatalf("paths %q, want %q twice", paths, want)
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
