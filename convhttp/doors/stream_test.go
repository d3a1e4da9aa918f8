package doors_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
)

// streamRoute is one of the answers that stream a whole conversation.
type streamRoute struct {
	name string
	// path is the route of the conversation's answer, with its auth header.
	path func(e *doortest.Env, c *convstore.Conversation) (string, []string)
	// count returns how many messages of the conversation a body shows.
	count func(t *testing.T, body []byte) int
	// contentType is the media type of the door's error answers.
	contentType string
	// batched says the answer reads its messages in batches across
	// conversations (a list), all in one batch in streamWorld.
	batched bool
}

var streamRoutes = []streamRoute{
	{"inkeep get", func(e *doortest.Env, c *convstore.Conversation) (string, []string) {
		return "/compat/inkeep/conversations/" + c.ID.Format(convstore.PrefixConversation), []string{"Authorization", "Bearer " + e.KeyA}
	}, func(t *testing.T, body []byte) int {
		var v struct {
			Messages, MessagesOpenAIFormat []json.RawMessage
		}
		mustJSON(t, body, &v)
		if len(v.Messages) != len(v.MessagesOpenAIFormat) {
			t.Fatalf("%d messages but %d in OpenAI format", len(v.Messages), len(v.MessagesOpenAIFormat))
		}
		return len(v.Messages)
	}, "application/problem+json", false},
	{"elevenlabs get", func(e *doortest.Env, c *convstore.Conversation) (string, []string) {
		return "/compat/elevenlabs/v1/convai/conversations/" + c.ID.Format(convstore.PrefixConversation), []string{"xi-api-key", e.KeyA}
	}, func(t *testing.T, body []byte) int {
		var v struct{ Transcript []json.RawMessage }
		mustJSON(t, body, &v)
		return len(v.Transcript)
	}, "application/json", false},
	{"symbl messages", func(e *doortest.Env, c *convstore.Conversation) (string, []string) {
		return "/compat/symbl/v1/conversations/" + strconv.FormatInt(c.Seq, 10) + "/messages", []string{"Authorization", "Bearer " + e.KeyA}
	}, func(t *testing.T, body []byte) int {
		var v struct{ Messages []json.RawMessage }
		mustJSON(t, body, &v)
		return len(v.Messages)
	}, "application/json", false},
	{"stammer list", func(e *doortest.Env, c *convstore.Conversation) (string, []string) {
		return "/compat/stammer/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false", []string{"Authorization", "Token " + e.KeyA}
	}, func(t *testing.T, body []byte) int {
		var v struct {
			Results []struct{ Messages []json.RawMessage }
		}
		mustJSON(t, body, &v)
		n := 0
		for _, r := range v.Results {
			n += len(r.Messages)
		}
		return n
	}, "application/json", true},
}

func mustJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("body %.300q: %v", body, err)
	}
}

// pageHookStore calls hook before every read of a page of messages oldest
// first (the reads a streamed answer makes after its snapshot), with its
// 1-based number; a hook error is the read's error.
type pageHookStore struct {
	convstore.Store
	mu    sync.Mutex
	pages int
	hook  func(ctx context.Context, page int) error
}

// FindMessagePages counts as a page read: the batch reads of lists.
func (s *pageHookStore) FindMessagePages(ctx context.Context, t convstore.ID, r []convstore.MessageRange) ([]convstore.MessagePage, error) {
	s.mu.Lock()
	s.pages++
	n := s.pages
	s.mu.Unlock()
	if err := s.hook(ctx, n); err != nil {
		return nil, err
	}
	return s.Store.FindMessagePages(ctx, t, r)
}

func (s *pageHookStore) FindMessages(ctx context.Context, t, c convstore.ID, f convstore.MessageFilter) ([]*convstore.Message, bool, error) {
	if f.Order == convstore.OrderAsc && f.Limit == convstore.MaxPageLimit {
		s.mu.Lock()
		s.pages++
		n := s.pages
		s.mu.Unlock()
		if err := s.hook(ctx, n); err != nil {
			return nil, false, err
		}
	}
	return s.Store.FindMessages(ctx, t, c, f)
}

