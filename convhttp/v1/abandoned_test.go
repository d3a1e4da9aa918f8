package v1_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

// recordSink keeps every log record and signals each access log line.
type recordSink struct {
	slog.Handler
	records chan slog.Record
}

func (s recordSink) Handle(ctx context.Context, r slog.Record) error {
	s.records <- r
	return s.Handler.Handle(ctx, r)
}

func (s recordSink) WithAttrs(as []slog.Attr) slog.Handler {
	return recordSink{s.Handler.WithAttrs(as), s.records}
}

func (s recordSink) WithGroup(name string) slog.Handler {
	return recordSink{s.Handler.WithGroup(name), s.records}
}

// An upload the client abandons midway (it sends part of the body and
// hangs up) is logged at info, not as an error, and leaves no attachment.
func TestAbandonedUploadLoggedAtInfo(t *testing.T) {
	records := make(chan slog.Record, 64)
	e := setup(t, func(o *options) {
		o.cfg.Logger = slog.New(recordSink{o.cfg.Logger.Handler(), records})
	})
	var conv struct{ ID string }
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	for len(records) > 0 {
		<-records // the setup's requests
	}

	u, _ := url.Parse(e.c.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "PUT /v1/conversations/%s/attachments/call.wav HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: audio/wav\r\nContent-Length: 1000000\r\n\r\n%s", conv.ID, u.Host, e.KeyA, strings.Repeat("x", 50000))
	c.Close() // the client gives up after 50 kB of a megabyte

	var failed *slog.Record
	for r := range records {
		if r.Level >= slog.LevelWarn {
			t.Errorf("logged at %v: %s %v", r.Level, r.Message, attrs(r))
		}
		if r.Message == "request failed" {
			failed = &r
		}
		if r.Message == "request" { // the access log line comes last
			break
		}
	}
	if failed == nil {
		t.Error("the abandoned upload was not logged")
	} else if failed.Level != slog.LevelInfo {
		t.Errorf("the abandoned upload was logged at %v, want INFO", failed.Level)
	}
	cid, err := convstore.ParseID(convstore.PrefixConversation, "id", conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.Store.Authenticate(context.Background(), e.KeyA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.FindAttachmentByName(context.Background(), key.TenantID, cid, "call.wav"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the abandoned upload left an attachment: %v", err)
	}
}

func attrs(r slog.Record) string {
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	return b.String()
}
