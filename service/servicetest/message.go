package servicetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var messageTests = []subtest{
	{"CreateBatchOrder", testCreateMessageBatch},
	{"RoundTrip", testMessageRoundTrip},
	{"WrongConversation", testMessageWrongConversation},
	{"Delete", testDeleteMessage},
	{"Update", testUpdateMessage},
	{"Validation", testMessageValidation},
	{"MissingConversation", testMessagesMissingConversation},
	{"ByExternalID", testMessageByExternalID},
}

// testMessageByExternalID finds messages by their metadata external id
// across the tenant's live conversations: the newest one, never another
// tenant's, never a deleted message's or conversation's.
func testMessageByExternalID(t *testing.T, f *fixture) {
	ext := func(id string) convstore.Metadata {
		return convstore.Metadata{convstore.MessageExternalIDKey: id, "k": "v"}
	}
	c1, m1 := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "one", Metadata: ext("x")}, {Role: convstore.RoleAssistant, Content: "two", Metadata: ext("y")},
		{Role: convstore.RoleUser, Content: "three"}}})
	c2, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	m3, err := f.Store.CreateMessages(f.ctx, f.tenant.ID, c2.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "again", Metadata: ext("x")}})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := f.Store.CreateTenant(f.ctx, uniqueName("other"), f.params)
	if err != nil {
		t.Fatal(err)
	}
	MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "foreign", Metadata: ext("z")}}})
	find := func(id string) (*convstore.Message, error) {
		return f.Store.FindMessageByExternalID(f.ctx, f.tenant.ID, id)
	}
	if m, err := find("x"); err != nil || m.ID != m3[0].ID || m.Content != "again" || m.Metadata["k"] != "v" {
		t.Fatalf("newest x = %+v, %v", m, err)
	}
	if m, err := find("y"); err != nil || m.ID != m1[1].ID || m.ConversationID != c1.ID {
		t.Fatalf("y = %+v, %v", m, err)
	}
	for _, id := range []string{"z", "three", "", "X"} {
		_, err := find(id)
		wantCode(t, err, convstore.ENOTFOUND, "FindMessageByExternalID("+id+")")
	}
	if err := f.Store.DeleteMessage(f.ctx, f.tenant.ID, c2.ID, m3[0].ID, f.params); err != nil {
		t.Fatal(err)
	}
	if m, err := find("x"); err != nil || m.ID != m1[0].ID {
		t.Fatalf("x after deleting the newest = %+v, %v", m, err)
	}
	if _, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, c1.ID, f.params); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x", "y"} {
		_, err := find(id)
		wantCode(t, err, convstore.ENOTFOUND, "FindMessageByExternalID("+id+") of a deleted conversation")
	}
}

func testCreateMessageBatch(t *testing.T, f *fixture) {
	conv, initial := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("initial", 2)})
	batch := textMessages("batch", 50)
	// Contents that would sort differently from insertion order.
	for i, m := range batch {
		m.Content = string(rune('z'-i%26)) + m.Content
	}
	msgs := MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, conv.ID, batch)
	prev := initial[len(initial)-1].ID
	for i, m := range msgs {
		if !prev.Less(m.ID) {
			t.Errorf("message %d: ID %s not after the previous %s", i, m.ID.UUID(), prev.UUID())
		}
		prev = m.ID
		if m.ConversationID != conv.ID || m.Role != batch[i].Role || m.Content != batch[i].Content {
			t.Errorf("message %d = %+v, want %q %q", i, m, batch[i].Role, batch[i].Content)
		}
	}
	listed := mustListAll(t, f.ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Message, bool, error) {
		return f.Store.FindMessages(ctx, f.tenant.ID, conv.ID, convstore.MessageFilter{PageFilter: p})
	}, msgID, convstore.OrderAsc)
	all := append(initial, msgs...)
	if len(listed) != len(all) {
		t.Fatalf("FindMessages: %d messages, want %d", len(listed), len(all))
	}
	for i := range all {
		if listed[i].ID != all[i].ID || listed[i].Content != all[i].Content {
			t.Errorf("FindMessages[%d] = %s %q, want %s %q", i, listed[i].ID.UUID(), listed[i].Content, all[i].ID.UUID(), all[i].Content)
		}
	}
	got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID)
	if got.MessageCount != len(all) {
		t.Errorf("MessageCount = %d, want %d", got.MessageCount, len(all))
	}
	if got.UpdatedAt.Before(conv.UpdatedAt) {
		t.Errorf("UpdatedAt went backwards after append: %v -> %v", conv.UpdatedAt, got.UpdatedAt)
	}
	// A full batch of MaxMessageBatch is accepted.
	MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, conv.ID, textMessages("full", convstore.MaxMessageBatch))
	if got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); got.MessageCount != len(all)+convstore.MaxMessageBatch {
		t.Errorf("MessageCount after a full batch = %d, want %d", got.MessageCount, len(all)+convstore.MaxMessageBatch)
	}
}

