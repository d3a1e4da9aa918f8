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
	added, err := f.c.CreateMessages(f.ctx, convstore.ID{}, cv.ID, []*convstore.MessageCreate{
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
	all, more, err := f.c.FindMessages(f.ctx, convstore.ID{}, cv.ID, convstore.MessageFilter{})
	if err != nil || more || len(all) != 3 || all[1].ID != m.ID {
		t.Fatalf("list: %v, %d items, more=%v", err, len(all), more)
	}
	page, more, err := f.c.FindMessages(f.ctx, f.tenant.ID, cv.ID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 1, After: all[0].ID}})
	if err != nil || !more || len(page) != 1 || page[0].ID != m.ID {
		t.Fatalf("page: %v, %d items, more=%v", err, len(page), more)
	}
	desc, _, err := f.c.FindMessages(f.ctx, convstore.ID{}, cv.ID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Order: convstore.OrderDesc}})
	if err != nil || desc[0].ID != added[1].ID {
		t.Fatalf("desc: %v", err)
	}
	// Found in its conversation, or by its id alone.
	for _, conv := range []convstore.ID{cv.ID, {}} {
		got, err := f.c.FindMessageByID(f.ctx, convstore.ID{}, conv, m.ID)
		if err != nil || got.Content != "Hi" || got.AuthorName != "Ava" || got.ConversationID != cv.ID {
			t.Fatalf("find in %s: %v %+v", conv.UUID(), err, got)
		}
	}
	other := f.mustConversation(t, "other", 0)
	_, err = f.c.FindMessageByID(f.ctx, convstore.ID{}, other.ID, m.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)

	if err := f.c.DeleteMessage(f.ctx, convstore.ID{}, cv.ID, m.ID, convstore.DeleteParams{ClientRequestID: "drop-1"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.FindMessageByID(f.ctx, convstore.ID{}, convstore.ID{}, m.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	err = f.c.DeleteMessage(f.ctx, convstore.ID{}, cv.ID, m.ID, convstore.DeleteParams{})
	wantCode(t, err, convstore.ENOTFOUND, 404)
	entries, _, err := f.c.FindAuditEntries(f.ctx, convstore.ID{}, convstore.AuditFilter{})
	if err != nil || entries[0].Action != convstore.AuditMessageDelete || entries[0].TargetID != m.ID || entries[0].ClientRequestID != "drop-1" ||
		entries[0].ActorKeyID != f.key.ID || entries[0].TenantID != f.tenant.ID {
		t.Fatalf("audit: %v %+v", err, entries)
	}
}

func TestMessageErrors(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 0)
	_, err := f.c.CreateMessages(f.ctx, convstore.ID{}, cv.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser}})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "messages[0].content" {
		t.Fatalf("field = %q", ce.Err.Field)
	}
	_, err = f.c.CreateMessages(f.ctx, convstore.ID{}, cv.ID, nil)
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "messages" {
		t.Fatalf("field = %q", ce.Err.Field)
	}
	neg := -time.Second
	_, err = f.c.CreateMessages(f.ctx, convstore.ID{}, cv.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "x"}, {Role: convstore.RoleUser, Content: "x", EndOffset: &neg}})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "messages[1].end_offset" || ce.Problem.Field != "messages[1].end_offset_ms" {
		t.Fatalf("field %q, wire field %q; want the domain's and the wire's names", ce.Err.Field, ce.Problem.Field)
	}
	_, err = f.c.CreateMessages(f.ctx, convstore.ID{}, cv.ID, []*convstore.MessageCreate{{Role: convstore.RoleTool, Parts: []byte(`{"a":`)}})
	wantLocal(t, err, convstore.EINVALID, "messages[0].parts")
	_, err = f.c.CreateMessages(f.ctx, convstore.ID{}, cv.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "ok"}, nil})
	wantLocal(t, err, convstore.EINVALID, "messages")
	_, err = f.c.CreateMessages(f.ctx, convstore.ID{}, convstore.NewID(), []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "x"}})
	wantCode(t, err, convstore.ENOTFOUND, 404)
	_, _, err = f.c.FindMessages(f.ctx, convstore.ID{}, convstore.NewID(), convstore.MessageFilter{})
	wantCode(t, err, convstore.ENOTFOUND, 404)
}
