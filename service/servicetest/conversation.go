package servicetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var conversationTests = []subtest{
	{"Create", testCreateConversation},
	{"CreateWithMessages", testCreateConversationWithMessages},
	{"SeqUnique", testConversationSeq},
	{"Validation", testConversationValidation},
	{"Update", testUpdateConversation},
	{"UpdateValidation", testUpdateConversationValidation},
	{"FindMissing", testFindMissingConversation},
	{"Door", testConversationDoor},
}

// testConversationDoor: a conversation keeps the door that created it
// through every read and update; without one it is DoorUnknown; a door
// name that is not single-line text, or too long, is refused.
func testConversationDoor(t *testing.T, f *fixture) {
	made, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Door: "symbl", ExternalID: "door-ext", UserID: "door-user"})
	bare, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	// Over HTTP (the Go client) every create goes through the native
	// door, which records itself: no wire format carries a door.
	want, wantBare := "symbl", convstore.DoorUnknown
	remote := bare.Door == "native"
	if remote {
		want, wantBare = "native", "native"
	}
	if made.Door != want || bare.Door != wantBare {
		t.Fatalf("doors on create = %q, %q; want %q, %q", made.Door, bare.Door, want, wantBare)
	}
	title := "renamed"
	upd, err := f.Store.UpdateConversation(f.ctx, f.tenant.ID, made.ID, &convstore.ConversationUpdate{Title: &title})
	if err != nil || upd.Door != want {
		t.Errorf("after an update: %+v, %v; want door %s", upd, err, want)
	}
	byExt, err := f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, "door-ext")
	if err != nil || byExt.Door != want {
		t.Errorf("by external id: %+v, %v", byExt, err)
	}
	bySeq, err := f.Store.FindConversationBySeq(f.ctx, f.tenant.ID, made.Seq)
	if err != nil || bySeq.Door != want {
		t.Errorf("by seq: %+v, %v", bySeq, err)
	}
	list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{UserID: "door-user"})
	if err != nil || len(list) != 1 || list[0].Door != want {
		t.Errorf("listed: %v, %v", list, err)
	}
	if remote {
		return // the client sends no door to refuse
	}
	for _, door := range []string{"a\nb", strings.Repeat("d", convstore.MaxDoorLen+1)} {
		_, _, err := f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{Door: door})
		wantCode(t, err, convstore.EINVALID, "door "+door)
	}
}

// checkSameConversation reports unless two reads of a conversation agree in
// every field.
func checkSameConversation(t testing.TB, what string, got, want *convstore.Conversation) {
	t.Helper()
	if got.ID != want.ID || got.Seq != want.Seq || got.TenantID != want.TenantID ||
		got.AgentID != want.AgentID || got.UserID != want.UserID || got.Title != want.Title || got.Door != want.Door ||
		!metadataEqual(got.Metadata, want.Metadata) || got.MessageCount != want.MessageCount ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func testCreateConversation(t *testing.T, f *fixture) {
	c := &convstore.ConversationCreate{
		AgentID:  "agent-1",
		UserID:   "user-1",
		Title:    "Hello",
		Metadata: convstore.Metadata{"channel": "web", "lang": "en"},
	}
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, c)
	if len(msgs) != 0 {
		t.Errorf("CreateConversation without messages returned %d messages", len(msgs))
	}
	if conv.ID.IsZero() || conv.Seq <= 0 || conv.TenantID != f.tenant.ID {
		t.Errorf("conversation %+v: want non-zero ID, positive Seq, tenant %s", conv, f.tenant.ID.UUID())
	}
	if conv.AgentID != c.AgentID || conv.UserID != c.UserID || conv.Title != c.Title || !metadataEqual(conv.Metadata, c.Metadata) {
		t.Errorf("conversation %+v does not carry the input %+v", conv, c)
	}
	if conv.MessageCount != 0 {
		t.Errorf("MessageCount = %d, want 0", conv.MessageCount)
	}
	checkRecent(t, "CreatedAt", conv.CreatedAt)
	checkRecent(t, "UpdatedAt", conv.UpdatedAt)
	if conv.UpdatedAt.Before(conv.CreatedAt) {
		t.Errorf("UpdatedAt %v before CreatedAt %v", conv.UpdatedAt, conv.CreatedAt)
	}

	got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID)
	checkSameConversation(t, "FindConversationByID after create", got, conv)
	bySeq, err := f.Store.FindConversationBySeq(f.ctx, f.tenant.ID, conv.Seq)
	if err != nil {
		t.Fatalf("FindConversationBySeq: %v", err)
	}
	checkSameConversation(t, "FindConversationBySeq after create", bySeq, conv)

	// An empty create is valid: every field is optional.
	empty, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	if empty.ID == conv.ID || empty.Seq == conv.Seq {
		t.Errorf("two conversations share an ID or Seq")
	}
}

