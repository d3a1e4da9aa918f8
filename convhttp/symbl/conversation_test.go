package symbl_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/symbl"
)

func TestConversationAndMembers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, _ := f.create(t, f.env.KeyA, map[string]any{"name": "Standup", "messages": []any{
		map[string]any{"payload": map[string]any{"content": "a"}, "from": map[string]any{"name": "John", "userId": "john@example.com"}},
		map[string]any{"payload": map[string]any{"content": "b"}, "from": map[string]any{"name": "Mary"}},
		map[string]any{"payload": map[string]any{"content": "c"}, "from": map[string]any{"name": "Johnny", "userId": "john@example.com"}},
		map[string]any{"payload": map[string]any{"content": "d"}},
	}})
	conv := f.conv(t, f.env.TenantA, cid)
	if _, err := f.env.Store.UpdateConversation(context.Background(), f.env.TenantA, conv.ID,
		&convstore.ConversationUpdate{Metadata: &convstore.Metadata{"label": "Business", "symbl.baseTime": "x"}}); err != nil {
		t.Fatal(err)
	}
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	r := f.do("GET", "/v1/conversations/"+cid, f.env.Scoped[convstore.ScopeRead], nil)
	doortest.Expect(t, r, 200, "application/json")
	var got struct {
		ID, Type, Name, StartTime, EndTime string
		Members                            []map[string]string
		Metadata                           map[string]string
	}
	hasKeys(t, "conversation", r.Body, "id", "type", "name", "startTime", "endTime", "members", "metadata")
	r.JSON(t, &got)
	st, err1 := time.Parse(time.RFC3339, got.StartTime)
	_, err2 := time.Parse(time.RFC3339, got.EndTime)
	wantMembers := []map[string]string{
		{"id": decimal(msgs[0].ID), "name": "John", "email": "john@example.com"},
		{"id": decimal(msgs[1].ID), "name": "Mary"},
	}
	if got.ID != cid || got.Type != "meeting" || got.Name != "Standup" || err1 != nil || err2 != nil ||
		!st.Equal(conv.CreatedAt.Truncate(time.Millisecond)) || fmt.Sprint(got.Members) != fmt.Sprint(wantMembers) ||
		fmt.Sprint(got.Metadata) != "map[label:Business]" {
		t.Fatalf("conversation: %s", r.Body)
	}
	r = f.do("GET", "/v1/conversations/"+cid+"/members", f.env.KeyA, nil)
	doortest.Expect(t, r, 200, "application/json")
	var mem struct{ Members []map[string]string }
	r.JSON(t, &mem)
	if fmt.Sprint(mem.Members) != fmt.Sprint(wantMembers) {
		t.Fatalf("members: %s", r.Body)
	}

	// A nameless conversation is named by its id; members and metadata are never null.
	cid2, _ := f.create(t, f.env.KeyA, textBody("x"))
	r = f.do("GET", "/v1/conversations/"+cid2, f.env.KeyA, nil)
	if !bytes.Contains(r.Body, []byte(`"name":"`+cid2+`"`)) || !bytes.Contains(r.Body, []byte(`"members":[]`)) ||
		!bytes.Contains(r.Body, []byte(`"metadata":{}`)) {
		t.Fatalf("nameless: %s", r.Body)
	}
}

