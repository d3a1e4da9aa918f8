package client_test

import (
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestConversations(t *testing.T) {
	f := setup(t)
	in := &convstore.ConversationCreate{
		Title: "Support call", AgentID: "agent-7", UserID: "user-42", ExternalID: "crm:case 7/ü",
		Metadata: convstore.Metadata{"channel": "voice"},
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleUser, Content: "Hello"},
			{Role: convstore.RoleAssistant, Content: "Hi, how can I help?"},
		},
	}
	cv, msgs, err := f.c.CreateConversation(f.ctx, convstore.ID{}, in)
	if err != nil {
		t.Fatal(err)
	}
	if cv.ID.IsZero() || cv.Seq == 0 || cv.TenantID != f.tenant.ID || cv.Title != "Support call" || cv.AgentID != "agent-7" ||
		cv.UserID != "user-42" || cv.ExternalID != in.ExternalID || cv.MessageCount != 2 || cv.Metadata["channel"] != "voice" || cv.CreatedAt.IsZero() {
		t.Fatalf("created %+v", cv)
	}
	// The initial messages come back as stored.
	listed := f.mustMessages(t, cv.ID)
	if len(msgs) != 2 || msgs[0].ID != listed[0].ID || msgs[1].ID != listed[1].ID || msgs[1].Content != "Hi, how can I help?" ||
		msgs[0].ConversationID != cv.ID {
		t.Fatalf("initial messages %+v, listed %+v", msgs, listed)
	}

	// Found by id, by seq and by external id, under the zero tenant or the
	// key's own.
	for what, find := range map[string]func() (*convstore.Conversation, error){
		"id":     func() (*convstore.Conversation, error) { return f.c.FindConversationByID(f.ctx, convstore.ID{}, cv.ID) },
		"own id": func() (*convstore.Conversation, error) { return f.c.FindConversationByID(f.ctx, f.tenant.ID, cv.ID) },
		"seq": func() (*convstore.Conversation, error) {
			return f.c.FindConversationBySeq(f.ctx, convstore.ID{}, cv.Seq)
		},
		"external id": func() (*convstore.Conversation, error) {
			return f.c.FindConversationByExternalID(f.ctx, f.tenant.ID, in.ExternalID)
		},
	} {
		got, err := find()
		if err != nil || got.ID != cv.ID || got.TenantID != cv.TenantID || got.Seq != cv.Seq || got.ExternalID != cv.ExternalID ||
			got.MessageCount != 2 || !got.UpdatedAt.Equal(cv.UpdatedAt) {
			t.Fatalf("by %s: %+v, %v; want %+v", what, got, err, cv)
		}
	}
	_, err = f.c.FindConversationBySeq(f.ctx, convstore.ID{}, cv.Seq+1)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	_, err = f.c.FindConversationByExternalID(f.ctx, convstore.ID{}, "")
	wantCode(t, err, convstore.ENOTFOUND, 404)

	other := f.mustConversation(t, "other", 0)
	third := f.mustConversation(t, "third", 0)

	// Newest first by default, paged with After.
	page, more, err := f.c.FindConversations(f.ctx, convstore.ID{}, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || !more || page[0].ID != third.ID || page[1].ID != other.ID || page[0].TenantID != f.tenant.ID {
		t.Fatalf("first page: %d items, more=%v", len(page), more)
	}
	page, more, err = f.c.FindConversations(f.ctx, convstore.ID{}, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 2, After: page[1].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || more || page[0].ID != cv.ID {
		t.Fatalf("second page: %d items, more=%v", len(page), more)
	}

	// Filters, offsets and counts.
	future := time.Now().Add(time.Hour)
	for _, c := range []struct {
		what string
		f    convstore.ConversationFilter
		want []convstore.ID
	}{
		{"agent", convstore.ConversationFilter{AgentID: "agent-7"}, []convstore.ID{cv.ID}},
		{"user, ascending", convstore.ConversationFilter{UserID: "user-1", PageFilter: convstore.PageFilter{Order: convstore.OrderAsc}}, []convstore.ID{other.ID, third.ID}},
		{"created after", convstore.ConversationFilter{CreatedAfter: &future}, nil},
		{"created before", convstore.ConversationFilter{CreatedBefore: &future}, []convstore.ID{third.ID, other.ID, cv.ID}},
		{"created after its own time", convstore.ConversationFilter{CreatedAfter: &third.CreatedAt, AgentID: "agent-7"}, nil},
		{"metadata", convstore.ConversationFilter{Metadata: convstore.Metadata{"channel": "voice"}}, []convstore.ID{cv.ID}},
		{"metadata, another value", convstore.ConversationFilter{Metadata: convstore.Metadata{"channel": "chat"}}, nil},
		{"offset", convstore.ConversationFilter{Offset: 1, PageFilter: convstore.PageFilter{Limit: 1}}, []convstore.ID{other.ID}},
	} {
		page, _, err := f.c.FindConversations(f.ctx, convstore.ID{}, c.f)
		var ids []convstore.ID
		for _, p := range page {
			ids = append(ids, p.ID)
		}
		if err != nil || len(ids) != len(c.want) || len(ids) > 0 && ids[0] != c.want[0] {
			t.Fatalf("%s: %v, %d items, want %d", c.what, err, len(ids), len(c.want))
		}
		n, err := f.c.CountConversations(f.ctx, convstore.ID{}, c.f)
		if want := len(c.want); c.f.Offset > 0 {
			want = 3 // a count ignores the page and the offset
			if err != nil || n != want {
				t.Fatalf("%s: count %d, %v; want %d", c.what, n, err, want)
			}
		} else if err != nil || n != want {
			t.Fatalf("%s: count %d, %v; want %d", c.what, n, err, want)
		}
	}

	// Update: title changes, metadata replaced by an empty map.
	title := "Renamed"
	empty := convstore.Metadata{}
	up, err := f.c.UpdateConversation(f.ctx, convstore.ID{}, cv.ID, &convstore.ConversationUpdate{Title: &title, Metadata: &empty})
	if err != nil {
		t.Fatal(err)
	}
	if up.Title != "Renamed" || len(up.Metadata) != 0 || up.AgentID != "agent-7" || up.TenantID != f.tenant.ID {
		t.Fatalf("updated %+v", up)
	}
	_, err = f.c.UpdateConversation(f.ctx, convstore.ID{}, cv.ID, nil)
	wantLocal(t, err, convstore.EINVALID, "body") // as the store answers a nil update

	// Delete returns the receipt; afterwards the conversation is gone.
	d, err := f.c.DeleteConversation(f.ctx, convstore.ID{}, cv.ID, convstore.DeleteParams{ClientRequestID: "erase-1"})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID.IsZero() || d.TenantID != f.tenant.ID || d.ConversationID != cv.ID || d.ConversationSeq != cv.Seq || d.Messages != 2 ||
		d.ActorKeyID != f.key.ID || d.Door != "native" || !strings.HasPrefix(d.RequestID, "req_") || d.ClientRequestID != "erase-1" {
		t.Fatalf("receipt %+v", d)
	}
	_, err = f.c.FindConversationByID(f.ctx, convstore.ID{}, cv.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	_, err = f.c.DeleteConversation(f.ctx, convstore.ID{}, cv.ID, convstore.DeleteParams{})
	wantCode(t, err, convstore.ENOTFOUND, 404)
}

func TestConversationErrors(t *testing.T) {
	f := setup(t)
	// The server judges input and answers with the domain's code and
	// field, its status and its request id.
	_, _, err := f.c.CreateConversation(f.ctx, convstore.ID{}, &convstore.ConversationCreate{Title: strings.Repeat("t", convstore.MaxTitleLen+1)})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "title" || convstore.ErrorField(err) != "title" {
		t.Fatalf("field = %q, want title", ce.Err.Field)
	}
	_, _, err = f.c.CreateConversation(f.ctx, convstore.ID{}, &convstore.ConversationCreate{
		Messages: []*convstore.MessageCreate{{Role: "robot", Content: "x"}},
	})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "messages[0].role" {
		t.Fatalf("field = %q, want messages[0].role", ce.Err.Field)
	}
	_, _, err = f.c.FindConversations(f.ctx, convstore.ID{}, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 1000}})
	if ce := wantCode(t, err, convstore.EINVALID, 400); ce.Err.Field != "limit" || ce.Problem.Code != "invalid_parameter" {
		t.Fatalf("problem %+v", ce.Problem)
	}
	_, err = f.c.CountConversations(f.ctx, convstore.ID{}, convstore.ConversationFilter{Metadata: convstore.Metadata{"": "x"}})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "metadata" {
		t.Fatalf("field = %q, want metadata", ce.Err.Field)
	}
	// What JSON cannot carry as it is (text that is not UTF-8, which
	// encoding would replace, and a nil input) the client refuses itself,
	// by the domain's rules.
	_, _, err = f.c.CreateConversation(f.ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "caf\xe9"})
	wantLocal(t, err, convstore.EINVALID, "title")
	_, _, err = f.c.CreateConversation(f.ctx, convstore.ID{}, &convstore.ConversationCreate{Metadata: convstore.Metadata{"k": "\xff"}})
	wantLocal(t, err, convstore.EINVALID, "metadata")
	_, _, err = f.c.CreateConversation(f.ctx, convstore.ID{}, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{nil}})
	wantLocal(t, err, convstore.EINVALID, "messages")
	_, _, err = f.c.CreateConversation(f.ctx, convstore.ID{}, nil)
	wantLocal(t, err, convstore.EINVALID, "body")
	bad := "\xff"
	_, err = f.c.UpdateConversation(f.ctx, convstore.ID{}, convstore.NewID(), &convstore.ConversationUpdate{UserID: &bad})
	wantLocal(t, err, convstore.EINVALID, "user_id")
	if n, err := f.c.CountConversations(f.ctx, convstore.ID{}, convstore.ConversationFilter{}); err != nil || n != 0 {
		t.Fatalf("refused creates left %d conversations (%v)", n, err)
	}
	// A zero id, or an external id that is not text, can name nothing.
	_, err = f.c.FindConversationByID(f.ctx, convstore.ID{}, convstore.ID{})
	wantLocal(t, err, convstore.ENOTFOUND, "")
	_, err = f.c.FindConversationByExternalID(f.ctx, convstore.ID{}, "\xff")
	wantLocal(t, err, convstore.ENOTFOUND, "")
	title := "x"
	_, err = f.c.UpdateConversation(f.ctx, convstore.ID{}, convstore.NewID(), &convstore.ConversationUpdate{Title: &title})
	wantCode(t, err, convstore.ENOTFOUND, 404)
	// The external id is unique within the tenant.
	if _, _, err := f.c.CreateConversation(f.ctx, convstore.ID{}, &convstore.ConversationCreate{ExternalID: "once"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.c.CreateConversation(f.ctx, convstore.ID{}, &convstore.ConversationCreate{ExternalID: "once"})
	wantCode(t, err, convstore.ECONFLICT, 409)
}

// TestConversationFiltersNotServed: a selection the native API does not
// take is refused, not dropped (dropped, the answer would be about other
// conversations than the ones asked for).
func TestConversationFiltersNotServed(t *testing.T) {
	f := setup(t)
	one := 1
	for name, filter := range map[string]convstore.ConversationFilter{
		"seq_max":      {Seq: 1, SeqMax: 5},
		"min_messages": {MinMessages: &one},
		"order":        {ByUpdated: true},
	} {
		if _, _, err := f.c.FindConversations(f.ctx, convstore.ID{}, filter); convstore.ErrorCode(err) != convstore.EINVALID || !strings.Contains(err.Error(), name) {
			t.Errorf("FindConversations with %s: %v, want EINVALID naming %s", name, err, name)
		}
		if _, err := f.c.CountConversations(f.ctx, convstore.ID{}, filter); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("CountConversations with %s: %v, want EINVALID", name, err)
		}
	}
}
