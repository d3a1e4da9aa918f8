package client_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestMessages(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 1)
	start, end := 1500*time.Millisecond, 4*time.Second
	added, err := f.c.AddMessages(f.ctx, cv.ID, []*convstore.MessageCreate{
		{Role: convstore.RoleAssistant, Content: "Hi", AuthorName: "Ava", StartOffset: &start, EndOffset: &end,
			Metadata: convstore.Metadata{"lang": "en"}},
		{Role: convstore.RoleTool, Parts: json.RawMessage(`[{"type":"text","text":"result"}]`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 {
		t.Fatalf("added %d messages", len(added))
	}
	m := added[0]
	if m.ID.IsZero() || m.ConversationID != cv.ID || m.Role != convstore.RoleAssistant || m.Content != "Hi" ||
		m.AuthorName != "Ava" || *m.StartOffset != start || *m.EndOffset != end || m.Metadata["lang"] != "en" {
		t.Fatalf("added %+v", m)
	}
	if string(added[1].Parts) != `[{"type":"text","text":"result"}]` {
		t.Fatalf("parts = %s", added[1].Parts)
	}

	all, more, err := f.c.ListMessages(f.ctx, cv.ID, convstore.MessageFilter{})
	if err != nil || more || len(all) != 3 || all[1].ID != m.ID {
		t.Fatalf("list: %v, %d items, more=%v", err, len(all), more)
	}
	page, more, err := f.c.ListMessages(f.ctx, cv.ID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 1, After: all[0].ID}})
	if err != nil || !more || len(page) != 1 || page[0].ID != m.ID {
		t.Fatalf("page: %v, %d items, more=%v", err, len(page), more)
	}
	desc, _, err := f.c.ListMessages(f.ctx, cv.ID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Order: convstore.OrderDesc}})
	if err != nil || desc[0].ID != added[1].ID {
		t.Fatalf("desc: %v", err)
	}

	got, err := f.c.GetMessage(f.ctx, cv.ID, m.ID)
	if err != nil || got.Content != "Hi" || got.AuthorName != "Ava" {
		t.Fatalf("get: %v %+v", err, got)
	}
	if err := f.c.DeleteMessage(f.ctx, cv.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.GetMessage(f.ctx, cv.ID, m.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	err = f.c.DeleteMessage(f.ctx, cv.ID, m.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	conv, err := f.c.GetConversation(f.ctx, cv.ID)
	if err != nil || conv.MessageCount < 2 {
		t.Fatalf("conversation after delete: %v %+v", err, conv)
	}
}

func TestMessageErrors(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 0)
	_, err := f.c.AddMessages(f.ctx, cv.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser}})
	ce := wantCode(t, err, convstore.EINVALID, 422)
	if ce.Err.Field == "" {
		t.Fatalf("no field in %v", err)
	}
	_, err = f.c.AddMessages(f.ctx, cv.ID, nil)
	wantCode(t, err, convstore.EINVALID, 422)
	_, err = f.c.AddMessages(f.ctx, convstore.NewID(), []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "x"}})
	wantCode(t, err, convstore.ENOTFOUND, 404)
	_, _, err = f.c.ListMessages(f.ctx, convstore.NewID(), convstore.MessageFilter{})
	wantCode(t, err, convstore.ENOTFOUND, 404)
}