func msgID(m *convstore.Message) convstore.ID { return m.ID }

func testMessageRoundTrip(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	start, end := 1500*time.Millisecond, 4*time.Second
	in := []*convstore.MessageCreate{
		{
			Role: convstore.RoleAssistant, Content: "Здравствуйте 👋", AuthorName: "Ada",
			Parts:       json.RawMessage(`[{"type":"text","text":"hi"},{"type":"image","url":"https://x/y.png"}]`),
			StartOffset: &start, EndOffset: &end,
			Metadata: convstore.Metadata{"model": "m1", "lang": "ru"},
		},
		{Role: convstore.RoleTool, Parts: json.RawMessage(`{"result":42}`)},
		{Role: convstore.RoleSystem, Content: "plain"},
	}
	msgs := MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, conv.ID, in)
	for i, m := range msgs {
		got, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv.ID, m.ID)
		if err != nil {
			t.Fatalf("FindMessageByID: %v", err)
		}
		for _, g := range []*convstore.Message{m, got} {
			c := in[i]
			if g.ID != m.ID || g.ConversationID != conv.ID || g.Role != c.Role || g.Content != c.Content ||
				g.AuthorName != c.AuthorName || !jsonEqual(g.Parts, c.Parts) || !metadataEqual(g.Metadata, c.Metadata) ||
				!durationEqual(g.StartOffset, c.StartOffset) || !durationEqual(g.EndOffset, c.EndOffset) {
				t.Errorf("message %d round trip:\n got  %+v\n want %+v", i, g, c)
			}
		}
		if !got.CreatedAt.Equal(m.CreatedAt) {
			t.Errorf("message %d: CreatedAt read back %v, returned %v", i, got.CreatedAt, m.CreatedAt)
		}
		checkRecent(t, "message CreatedAt", got.CreatedAt)
	}
}

func durationEqual(a, b *time.Duration) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func testMessageWrongConversation(t *testing.T, f *fixture) {
	conv1, msgs1 := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("one", 2)})
	conv2, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("two", 2)})
	ref := func() error {
		_, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv2.ID, randomID())
		return err
	}()
	wantCode(t, ref, convstore.ENOTFOUND, "FindMessageByID of a random id")
	_, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv2.ID, msgs1[0].ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindMessageByID with the wrong conversation")
	sameError(t, "FindMessageByID with the wrong conversation", err, ref)
	_, err = f.Store.FindMessageByID(f.ctx, f.tenant.ID, randomID(), msgs1[0].ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindMessageByID with a missing conversation")

	err = f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv2.ID, msgs1[0].ID, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteMessage with the wrong conversation")
	if _, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv1.ID, msgs1[0].ID); err != nil {
		t.Errorf("message gone after DeleteMessage with the wrong conversation: %v", err)
	}
	for _, c := range []*convstore.Conversation{conv1, conv2} {
		if got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, c.ID); got.MessageCount != 2 {
			t.Errorf("MessageCount = %d after a refused delete, want 2", got.MessageCount)
		}
	}
}

