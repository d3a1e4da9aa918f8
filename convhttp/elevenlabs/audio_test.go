package elevenlabs_test

import (
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestAudio(t *testing.T) {
	w := setup(t)
	c := w.richConversation()
	r := w.do("GET", "/v1/convai/conversations/"+cid(c)+"/audio")
	doortest.Expect(t, r, 200, "audio/mpeg")
	if string(r.Body) != "ID3-main-recording" || r.Header.Get("Content-Length") != "18" {
		t.Fatalf("%v", r)
	}
	h := w.do("HEAD", "/v1/convai/conversations/"+cid(c)+"/audio")
	if h.Status != 200 || len(h.Body) != 0 || h.ContentType() != "audio/mpeg" {
		t.Fatalf("%v: HEAD", h)
	}

	// Without an "audio" name, the first plain audio attachment; tracks only
	// when nothing else is there.
	c2 := w.seed(w.TenantA, &convstore.ConversationCreate{})
	w.attach(w.TenantA, c2.ID, "response_audio.ogg", "audio/ogg", []byte("RESP"))
	r = w.do("GET", "/v1/convai/conversations/"+cid(c2)+"/audio")
	doortest.Expect(t, r, 200, "audio/ogg")
	m := w.do("GET", "/v1/convai/conversations/"+cid(c2)).Map(t)
	if m["has_audio"] != true || m["has_response_audio"] != true || m["has_user_audio"] != false {
		t.Fatalf("flags %v", m)
	}
	w.attach(w.TenantA, c2.ID, "call-recording.wav", "audio/wav; rate=8000", []byte("WAV"))
	w.attach(w.TenantA, c2.ID, "auxiliary_audio.wav", "audio/wav", []byte("AUX"))
	r = w.do("GET", "/v1/convai/conversations/"+cid(c2)+"/audio")
	if r.Status != 200 || string(r.Body) != "WAV" || r.Header.Get("Content-Type") != "audio/wav; rate=8000" {
		t.Fatalf("%v", r)
	}
	if w.do("GET", "/v1/convai/conversations/"+cid(c2)).Map(t)["has_auxiliary_audio"] != true {
		t.Fatal("has_auxiliary_audio")
	}

	// No audio attachment (a text file does not count): 404 audio_not_found.
	c3 := w.seed(w.TenantA, &convstore.ConversationCreate{})
	w.attach(w.TenantA, c3.ID, "audio", "text/plain", []byte("not audio"))
	errorDetail(t, w.do("GET", "/v1/convai/conversations/"+cid(c3)+"/audio"), 404, "audio_not_found")
	if w.do("GET", "/v1/convai/conversations/"+cid(c3)).Map(t)["has_audio"] != false {
		t.Fatal("has_audio for a text attachment")
	}
}