func testCreateConversationWithMessages(t *testing.T, f *fixture) {
	batch := textMessages("initial", 3)
	batch[2].Role = convstore.RoleSystem
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "with messages", Messages: batch})
	if conv.MessageCount != 3 {
		t.Errorf("MessageCount = %d, want 3", conv.MessageCount)
	}
	for i, m := range msgs {
		if m.ID.IsZero() || m.ConversationID != conv.ID || m.Role != batch[i].Role || m.Content != batch[i].Content {
			t.Errorf("message %d = %+v, want role %q content %q in conversation %s", i, m, batch[i].Role, batch[i].Content, conv.ID.UUID())
		}
		if i > 0 && !msgs[i-1].ID.Less(m.ID) {
			t.Errorf("message IDs not increasing at %d", i)
		}
		checkRecent(t, "message CreatedAt", m.CreatedAt)
	}
	got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID)
	checkSameConversation(t, "FindConversationByID", got, conv)
	listed, more, err := f.Store.FindMessages(f.ctx, f.tenant.ID, conv.ID, convstore.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if more || len(listed) != 3 {
		t.Fatalf("FindMessages: %d messages, has_more %v; want 3, false", len(listed), more)
	}
	for i := range listed {
		if listed[i].ID != msgs[i].ID || listed[i].Content != msgs[i].Content {
			t.Errorf("FindMessages[%d] = %+v, want %+v", i, listed[i], msgs[i])
		}
	}
}

func testConversationSeq(t *testing.T, f *fixture) {
	seqs := map[int64]convstore.ID{}
	for i := 0; i < 30; i++ {
		conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
		if conv.Seq == 0 {
			t.Fatalf("conversation %d has Seq 0", i)
		}
		if prev, ok := seqs[conv.Seq]; ok {
			t.Fatalf("Seq %d given to %s and %s", conv.Seq, prev.UUID(), conv.ID.UUID())
		}
		seqs[conv.Seq] = conv.ID
	}
	for seq, id := range seqs {
		got, err := f.Store.FindConversationBySeq(f.ctx, f.tenant.ID, seq)
		if err != nil {
			t.Fatalf("FindConversationBySeq(%d): %v", seq, err)
		}
		if got.ID != id || got.Seq != seq {
			t.Errorf("FindConversationBySeq(%d) = %s, want %s", seq, got.ID.UUID(), id.UUID())
		}
	}
}

func testConversationValidation(t *testing.T, f *fixture) {
	tooMany := convstore.Metadata{}
	for i := 0; i <= convstore.MaxMetadataPairs; i++ {
		tooMany[fmt.Sprintf("k%d", i)] = "v"
	}
	long := strings.Repeat("t", convstore.MaxTitleLen+1)
	cases := []struct {
		what  string
		c     convstore.ConversationCreate
		field string
	}{
		{"too many metadata keys", convstore.ConversationCreate{Metadata: tooMany}, "metadata"},
		{"empty metadata key", convstore.ConversationCreate{Metadata: convstore.Metadata{"": "v"}}, "metadata"},
		{"title too long", convstore.ConversationCreate{Title: long}, "title"},
		{"title not UTF-8", convstore.ConversationCreate{Title: "\xff"}, "title"},
		{"agent_id too long", convstore.ConversationCreate{AgentID: strings.Repeat("a", convstore.MaxExternalLen+1)}, "agent_id"},
		{"user_id too long", convstore.ConversationCreate{UserID: strings.Repeat("u", convstore.MaxExternalLen+1)}, "user_id"},
		{"bad role in messages[0]", convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: "robot", Content: "hi"}}}, "messages[0].role"},
		{"empty messages[1]", convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}, {Role: convstore.RoleUser}}}, "messages[1].content"},
		{"too many messages", convstore.ConversationCreate{Messages: textMessages("m", convstore.MaxMessageBatch+1)}, "messages"},
	}
	for _, tc := range cases {
		conv, _, err := f.Store.CreateConversation(f.ctx, f.tenant.ID, &tc.c)
		wantInvalid(t, err, tc.field, "CreateConversation with "+tc.what)
		if conv != nil {
			t.Errorf("CreateConversation with %s returned a conversation with its error", tc.what)
		}
	}
	// The title may be exactly MaxTitleLen bytes.
	MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: long[1:]})
	list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Errorf("rejected creates left conversations: %d listed, want 1", len(list))
	}
	if rows := MustConversationRows(t, f.ctx, f.Harness, list[0].ID); sumCounts(rows) == 0 {
		t.Errorf("ConversationRows of an existing conversation is all zero: %v", rows)
	}
}