func testDeleteMessage(t *testing.T, f *fixture) {
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("secret-text", 3)})
	if err := f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, f.params); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	_, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindMessageByID of a deleted message")
	got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID)
	if got.MessageCount != 2 {
		t.Errorf("MessageCount after DeleteMessage = %d, want 2", got.MessageCount)
	}
	listed, _, err := f.Store.FindMessages(f.ctx, f.tenant.ID, conv.ID, convstore.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].ID != msgs[0].ID || listed[1].ID != msgs[2].ID {
		t.Errorf("FindMessages after delete: %s, want %s", fmtIDs(idsOf(listed, msgID)), fmtIDs([]convstore.ID{msgs[0].ID, msgs[2].ID}))
	}
	e := checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditMessageDelete, conv.ID, msgs[1].ID, f.params)
	checkNoContent(t, "message.delete audit entry", e, msgs[1].Content)

	err = f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteMessage twice")
	if got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); got.MessageCount != 2 {
		t.Errorf("MessageCount after a second DeleteMessage = %d, want 2", got.MessageCount)
	}
	if n := len(findAudit(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID), convstore.AuditMessageDelete, msgs[1].ID)); n != 1 {
		t.Errorf("a failed DeleteMessage wrote an audit entry: %d entries", n)
	}
}

func idsOf[T any](items []T, idOf func(T) convstore.ID) []convstore.ID {
	out := make([]convstore.ID, len(items))
	for i, it := range items {
		out[i] = idOf(it)
	}
	return out
}

func testMessageValidation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("m", 2)})
	neg := -time.Second
	cases := []struct {
		what  string
		batch []*convstore.MessageCreate
	}{
		{"a batch over MaxMessageBatch", textMessages("big", convstore.MaxMessageBatch+1)},
		{"an unknown role", []*convstore.MessageCreate{{Role: "user", Content: "ok"}, {Role: "robot", Content: "x"}}},
		{"no content or parts", []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "ok"}, {Role: convstore.RoleUser}}},
		{"invalid parts JSON", []*convstore.MessageCreate{{Role: convstore.RoleUser, Parts: json.RawMessage(`{"a":`)}}},
		{"a negative offset", []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "x", StartOffset: &neg}}},
		{"a nil message", []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "ok"}, nil}},
	}
	for _, tc := range cases {
		msgs, err := f.Store.CreateMessages(f.ctx, f.tenant.ID, conv.ID, tc.batch)
		wantCode(t, err, convstore.EINVALID, "CreateMessages with "+tc.what)
		if msgs != nil {
			t.Errorf("CreateMessages with %s returned messages with its error", tc.what)
		}
	}
	// Nothing of the rejected batches was written.
	if got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); got.MessageCount != 2 {
		t.Errorf("MessageCount after rejected batches = %d, want 2", got.MessageCount)
	}
	listed, _, err := f.Store.FindMessages(f.ctx, f.tenant.ID, conv.ID, convstore.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 {
		t.Errorf("rejected batches left messages: %d listed, want 2", len(listed))
	}
}

