package elevenlabs_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/elevenlabs"
)

// FuzzElevenLabsIDs sends arbitrary conversation ids through every
// id-taking route (get, audio, delete, summary, SIP messages, feedback,
// file upload and delete; and the list's cursor) of the real handler. Whatever the
// id, the answer is a success or a client error in the door's format:
// never a 500, never a body of another format.
func FuzzElevenLabsIDs(f *testing.F) {
	env := doortest.New(f)
	fz := env.Fuzzer(func(s *convhttp.Server) {
		s.Mount("/", elevenlabs.New(s))
		s.Mount("/compat/elevenlabs", elevenlabs.New(s))
	})
	fz.Auth = func(h http.Header, key string) { h.Set("xi-api-key", key) }
	fz.Allowed = map[int]bool{200: true, 301: true, 307: true, 308: true, 404: true, 405: true, 422: true}
	fz.ErrorType = "application/json"
	fz.CheckError = func(tb testing.TB, r *doortest.Response) {
		if !isDoorError(r.Body) {
			tb.Fatalf("%v: not an ElevenLabs error", r)
		}
	}
	w := &world{Env: env}
	mine := w.seed(env.TenantA, &convstore.ConversationCreate{AgentID: "a",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi", StartOffset: dur(10)}}})
	w.attach(env.TenantA, mine.ID, "audio.mp3", "audio/mpeg", []byte("MP3"))
	w.artifact(env.TenantA, mine.ID, convstore.ArtifactAnalysis, "", `{"call_successful":"success"}`)
	foreign := w.seed(env.TenantB, &convstore.ConversationCreate{})

	for _, id := range []string{
		cid(mine), cid(foreign), convstore.NewID().Format(convstore.PrefixConversation),
		strings.ToUpper(cid(mine)), "conv_" + strings.ToUpper(mine.ID.Base32()), mine.ID.UUID(), mine.ID.Base32(),
		"", " ", "conv_", "conv_00000000000000000000000000", "conv_zzzzzzzzzzzzzzzzzzzzzzzzzz",
		"21m00Tcm4TlvDq8ikWAM", "../..", "a/b", "%", "%2F", "\x00", "\xff", "conv_\u00e9", strings.Repeat("x", 5000),
	} {
		for route := range uint8(10) {
			f.Add(route, id)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, id string) {
		base := "/v1/convai/conversations"
		if route&16 != 0 {
			base = "/compat/elevenlabs" + base
		}
		method, target := http.MethodGet, base+"/"+url.PathEscape(id)
		var body []byte
		hdr := []string{}
		switch route % 10 {
		case 1:
			target += "/audio"
		case 2:
			method = http.MethodDelete
		case 3:
			target = base + "?cursor=" + url.QueryEscape(id)
		case 4:
			target = base + "?page_size=2&call_successful=success&cursor=" + url.QueryEscape(id)
		case 5:
			target += "/summary?max_messages=1"
		case 6:
			target += "/sip-messages"
		case 7:
			method, body, hdr = http.MethodPost, []byte(`{"feedback":"like"}`), []string{"Content-Type", "application/json"}
			target += "/feedback"
		case 8:
			method = http.MethodDelete
			target = base + "/" + url.PathEscape(cid(mine)) + "/files/" + url.PathEscape(id)
		case 9:
			method, body = http.MethodPost, []byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhi\r\n--b--\r\n")
			hdr = []string{"Content-Type", "multipart/form-data; boundary=b"}
			target += "/files"
		}
		r := fz.Check(t, method, target, body, env.KeyA, hdr...)
		if r == nil {
			t.Fatalf("escaped target %q cannot be sent", target)
		}
		switch ct := r.ContentType(); {
		case r.Status == 200 && strings.HasSuffix(target, "/audio"):
			if ct != "audio/mpeg" || string(r.Body) != "MP3" {
				t.Fatalf("%v: audio %q", r, ct)
			}
		case r.Status == 200 && ct != "application/json":
			t.Fatalf("%v: 200 %q", r, ct)
		}
	})
}
