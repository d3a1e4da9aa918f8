package convhttp_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// item, streamHead and streamTail split streamWhole the way a handler
// streams it: the members before the array, its elements, the members after.
type item struct {
	N    int               `json:"n"`
	Text string            `json:"text"`
	Tags []string          `json:"tags"`
	Meta map[string]string `json:"meta,omitempty"`
}

type streamHead struct {
	ID    string  `json:"id,omitempty"`
	Title *string `json:"title"`
	Kind  string  `json:"kind,omitempty"`
}

type streamTail struct {
	Count int             `json:"count"`
	Extra json.RawMessage `json:"extra,omitempty"`
	Done  bool            `json:"done"`
}

type streamWhole struct {
	streamHead
	Items []item `json:"items"`
	streamTail
}

// writeStream streams v through s.
func writeStream(s *convhttp.JSONStream, v *streamWhole) error {
	s.OpenObject()
	s.Members(v.streamHead)
	s.Key("items")
	s.OpenArray()
	for _, it := range v.Items {
		s.Value(it)
	}
	s.Close()
	s.Members(v.streamTail)
	s.Close()
	return s.Finish()
}

// TestJSONStreamBytes checks that a streamed body is byte for byte what
// WriteJSON writes for the whole value, including omitted members, HTML
// escaping, and bodies larger than the stream's buffer.
func TestJSONStreamBytes(t *testing.T) {
	t.Parallel()
	title := "<b>Tom & Jerry</b>\u2028"
	big := make([]item, 400)
	for i := range big {
		big[i] = item{N: i, Text: strings.Repeat("x", 200) + strconv.Itoa(i), Tags: []string{"a"}, Meta: map[string]string{"z": "1", "a": "<2>"}}
	}
	for name, v := range map[string]*streamWhole{
		"empty head and items": {Items: []item{}},
		"one item":             {streamHead: streamHead{ID: "c1"}, Items: []item{{N: 1, Tags: []string{}}}},
		"escaping":             {streamHead: streamHead{ID: "c&1", Title: &title}, Items: []item{{N: 1, Text: "</script>"}}, streamTail: streamTail{Count: 1, Extra: json.RawMessage(`{"k":[1,2]}`)}},
		"larger than a buffer": {streamHead: streamHead{ID: "c2", Kind: "k"}, Items: big, streamTail: streamTail{Count: len(big), Done: true}},
	} {
		t.Run(name, func(t *testing.T) {
			want := httptest.NewRecorder()
			if err := convhttp.WriteJSON(want, 200, v); err != nil {
				t.Fatal(err)
			}
			got := httptest.NewRecorder()
			if err := writeStream(convhttp.NewJSONStream(got, httptest.NewRequest("GET", "/", nil), 200), v); err != nil {
				t.Fatal(err)
			}
			if got.Body.String() != want.Body.String() {
				t.Fatalf("streamed:\n%s\nmarshalled:\n%s", got.Body, want.Body)
			}
			if got.Code != 200 || got.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, headers %v", got.Code, got.Header())
			}
			// A body that fits in the buffer goes out whole, with its length.
			cl := got.Header().Get("Content-Length")
			if small := want.Body.Len() < 64<<10; small && cl != want.Header().Get("Content-Length") || !small && cl != "" {
				t.Fatalf("Content-Length %q for a body of %d bytes", cl, want.Body.Len())
			}
		})
	}
}

// TestJSONStreamMisuse checks that a malformed sequence of calls is an
// error, never a malformed body.
func TestJSONStreamMisuse(t *testing.T) {
	t.Parallel()
	for name, write := range map[string]func(s *convhttp.JSONStream){
		"value without key": func(s *convhttp.JSONStream) { s.OpenObject(); s.Value(1); s.Close() },
		"key in array":      func(s *convhttp.JSONStream) { s.OpenArray(); s.Key("k"); s.Close() },
		"unclosed":          func(s *convhttp.JSONStream) { s.OpenObject() },
		"members of array":  func(s *convhttp.JSONStream) { s.OpenObject(); s.Members([]int{1}); s.Close() },
		"unmarshalable":     func(s *convhttp.JSONStream) { s.Value(func() {}) },
	} {
		rec := httptest.NewRecorder()
		s := convhttp.NewJSONStream(rec, httptest.NewRequest("GET", "/", nil), 200)
		write(s)
		if err := s.Finish(); err == nil {
			t.Errorf("%s: Finish succeeded with body %q", name, rec.Body)
		}
		if rec.Body.Len() != 0 {
			t.Errorf("%s: wrote %q", name, rec.Body)
		}
	}
}

// streamDoor streams ?n= items of 1 KiB and fails at item ?fail=.
type streamDoor struct{ testDoor }

func (d *streamDoor) Routes() []convhttp.Route {
	return []convhttp.Route{{Method: "GET", Path: "/items", Handler: func(w http.ResponseWriter, r *http.Request) error {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		fail, _ := strconv.Atoi(r.URL.Query().Get("fail"))
		s := convhttp.NewJSONStream(w, r, http.StatusOK)
		if s.Head() {
			return s.Finish()
		}
		s.OpenObject()
		s.Key("items")
		s.OpenArray()
		for i := range n {
			if i == fail {
				return errors.New("store failed at item " + strconv.Itoa(i))
			}
			s.Value(item{N: i, Text: strings.Repeat("y", 1024)})
		}
		s.Close()
		s.Close()
		return s.Finish()
	}}}
}

// TestJSONStreamFailure checks the two ways a streamed answer fails: before
// anything was sent the door answers the error in its format; after, the
// error is logged and the connection aborted, so the client cannot take
// the truncated body for a whole one.
func TestJSONStreamFailure(t *testing.T) {
	t.Parallel()
	logs := &doortest.SyncBuffer{}
	srv := convhttp.NewServer(convhttp.Config{Store: &stubStore{}, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	srv.Mount("/compat/test/", &streamDoor{})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	get := func(method, query string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest(method, ts.URL+"/compat/test/items?"+query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}

	// A whole stream of 100 items (~100 KiB, several flushes) is valid.
	resp, body, err := get("GET", "n=100&fail=-1")
	var whole struct{ Items []item }
	if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &whole) != nil || len(whole.Items) != 100 {
		t.Fatalf("whole stream: %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}

	// Failing within the first 64 KiB: nothing was sent, the door answers.
	resp, body, err = get("GET", "n=100&fail=10")
	if err != nil || resp.StatusCode != 500 || string(body) != `{"error":"Internal error.","status":500}`+"\n" {
		t.Fatalf("early failure: %d %q, %v; want the door's 500", resp.StatusCode, body, err)
	}

	// Failing later: the client has a 200 and a body cut short.
	resp, body, err = get("GET", "n=100&fail=90")
	if resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || len(body) < 64<<10 || json.Valid(body) {
		t.Fatalf("late failure: %d, %d bytes, read error %v; want 200, a partial body and an unexpected EOF", resp.StatusCode, len(body), err)
	}
	if !strings.Contains(logs.String(), "store failed at item 90") {
		t.Fatalf("the late failure is not logged:\n%s", logs)
	}

	// HEAD answers the headers and reads nothing.
	resp, body, err = get("HEAD", "n=100&fail=0")
	if err != nil || resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("HEAD: %d %q %v", resp.StatusCode, body, err)
	}
}