func testMessagesMissingConversation(t *testing.T, f *fixture) {
	missing := randomID()
	_, err := f.Store.CreateMessages(f.ctx, f.tenant.ID, missing, textMessages("m", 1))
	wantCode(t, err, convstore.ENOTFOUND, "CreateMessages on a missing conversation")
	_, _, err = f.Store.FindMessages(f.ctx, f.tenant.ID, missing, convstore.MessageFilter{})
	wantCode(t, err, convstore.ENOTFOUND, "FindMessages of a missing conversation")
	err = f.Store.DeleteMessage(f.ctx, f.tenant.ID, missing, randomID(), f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteMessage in a missing conversation")
	if rows := nonZero(MustRowCounts(t, f.ctx, f.Harness)); sumCounts(MustConversationRows(t, f.ctx, f.Harness, missing)) != 0 {
		t.Errorf("rows refer to a never-created conversation; all rows: %v", rows)
	}
}

// testUpdateMessage checks that UpdateMessage rewrites the set fields,
// leaves the others and the message's place, answers another tenant's or
// conversation's message as missing, refuses a held conversation and
// bad input, and writes nothing when it fails.
func testUpdateMessage(t *testing.T, f *fixture) {
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("before", 2)})
	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("x", 1)})
	content, parts, meta := "after-update", json.RawMessage(`{"text":"after-update"}`), convstore.Metadata{"k": "v2"}
	got, err := f.Store.UpdateMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, &convstore.MessageUpdate{Content: &content, Parts: &parts, Metadata: &meta})
	if err != nil {
		t.Fatalf("UpdateMessage: %v", err)
	}
	if got.ID != msgs[1].ID || got.Content != content || string(got.Parts) != string(parts) || got.Metadata["k"] != "v2" ||
		got.Role != msgs[1].Role || !got.CreatedAt.Equal(msgs[1].CreatedAt) {
		t.Errorf("UpdateMessage returned %+v", got)
	}
	read, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID)
	if err != nil || read.Content != content || string(read.Parts) != string(parts) || len(read.Metadata) != 1 || read.Metadata["k"] != "v2" {
		t.Errorf("FindMessageByID after update: %+v, %v", read, err)
	}
	// Only metadata: content and parts stay.
	meta2 := convstore.Metadata{}
	if got, err = f.Store.UpdateMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, &convstore.MessageUpdate{Metadata: &meta2}); err != nil ||
		got.Content != content || len(got.Metadata) != 0 {
		t.Errorf("UpdateMessage of metadata only: %+v, %v", got, err)
	}
	if first, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv.ID, msgs[0].ID); err != nil || first.Content != msgs[0].Content {
		t.Errorf("the other message changed: %+v, %v", first, err)
	}
	listed, _, err := f.Store.FindMessages(f.ctx, f.tenant.ID, conv.ID, convstore.MessageFilter{})
	if err != nil || len(listed) != 2 || listed[1].ID != msgs[1].ID || listed[1].Content != content {
		t.Errorf("FindMessages after update: %v, %v", listed, err)
	}
	if c := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); c.MessageCount != 2 {
		t.Errorf("MessageCount %d after update, want 2", c.MessageCount)
	}

	_, err = f.Store.UpdateMessage(f.ctx, f.tenant.ID, other.ID, msgs[1].ID, &convstore.MessageUpdate{Content: &content})
	wantCode(t, err, convstore.ENOTFOUND, "UpdateMessage in another conversation")
	foreign, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("foreign"))
	_, err = f.Store.UpdateMessage(f.ctx, foreign.ID, conv.ID, msgs[1].ID, &convstore.MessageUpdate{Content: &content})
	wantCode(t, err, convstore.ENOTFOUND, "UpdateMessage of another tenant's message")
	_, err = f.Store.UpdateMessage(f.ctx, f.tenant.ID, conv.ID, convstore.NewID(), &convstore.MessageUpdate{Content: &content})
	wantCode(t, err, convstore.ENOTFOUND, "UpdateMessage of a missing message")

	empty, none := "", json.RawMessage(nil)
	_, err = f.Store.UpdateMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, &convstore.MessageUpdate{Content: &empty, Parts: &none})
	wantCode(t, err, convstore.EINVALID, "UpdateMessage leaving no content")
	bad := json.RawMessage(`{`)
	_, err = f.Store.UpdateMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, &convstore.MessageUpdate{Parts: &bad})
	wantCode(t, err, convstore.EINVALID, "UpdateMessage with invalid parts")

	h := f.mustHold(t, &convstore.HoldCreate{ConversationID: conv.ID, Reason: "litigation"})
	other2 := "while-held"
	_, err = f.Store.UpdateMessage(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID, &convstore.MessageUpdate{Content: &other2})
	wantHeld(t, err, h.ID, "UpdateMessage under a hold")
	if read, err := f.Store.FindMessageByID(f.ctx, f.tenant.ID, conv.ID, msgs[1].ID); err != nil || read.Content != content {
		t.Errorf("a refused update changed the message: %+v, %v", read, err)
	}
}