// streamWorld is the main server over a store whose page reads a test can
// hook, and a conversation of n messages of size bytes (no system
// messages, so every door shows all of them), created after an older
// conversation of one message.
func streamWorld(t *testing.T, n, size int) (*doortest.Env, *pageHookStore, *convstore.Conversation, string) {
	t.Helper()
	e := doortest.New(t)
	hooked := &pageHookStore{Store: e.Store, hook: func(context.Context, int) error { return nil }}
	e.Store = hooked // the server reads through the hook
	if _, _, err := hooked.Store.CreateConversation(context.Background(), e.TenantA, &convstore.ConversationCreate{
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "older"}}}); err != nil {
		t.Fatal(err)
	}
	var batch []*convstore.MessageCreate
	for i := range n {
		batch = append(batch, &convstore.MessageCreate{Role: []convstore.Role{convstore.RoleUser, convstore.RoleAssistant}[i%2],
			Content: strconv.Itoa(i) + " " + strings.Repeat("x", size)})
	}
	c, _, err := hooked.Store.CreateConversation(context.Background(), e.TenantA, &convstore.ConversationCreate{AgentID: bot, Messages: batch})
	if err != nil {
		t.Fatal(err)
	}
	s := doors.NewMainServer(e.Config())
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return e, hooked, c, ts.URL
}

// get sends a GET and reads the body, returning the read error too.
func get(t *testing.T, url string, hdr []string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(hdr[0], hdr[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestStreamFailsMidway checks a store that fails on the second page of a
// streamed answer. When the first page filled the stream's buffer, the
// answer had begun: the failure is logged and the connection aborted, so
// the client sees a broken body rather than a valid truncated one. When it
// had not, the door answers the failure in its own format. Stammer's list
// reads the first messages of both conversations in one batch before it
// writes any: its batch fails, and it can only answer in its own format.
func TestStreamFailsMidway(t *testing.T) {
	t.Parallel()
	for _, rt := range streamRoutes {
		for _, tc := range []struct {
			name string
			size int // message size: 1 KiB fills the buffer with one page
		}{{"after the first flush", 1024}, {"before anything was sent", 10}} {
			if rt.batched && tc.size == 1024 {
				continue
			}
			failOn := 2
			if rt.batched {
				failOn = 1
			}
			t.Run(rt.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				e, hooked, c, url := streamWorld(t, 250, tc.size)
				hooked.hook = func(_ context.Context, page int) error {
					if page == failOn {
						return errors.New("disk failed on a page read")
					}
					return nil
				}
				path, hdr := rt.path(e, c)
				resp, body, err := get(t, url+path, hdr)
				if tc.size == 1024 {
					if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || json.Valid(body) || len(body) < 64<<10 {
						t.Fatalf("status %d, %d bytes, read error %v: want 200, a body cut short and an unexpected EOF", resp.StatusCode, len(body), err)
					}
				} else {
					ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
					if err != nil || resp.StatusCode != 500 || ct != rt.contentType || !json.Valid(body) || strings.Contains(string(body), "disk") {
						t.Fatalf("status %d %q %q, read error %v: want the door's 500", resp.StatusCode, ct, body, err)
					}
				}
				if !strings.Contains(e.Logs.String(), "disk failed on a page read") {
					t.Fatalf("the failure is not logged")
				}
			})
		}
	}
}

// TestStreamSnapshot checks the snapshot semantics under concurrent
// appends: an answer shows the messages up to the newest one that existed
// when it started, whatever is appended while it is written (here before
// its first page, its last, and between Inkeep's two passes).
func TestStreamSnapshot(t *testing.T) {
	t.Parallel()
	for _, rt := range streamRoutes[:3] { // Stammer lists a conversation's first page only
		for _, page := range []int{1, 3, 4} {
			t.Run(rt.name+"/append before page "+strconv.Itoa(page), func(t *testing.T) {
				t.Parallel()
				e, hooked, c, url := streamWorld(t, 250, 10)
				hooked.hook = func(ctx context.Context, n int) error {
					if n != page {
						return nil
					}
					_, err := hooked.Store.CreateMessages(ctx, e.TenantA, c.ID, []*convstore.MessageCreate{
						{Role: convstore.RoleUser, Content: "late 1"}, {Role: convstore.RoleAssistant, Content: "late 2"}})
					return err
				}
				path, hdr := rt.path(e, c)
				resp, body, err := get(t, url+path, hdr)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("%d %v", resp.StatusCode, err)
				}
				if n := rt.count(t, body); n != 250 {
					t.Fatalf("%d messages, want the 250 of the snapshot", n)
				}
				if page <= 3 && hooked.pages < page {
					t.Fatalf("only %d pages read: the append did not happen", hooked.pages)
				}
				if strings.Contains(string(body), "late") {
					t.Fatalf("a message appended after the answer started is in it")
				}
			})
		}
	}
}
