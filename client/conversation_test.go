package client_test

import (
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestConversations(t *testing.T) {
	f := setup(t)
	in := &convstore.ConversationCreate{
		Title: "Support call", AgentID: "agent-7", UserID: "user-42",
		Metadata: convstore.Metadata{"channel": "voice"},
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleUser, Content: "Hello"},
			{Role: convstore.RoleAssistant, Content: "Hi, how can I help?"},
		},
	}
	cv, err := f.c.CreateConversation(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if cv.ID.IsZero() || cv.Seq == 0 || cv.Title != "Support call" || cv.AgentID != "agent-7" ||
		cv.UserID != "user-42" || cv.MessageCount != 2 || cv.Metadata["channel"] != "voice" || cv.CreatedAt.IsZero() {
		t.Fatalf("created %+v", cv)
	}

	got, err := f.c.GetConversation(f.ctx, cv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != cv.ID || got.Seq != cv.Seq || got.Title != cv.Title || got.MessageCount != 2 {
		t.Fatalf("got %+v, want %+v", got, cv)
	}

	other := f.mustConversation(t, "other", 0)
	third := f.mustConversation(t, "third", 0)

	// Newest first by default, paged with After.
	page, more, err := f.c.ListConversations(f.ctx, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || !more || page[0].ID != third.ID || page[1].ID != other.ID {
		t.Fatalf("first page: %d items, more=%v", len(page), more)
	}
	page, more, err = f.c.ListConversations(f.ctx, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 2, After: page[1].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || more || page[0].ID != cv.ID {
		t.Fatalf("second page: %d items, more=%v", len(page), more)
	}

	// Filters.
	page, _, err = f.c.ListConversations(f.ctx, convstore.ConversationFilter{AgentID: "agent-7"})
	if err != nil || len(page) != 1 || page[0].ID != cv.ID {
		t.Fatalf("agent filter: %v, %d items", err, len(page))
	}
	page, _, err = f.c.ListConversations(f.ctx, convstore.ConversationFilter{UserID: "user-1", PageFilter: convstore.PageFilter{Order: convstore.OrderAsc}})
	if err != nil || len(page) != 2 || page[0].ID != other.ID {
		t.Fatalf("user filter asc: %v, %d items", err, len(page))
	}
	future := time.Now().Add(time.Hour)
	page, _, err = f.c.ListConversations(f.ctx, convstore.ConversationFilter{CreatedAfter: &future})
	if err != nil || len(page) != 0 {
		t.Fatalf("created_after filter: %v, %d items", err, len(page))
	}
	page, _, err = f.c.ListConversations(f.ctx, convstore.ConversationFilter{CreatedBefore: &future})
	if err != nil || len(page) != 3 {
		t.Fatalf("created_before filter: %v, %d items", err, len(page))
	}

	// Update: title changes, metadata replaced by an empty map.
	title := "Renamed"
	empty := convstore.Metadata{}
	up, err := f.c.UpdateConversation(f.ctx, cv.ID, &convstore.ConversationUpdate{Title: &title, Metadata: &empty})
	if err != nil {
		t.Fatal(err)
	}
	if up.Title != "Renamed" || len(up.Metadata) != 0 || up.AgentID != "agent-7" {
		t.Fatalf("updated %+v", up)
	}

	// Delete returns the receipt; afterwards the conversation is gone.
	d, err := f.c.DeleteConversation(f.ctx, cv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID.IsZero() || d.ConversationID != cv.ID || d.ConversationSeq != cv.Seq || d.Messages != 2 ||
		d.ActorKeyID != f.key.ID || d.Door != "native" || d.RequestID == "" {
		t.Fatalf("receipt %+v", d)
	}
	_, err = f.c.GetConversation(f.ctx, cv.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	_, err = f.c.DeleteConversation(f.ctx, cv.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
}

func TestConversationErrors(t *testing.T) {
	f := setup(t)
	long := string(make([]byte, convstore.MaxTitleLen+1))
	_, err := f.c.CreateConversation(f.ctx, &convstore.ConversationCreate{Title: long})
	ce := wantCode(t, err, convstore.EINVALID, 422)
	if ce.Err.Field != "title" || convstore.ErrorField(err) != "title" {
		t.Fatalf("field = %q, want title", ce.Err.Field)
	}
	_, err = f.c.CreateConversation(f.ctx, &convstore.ConversationCreate{
		Messages: []*convstore.MessageCreate{{Role: "robot", Content: "x"}},
	})
	ce = wantCode(t, err, convstore.EINVALID, 422)
	if ce.Err.Field != "messages[0].role" {
		t.Fatalf("field = %q, want messages[0].role", ce.Err.Field)
	}
	_, _, err = f.c.ListConversations(f.ctx, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 1000}})
	ce = wantCode(t, err, convstore.EINVALID, 400)
	if ce.Err.Field != "limit" || ce.Problem.Code != "invalid_parameter" {
		t.Fatalf("problem %+v", ce.Problem)
	}
	title := "x"
	_, err = f.c.UpdateConversation(f.ctx, convstore.NewID(), &convstore.ConversationUpdate{Title: &title})
	wantCode(t, err, convstore.ENOTFOUND, 404)
}