func TestListConversations(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	var ids []string
	for i := range 105 {
		c, _, err := f.env.Store.CreateConversation(ctx, f.env.TenantA, &convstore.ConversationCreate{Title: fmt.Sprint("c", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fmt.Sprint(c.Seq))
	}
	f.create(t, f.env.KeyB, textBody("other tenant"))
	list := func(q string) []string {
		t.Helper()
		r := f.do("GET", "/v1/conversations"+q, f.env.Scoped[convstore.ScopeRead], nil)
		doortest.Expect(t, r, 200, "application/json")
		var out struct{ Conversations []map[string]any }
		hasKeys(t, "list", r.Body, "conversations")
		r.JSON(t, &out)
		var got []string
		for _, c := range out.Conversations {
			hasKeys(t, "listed", c, "id", "type", "name", "startTime", "endTime", "members", "metadata")
			got = append(got, c["id"].(string))
		}
		return got
	}
	if got := list(""); fmt.Sprint(got) != fmt.Sprint(ids[:20]) {
		t.Fatalf("default page: %v", got)
	}
	if got := list("?limit=103&offset=1"); fmt.Sprint(got) != fmt.Sprint(ids[1:104]) {
		t.Fatalf("limit 103 offset 1: %d ids", len(got))
	}
	if got := list("?limit=65536&order=desc&sort=conversation.startTime"); len(got) != 105 || got[0] != ids[104] || got[104] != ids[0] {
		t.Fatalf("desc: %d ids", len(got))
	}
	if got := list("?limit=0"); len(got) != 0 {
		t.Fatalf("limit 0: %v", got)
	}
	old := time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if got := list("?endTime=" + old); len(got) != 0 {
		t.Fatalf("old window: %v", got)
	}
	if got := list("?startTime=2020-01-01&limit=200"); len(got) != 105 {
		t.Fatalf("date-only start: %d", len(got))
	}
	if got := list("?startTime=" + old + "&limit=200"); len(got) != 105 {
		t.Fatalf("wide window: %d", len(got))
	}
	for _, q := range []string{"?limit=-1", "?limit=65537", "?limit=x", "?offset=-1", "?offset=100001", "?order=up",
		"?sort=conversation.name", "?filter=conversation.name==x", "?startTime=yesterday", "?endTime=2021",
		"?startTime=2021-02-01T00:00:00Z&endTime=2021-01-01T00:00:00Z", "?limit=%zz"} {
		expectError(t, f.do("GET", "/v1/conversations"+q, f.env.KeyA, nil), 400, "")
	}
	expectError(t, f.do("GET", "/v1/conversations", "", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/conversations", "csk_wrongwrongwrongwrongwrong", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/conversations", f.env.Scoped[convstore.ScopeWrite], nil), 403, "")
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	cid, job := f.create(t, f.env.KeyA, textBody("a", "b"))
	r := f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, textBody("c"))
	doortest.Expect(t, r, 201, "application/json")
	var appended struct{ JobID string }
	r.JSON(t, &appended)
	conv := f.conv(t, f.env.TenantA, cid)
	for _, typ := range []convstore.ArtifactType{convstore.ArtifactTopic, convstore.ArtifactSummary} {
		if _, err := f.env.Store.CreateArtifact(ctx, f.env.TenantA, conv.ID, &convstore.ArtifactCreate{Type: typ, Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.env.Store.PutAttachment(ctx, f.env.TenantA, conv.ID, &convstore.AttachmentPut{Name: "call.wav", Body: strings.NewReader("wav!")}); err != nil {
		t.Fatal(err)
	}

	r = f.own.Do("DELETE", "/v1/conversations/"+cid, nil, append(bearer(f.env.Scoped[convstore.ScopeDelete]), "X-Request-Id", "erase-7")...)
	doortest.Expect(t, r, 200, "application/json")
	if string(r.Body) != `{"message":"successfully deleted the conversation"}`+"\n" {
		t.Fatalf("delete: %s", r.Body)
	}
	dels, _, err := f.env.Store.FindDeletions(ctx, f.env.TenantA, convstore.DeletionFilter{ConversationID: conv.ID})
	if err != nil || len(dels) != 1 {
		t.Fatalf("receipts: %v %v", dels, err)
	}
	d := dels[0]
	if d.Door != symbl.DoorName || d.Messages != 3 || d.Artifacts != 2 || d.Attachments != 1 || d.AttachmentBytes != 4 ||
		d.RequestID != r.Header.Get("X-Request-Id") || d.ConversationSeq != conv.Seq || d.ActorKeyID.IsZero() {
		t.Fatalf("receipt: %+v", d)
	}

	// Nothing is left, through the store and through the door.
	if _, err := f.env.Store.FindConversationByID(ctx, f.env.TenantA, conv.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("conversation: %v", err)
	}
	for _, id := range []string{job, appended.JobID} {
		mid, _ := convstore.ParseUUID(id)
		if _, err := f.env.Store.FindMessageByID(ctx, f.env.TenantA, convstore.ID{}, mid); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Fatalf("message: %v", err)
		}
		expectError(t, f.do("GET", "/v1/job/"+id, f.env.KeyA, nil), 404, msgJobNotFound)
	}
	if _, _, err := f.env.Store.FindArtifacts(ctx, f.env.TenantA, conv.ID, convstore.ArtifactFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("artifacts: %v", err)
	}
	if _, _, err := f.env.Store.FindAttachments(ctx, f.env.TenantA, conv.ID, convstore.AttachmentFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("attachments: %v", err)
	}
	for _, sub := range derived {
		expectError(t, f.do("GET", "/v1/conversations/"+cid+sub, f.env.KeyA, nil), 404, msgNotFound)
	}
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, textBody("late")), 404, msgNotFound)
	expectError(t, f.do("DELETE", "/v1/conversations/"+cid, f.env.KeyA, nil), 404, msgNotFound)
	r = f.do("GET", "/v1/conversations?limit=100", f.env.KeyA, nil)
	if string(r.Body) != `{"conversations":[]}`+"\n" {
		t.Fatalf("listed after delete: %s", r.Body)
	}
}

// TestDeleteKeepsTheClientsRequestIDApart deletes with an X-Request-Id
// equal to an earlier receipt's request id: the new receipt and audit
// entry carry a fresh server id, and the client's value apart.
func TestDeleteKeepsTheClientsRequestIDApart(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	del := func(clientID string) (*doortest.Response, *convstore.Deletion) {
		t.Helper()
		cid, _ := f.create(t, f.env.KeyA, textBody("hello"))
		conv := f.conv(t, f.env.TenantA, cid)
		hdr := bearer(f.env.KeyA)
		if clientID != "" {
			hdr = append(hdr, "X-Request-Id", clientID)
		}
		r := f.own.Do("DELETE", "/v1/conversations/"+cid, nil, hdr...)
		doortest.Expect(t, r, 200, "application/json")
		dels, _, err := f.env.Store.FindDeletions(ctx, f.env.TenantA, convstore.DeletionFilter{ConversationID: conv.ID})
		if err != nil || len(dels) != 1 {
			t.Fatalf("receipts of %s: %v, %v", cid, dels, err)
		}
		return r, dels[0]
	}
	_, first := del("")
	r, second := del(first.RequestID)
	if second.Door != symbl.DoorName || second.RequestID == first.RequestID || second.RequestID != r.Header.Get("X-Request-Id") ||
		second.ClientRequestID != first.RequestID {
		t.Fatalf("receipt of a delete sent with X-Request-Id %q: %+v", first.RequestID, second)
	}
	entries, _, err := f.env.Store.FindAuditEntries(ctx, f.env.TenantA, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Action == convstore.AuditConversationDelete && e.TargetID == second.ID {
			found = e.RequestID == second.RequestID && e.ClientRequestID == first.RequestID && e.Door == symbl.DoorName
		}
	}
	if !found {
		t.Fatalf("no audit entry of the second delete with the server's and the client's request ids")
	}
}
