package client_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

// testMaxAttachment is the attachment limit of the test server.
const testMaxAttachment = 256 << 10

// fixture is one test's setup: a real SQLite store in a temp directory
// behind the real native door on an httptest server, a tenant, and a
// client with the tenant's admin key.
type fixture struct {
	ctx    context.Context
	store  convstore.Store
	srv    *httptest.Server
	tenant *convstore.Tenant
	key    *convstore.NewKey
	c      *client.Client
}

func setup(t *testing.T) *fixture {
	t.Helper()
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	dir := t.TempDir()
	logger := servicetest.Logger(t)
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	drv, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	db := service.New(drv, blobs, service.Options{Logger: logger})
	t.Cleanup(func() { db.Close() })
	tenant, key, err := db.CreateTenant(ctx, "acme", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v1.NewServer(convhttp.Config{
		Store: db, Logger: logger, MaxAttachmentBytes: testMaxAttachment,
	}).Handler())
	t.Cleanup(srv.Close)
	return &fixture{ctx: ctx, store: db, srv: srv, tenant: tenant, key: key, c: client.New(srv.URL, key.Secret)}
}

// mustConversation creates a conversation with n messages through the client.
func (f *fixture) mustConversation(t *testing.T, title string, n int) *convstore.Conversation {
	t.Helper()
	in := &convstore.ConversationCreate{Title: title, AgentID: "agent-1", UserID: "user-1"}
	for i := range n {
		in.Messages = append(in.Messages, &convstore.MessageCreate{Role: convstore.RoleUser, Content: "message " + strconv.Itoa(i)})
	}
	cv, _, err := f.c.CreateConversation(f.ctx, convstore.ID{}, in)
	if err != nil {
		t.Fatalf("CreateConversation: %v", err)
	}
	return cv
}

// mustMessages lists the first page of a conversation's messages.
func (f *fixture) mustMessages(t *testing.T, convID convstore.ID) []*convstore.Message {
	t.Helper()
	msgs, _, err := f.c.FindMessages(f.ctx, convstore.ID{}, convID, convstore.MessageFilter{})
	if err != nil {
		t.Fatalf("FindMessages: %v", err)
	}
	return msgs
}

// wantLocal fails unless err is the domain error with code and field that
// the client returned without asking the server.
func wantLocal(t *testing.T, err error, code, field string) {
	t.Helper()
	if _, sent := err.(*client.Error); sent || err == nil {
		t.Fatalf("got %v, want a %s error of the client itself", err, code)
	}
	if convstore.ErrorCode(err) != code || convstore.ErrorField(err) != field {
		t.Fatalf("got %v, want code %s field %q", err, code, field)
	}
}

// wantCode fails unless err is a *client.Error with the given domain code
// and HTTP status.
func wantCode(t *testing.T, err error, code string, status int) *client.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	ce, ok := err.(*client.Error)
	if !ok {
		t.Fatalf("error %T %v is not a *client.Error", err, err)
	}
	if got := convstore.ErrorCode(err); got != code {
		t.Fatalf("code = %q, want %q (%v)", got, code, err)
	}
	if ce.Status() != status {
		t.Fatalf("status = %d, want %d (%v)", ce.Status(), status, err)
	}
	if ce.RequestID() == "" {
		t.Fatalf("no request id in %v", err)
	}
	return ce
}