// updateUntilMoved applies u until UpdatedAt is later than prev, waiting for
// the engine's clock resolution, and returns the final conversation.
func updateUntilMoved(t *testing.T, f *fixture, id convstore.ID, prev time.Time, u *convstore.ConversationUpdate) *convstore.Conversation {
	t.Helper()
	for _, wait := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 1100 * time.Millisecond} {
		f.pass(wait)
		got, err := f.Store.UpdateConversation(f.ctx, f.tenant.ID, id, u)
		if err != nil {
			t.Fatalf("UpdateConversation: %v", err)
		}
		if got.UpdatedAt.Before(prev) {
			t.Fatalf("UpdatedAt went backwards: %v -> %v", prev, got.UpdatedAt)
		}
		if got.UpdatedAt.After(prev) {
			return got
		}
	}
	t.Fatalf("UpdatedAt did not move after updates over more than a second (stays %v)", prev)
	return nil
}

func testUpdateConversation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{
		AgentID: "agent", UserID: "user", Title: "old title", Metadata: convstore.Metadata{"a": "1", "b": "2"},
	})

	// Partial: only the title changes.
	title := "new title"
	got := updateUntilMoved(t, f, conv.ID, conv.UpdatedAt, &convstore.ConversationUpdate{Title: &title})
	want := *conv
	want.Title, want.UpdatedAt = title, got.UpdatedAt
	checkSameConversation(t, "after title update", got, &want)
	checkSameConversation(t, "FindConversationByID after title update", MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID), got)

	// Metadata is replaced as a whole; agent and user change.
	md := convstore.Metadata{"c": "3"}
	agent, user := "agent-2", ""
	got2 := updateUntilMoved(t, f, conv.ID, got.UpdatedAt, &convstore.ConversationUpdate{AgentID: &agent, UserID: &user, Metadata: &md})
	want = *got
	want.AgentID, want.UserID, want.Metadata, want.UpdatedAt = agent, user, md, got2.UpdatedAt
	checkSameConversation(t, "after metadata update", got2, &want)
	checkSameConversation(t, "FindConversationByID after metadata update", MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID), got2)

	// An empty map clears the metadata.
	empty := convstore.Metadata{}
	got3, err := f.Store.UpdateConversation(f.ctx, f.tenant.ID, conv.ID, &convstore.ConversationUpdate{Metadata: &empty})
	if err != nil {
		t.Fatal(err)
	}
	if len(got3.Metadata) != 0 || len(MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID).Metadata) != 0 {
		t.Errorf("metadata after replacing with an empty map: %v", got3.Metadata)
	}
	if !got3.CreatedAt.Equal(conv.CreatedAt) || got3.Seq != conv.Seq {
		t.Errorf("update changed CreatedAt or Seq: %+v, was %+v", got3, conv)
	}

	_, err = f.Store.UpdateConversation(f.ctx, f.tenant.ID, randomID(), &convstore.ConversationUpdate{Title: &title})
	wantCode(t, err, convstore.ENOTFOUND, "UpdateConversation of a missing conversation")
}

func testUpdateConversationValidation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "keep", Metadata: convstore.Metadata{"k": "v"}})
	long := strings.Repeat("t", convstore.MaxTitleLen+1)
	tooMany := convstore.Metadata{}
	for i := 0; i <= convstore.MaxMetadataPairs; i++ {
		tooMany[fmt.Sprintf("k%d", i)] = "v"
	}
	ok := "fine"
	longAgent := strings.Repeat("a", convstore.MaxExternalLen+1)
	cases := []struct {
		what  string
		u     convstore.ConversationUpdate
		field string
	}{
		{"long title", convstore.ConversationUpdate{Title: &long}, "title"},
		{"too many metadata keys", convstore.ConversationUpdate{Title: &ok, Metadata: &tooMany}, "metadata"},
		{"long agent_id", convstore.ConversationUpdate{Title: &ok, AgentID: &longAgent}, "agent_id"},
	}
	for _, tc := range cases {
		_, err := f.Store.UpdateConversation(f.ctx, f.tenant.ID, conv.ID, &tc.u)
		wantInvalid(t, err, tc.field, "UpdateConversation with "+tc.what)
	}
	checkSameConversation(t, "after rejected updates", MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID), conv)
}

func testFindMissingConversation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	_, err := f.Store.FindConversationByID(f.ctx, f.tenant.ID, randomID())
	wantCode(t, err, convstore.ENOTFOUND, "FindConversationByID of a random id")
	_, err = f.Store.FindConversationByID(f.ctx, f.tenant.ID, convstore.ID{})
	wantCode(t, err, convstore.ENOTFOUND, "FindConversationByID of the zero id")
	_, err = f.Store.FindConversationBySeq(f.ctx, f.tenant.ID, conv.Seq+1)
	wantCode(t, err, convstore.ENOTFOUND, "FindConversationBySeq of a missing seq")
	_, err = f.Store.FindConversationByID(f.ctx, randomID(), conv.ID)
	wantCode(t, err, convstore.ENOTFOUND, "FindConversationByID under a never-existing tenant")
}
