package servicetest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var deletionTests = []subtest{
	{"Cascade", testCascadeDelete},
	{"EmptyConversationByOperator", testDeleteEmptyConversation},
	{"FindDeletionMissing", testFindDeletionMissing},
	{"AuditFilters", testAuditFilters},
}

// testAuditFilters: the audit log is filtered in the store, by action or
// family, conversation, target, door, actor and time, paged by cursor;
// a bad filter is EINVALID.
func testAuditFilters(t *testing.T, f *fixture) {
	c1, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "a"}, {Role: convstore.RoleUser, Content: "b"}}})
	c2, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	// Time bounds in whole hours around now: the native API's are whole
	// seconds.
	past, later := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	symbl := convstore.DeleteParams{Door: "symbl", ActorKeyID: f.key.ID}
	for _, m := range msgs {
		if err := f.Store.DeleteMessage(f.ctx, f.tenant.ID, c1.ID, m.ID, symbl); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, c2.ID, convstore.DeleteParams{Door: "native"}); err != nil {
		t.Fatal(err)
	}
	all := func(af convstore.AuditFilter) []*convstore.AuditEntry {
		t.Helper()
		af.Limit = 1
		var out []*convstore.AuditEntry
		for range 20 {
			list, more, err := f.Store.FindAuditEntries(f.ctx, f.tenant.ID, af)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, list...)
			if !more {
				return out
			}
			af.After = list[len(list)-1].ID
		}
		t.Fatal("more than 20 pages")
		return nil
	}
	total := len(all(convstore.AuditFilter{}))
	// The door recorded: the one given, or over HTTP the native door,
	// through which the client deletes.
	door := all(convstore.AuditFilter{TargetID: msgs[0].ID})[0].Door
	for _, c := range []struct {
		name string
		f    convstore.AuditFilter
		want int
	}{
		{"action", convstore.AuditFilter{Action: convstore.AuditMessageDelete}, 2},
		{"family", convstore.AuditFilter{Action: "conversation."}, 1},
		{"conversation", convstore.AuditFilter{ConversationID: c1.ID}, 2},
		{"target", convstore.AuditFilter{TargetID: msgs[1].ID}, 1},
		{"door", convstore.AuditFilter{Door: door, Action: "message."}, 2},
		{"actor", convstore.AuditFilter{ActorKeyID: f.key.ID, Action: "message."}, 2},
		{"since", convstore.AuditFilter{CreatedAfter: &past}, total},
		{"within", convstore.AuditFilter{CreatedAfter: &past, CreatedBefore: &later, ConversationID: c1.ID}, 2},
		{"until", convstore.AuditFilter{CreatedBefore: &past}, 0},
		{"future", convstore.AuditFilter{CreatedAfter: &later}, 0},
	} {
		got := all(c.f)
		if len(got) != c.want {
			t.Errorf("%s: %d entries, want %d", c.name, len(got), c.want)
		}
		for i := 1; i < len(got); i++ {
			if bytes.Compare(got[i-1].ID[:], got[i].ID[:]) <= 0 {
				t.Errorf("%s: not newest first", c.name)
			}
		}
	}
	for _, bad := range []convstore.AuditFilter{{Action: strings.Repeat("a", convstore.MaxAuditActionLen+1)}, {Door: "a\nb"}} {
		_, _, err := f.Store.FindAuditEntries(f.ctx, f.tenant.ID, bad)
		wantCode(t, err, convstore.EINVALID, "a bad audit filter")
	}
}

// convState is everything readable about one conversation, for comparing
// before and after operations that must not touch it.
type convState struct {
	Conversation *convstore.Conversation
	Messages     []*convstore.Message
	Artifacts    []*convstore.Artifact
	Attachments  []*convstore.Attachment
	Bytes        map[string][]byte
}

// mustConvState reads a conversation's whole state.
func mustConvState(t testing.TB, ctx context.Context, s convstore.Store, tenantID, id convstore.ID) *convState {
	t.Helper()
	st := &convState{Conversation: MustFindConversation(t, ctx, s, tenantID, id), Bytes: map[string][]byte{}}
	st.Messages = mustListAll(t, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Message, bool, error) {
		return s.FindMessages(ctx, tenantID, id, convstore.MessageFilter{PageFilter: p})
	}, msgID, convstore.OrderAsc)
	st.Artifacts = mustListAll(t, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Artifact, bool, error) {
		return s.FindArtifacts(ctx, tenantID, id, convstore.ArtifactFilter{PageFilter: p})
	}, artID, convstore.OrderAsc)
	st.Attachments = mustListAll(t, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Attachment, bool, error) {
		return s.FindAttachments(ctx, tenantID, id, convstore.AttachmentFilter{PageFilter: p})
	}, func(a *convstore.Attachment) convstore.ID { return a.ID }, convstore.OrderAsc)
	for _, a := range st.Attachments {
		_, b := MustReadAttachment(t, ctx, s, tenantID, id, a.Name)
		st.Bytes[a.Name] = b
	}
	return st
}

func testCascadeDelete(t *testing.T, f *fixture) {
	tag := uniqueName("")
	title, msgText, artText, metaVal := "Secret title "+tag, "confidential message "+tag, "confidential artifact "+tag, "meta value "+tag
	bodyA, bodyB := randomBytes(t, 1000), []byte("attachment text "+tag)

	// The conversation to delete: 6 messages (one of 7 deleted first), 3
	// artifacts, 2 attachments.
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{
		Title: title, Metadata: convstore.Metadata{"k": metaVal}, Messages: textMessages(msgText, 4),
	})
	msgs = append(msgs, MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, conv.ID, textMessages(msgText, 3))...)
	if err := f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv.ID, msgs[0].ID, f.params); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []convstore.ArtifactType{convstore.ArtifactSummary, convstore.ArtifactTopic, convstore.ArtifactInsight} {
		MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: typ, Text: artText, MessageIDs: []convstore.ID{msgs[1].ID}})
	}
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "a.bin", bodyA)
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "b.txt", bodyB)

	// A conversation that must stay untouched, and an earlier deletion.
	other, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "other", Messages: textMessages("other", 3)})
	MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, other.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "other"})
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, other.ID, "a.bin", []byte("other conversation's bytes"))
	earlierConv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	earlier := MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, earlierConv.ID, f.params)

	otherBefore := snapshot(t, mustConvState(t, f.ctx, f.Store, f.tenant.ID, other.ID))
	otherRowsBefore := MustConversationRows(t, f.ctx, f.Harness, other.ID)
	rowsBefore := MustRowCounts(t, f.ctx, f.Harness)
	convRows := MustConversationRows(t, f.ctx, f.Harness, conv.ID)
	blobsBefore := MustBlobKeys(t, f.ctx, f.Blobs)
	if n := sumCounts(convRows); n < 1+6+3+2 {
		t.Fatalf("ConversationRows before delete sums to %d (%v), want at least the conversation, 6 messages, 3 artifacts and 2 attachments", n, convRows)
	}

	d := MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID, f.params)

	// The receipt.
	if d.ID.IsZero() || d.TenantID != f.tenant.ID || d.ConversationID != conv.ID || d.ConversationSeq != conv.Seq ||
		!f.recordsActor(f.params, d.ActorKeyID, d.Door, d.RequestID, d.ClientRequestID) {
		t.Errorf("receipt %+v: want tenant %s, conversation %s seq %d, actor %s",
			d, f.tenant.ID.UUID(), conv.ID.UUID(), conv.Seq, f.describeActor(f.params))
	}
	if d.Messages != 6 || d.Artifacts != 3 || d.Attachments != 2 || d.AttachmentBytes != int64(len(bodyA)+len(bodyB)) {
		t.Errorf("receipt counts: %d messages, %d artifacts, %d attachments, %d bytes; want 6, 3, 2, %d",
			d.Messages, d.Artifacts, d.Attachments, d.AttachmentBytes, len(bodyA)+len(bodyB))
	}
	checkRecent(t, "receipt CreatedAt", d.CreatedAt)
	got, err := f.Store.FindDeletionByID(f.ctx, f.tenant.ID, d.ID)
	if err != nil {
		t.Fatalf("FindDeletionByID: %v", err)
	}
	if got.ID != d.ID || !got.CreatedAt.Equal(d.CreatedAt) || snapshot(t, inUTC(got)) != snapshot(t, inUTC(d)) {
		t.Errorf("FindDeletionByID:\n got  %+v\n want %+v", got, d)
	}
	list, _, err := f.Store.FindDeletions(f.ctx, f.tenant.ID, convstore.DeletionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := idsOf(list, deletionID); len(ids) != 2 || ids[0] != d.ID || ids[1] != earlier.ID {
		t.Errorf("FindDeletions: %s, want newest first %s", fmtIDs(ids), fmtIDs([]convstore.ID{d.ID, earlier.ID}))
	}
	byConv, _, err := f.Store.FindDeletions(f.ctx, f.tenant.ID, convstore.DeletionFilter{ConversationID: conv.ID})
	if err != nil {
		t.Fatal(err)
	}
	if ids := idsOf(byConv, deletionID); len(ids) != 1 || ids[0] != d.ID {
		t.Errorf("FindDeletions by conversation: %s, want %s", fmtIDs(ids), fmtIDs([]convstore.ID{d.ID}))
	}
	audit := checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditConversationDelete, conv.ID, d.ID, f.params)
	if audit != nil && audit.RequestID != d.RequestID {
		t.Errorf("audit entry request id %q, receipt's %q: one delete, one request", audit.RequestID, d.RequestID)
	}
	if len(findAudit(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID), convstore.AuditMessageDelete, msgs[0].ID)) != 1 {
		t.Errorf("the earlier message.delete audit entry did not survive the conversation delete")
	}
	content := []string{title, msgText, artText, metaVal, string(bodyB)}
	checkNoContent(t, "receipt", d, content...)
	checkNoContent(t, "receipt read back", got, content...)
	checkNoContent(t, "conversation.delete audit entry", audit, content...)

	// Rows: the conversation's rows are gone, one receipt, one audit
	// entry and two events (conversation.deleted, and conversation.purged:
	// the harness purges before it counts) were added, and nothing else
	// changed.
	if rows := nonZero(MustConversationRows(t, f.ctx, f.Harness, conv.ID)); len(rows) != 0 {
		t.Errorf("ConversationRows after delete: %v, want all zero", rows)
	}
	rowsAfter := MustRowCounts(t, f.ctx, f.Harness)
	added := 0
	for table := range unionKeys(rowsBefore, rowsAfter, convRows) {
		delta := rowsAfter[table] - rowsBefore[table] + convRows[table]
		if delta < 0 {
			t.Errorf("table %s: %d rows before, %d after, %d of the conversation: %d more rows removed than the conversation had", table, rowsBefore[table], rowsAfter[table], convRows[table], -delta)
		}
		added += delta
	}
	if added != 4 {
		t.Errorf("row counts before %v, after %v, conversation's %v: %d rows added, want 4 (one receipt, one audit entry, two events)", rowsBefore, rowsAfter, convRows, added)
	}

	// Blobs: exactly the two attachments' bytes are gone.
	blobsAfter := MustBlobKeys(t, f.ctx, f.Blobs)
	if len(blobsAfter) != len(blobsBefore)-2 {
		t.Errorf("blob keys: %d before, %d after, want 2 fewer", len(blobsBefore), len(blobsAfter))
	}
	for _, b := range MustBlobContents(t, f.ctx, f.Blobs) {
		if bytes.Equal(b, bodyA) || bytes.Equal(b, bodyB) {
			t.Errorf("a deleted attachment's bytes are still in the blob store")
		}
	}

	// The other conversation is untouched.
	if after := snapshot(t, mustConvState(t, f.ctx, f.Store, f.tenant.ID, other.ID)); after != otherBefore {
		t.Errorf("the other conversation changed:\n before %s\n after  %s", otherBefore, after)
	}
	if rows := MustConversationRows(t, f.ctx, f.Harness, other.ID); snapshot(t, rows) != snapshot(t, otherRowsBefore) {
		t.Errorf("the other conversation's rows changed: %v -> %v", otherRowsBefore, rows)
	}

	checkGone(t, f, conv, msgs[1].ID, "a.bin")

	_, err = f.Store.DeleteConversation(f.ctx, f.tenant.ID, conv.ID, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "second DeleteConversation")
	byConv, _, err = f.Store.FindDeletions(f.ctx, f.tenant.ID, convstore.DeletionFilter{ConversationID: conv.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(byConv) != 1 {
		t.Errorf("%d receipts after a second delete, want 1", len(byConv))
	}
	if n := len(findAudit(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID), convstore.AuditConversationDelete, d.ID)); n != 1 {
		t.Errorf("%d conversation.delete audit entries after a second delete, want 1", n)
	}
}

func deletionID(d *convstore.Deletion) convstore.ID { return d.ID }

// inUTC returns a copy of d with CreatedAt in UTC, so that two reads of the
// same instant render alike (CreatedAt is compared separately with Equal).
func inUTC(d *convstore.Deletion) convstore.Deletion {
	c := *d
	c.CreatedAt = c.CreatedAt.UTC()
	return c
}

func unionKeys(maps ...map[string]int) map[string]bool {
	out := map[string]bool{}
	for _, m := range maps {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// checkGone checks that every read of a deleted conversation and its
// children, and every write to it, is ENOTFOUND, leaving no rows or blobs.
func checkGone(t *testing.T, f *fixture, conv *convstore.Conversation, msgID convstore.ID, attachment string) {
	t.Helper()
	ctx, s, ten, id := f.ctx, f.Store, f.tenant.ID, conv.ID
	blobs := len(MustBlobKeys(t, ctx, f.Blobs))
	title := "resurrected"
	errs := map[string]error{}
	_, errs["FindConversationByID"] = s.FindConversationByID(ctx, ten, id)
	_, errs["FindConversationBySeq"] = s.FindConversationBySeq(ctx, ten, conv.Seq)
	_, errs["UpdateConversation"] = s.UpdateConversation(ctx, ten, id, &convstore.ConversationUpdate{Title: &title})
	_, _, errs["FindMessages"] = s.FindMessages(ctx, ten, id, convstore.MessageFilter{})
	_, errs["FindMessageByID"] = s.FindMessageByID(ctx, ten, id, msgID)
	_, errs["CreateMessages"] = s.CreateMessages(ctx, ten, id, textMessages("late", 2))
	errs["DeleteMessage"] = s.DeleteMessage(ctx, ten, id, msgID, f.params)
	_, _, errs["FindArtifacts"] = s.FindArtifacts(ctx, ten, id, convstore.ArtifactFilter{})
	_, errs["CreateArtifact"] = s.CreateArtifact(ctx, ten, id, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "late"})
	_, _, errs["FindAttachments"] = s.FindAttachments(ctx, ten, id, convstore.AttachmentFilter{})
	_, errs["FindAttachmentByName"] = s.FindAttachmentByName(ctx, ten, id, attachment)
	var rc io.ReadCloser
	_, rc, errs["OpenAttachment"] = s.OpenAttachment(ctx, ten, id, attachment)
	if rc != nil {
		rc.Close()
	}
	_, errs["PutAttachment"] = s.PutAttachment(ctx, ten, id, &convstore.AttachmentPut{Name: "late.txt", Body: strings.NewReader("late bytes")})
	_, errs["PutAttachment (old name)"] = s.PutAttachment(ctx, ten, id, &convstore.AttachmentPut{Name: attachment, Body: strings.NewReader("late bytes")})
	errs["DeleteAttachment"] = s.DeleteAttachment(ctx, ten, id, attachment, f.params)
	for what, err := range errs {
		checkCode(t, err, convstore.ENOTFOUND, what+" of a deleted conversation")
	}
	if rows := nonZero(MustConversationRows(t, ctx, f.Harness, id)); len(rows) != 0 {
		t.Errorf("writes to a deleted conversation left rows: %v", rows)
	}
	if n := len(MustBlobKeys(t, ctx, f.Blobs)); n != blobs {
		t.Errorf("writes to a deleted conversation left blobs: %d keys, want %d", n, blobs)
	}
	convs := mustListAll(t, ctx, conversationLister(f, convstore.ConversationFilter{}), convID, convstore.OrderAsc)
	for _, c := range convs {
		if c.ID == id {
			t.Errorf("FindConversations still lists the deleted conversation")
		}
	}
}

func testDeleteEmptyConversation(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "empty"})
	p := convstore.DeleteParams{Door: "cli"} // an operator: no key, no request id
	d := MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID, p)
	if d.ConversationID != conv.ID || d.ConversationSeq != conv.Seq || !d.ActorKeyID.IsZero() || d.Door != "cli" || d.RequestID != "" ||
		d.Messages != 0 || d.Artifacts != 0 || d.Attachments != 0 || d.AttachmentBytes != 0 {
		t.Errorf("receipt %+v: want conversation %s seq %d by an operator via cli with zero counts", d, conv.ID.UUID(), conv.Seq)
	}
	checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditConversationDelete, conv.ID, d.ID, p)
	if rows := nonZero(MustConversationRows(t, f.ctx, f.Harness, conv.ID)); len(rows) != 0 {
		t.Errorf("ConversationRows after delete: %v, want all zero", rows)
	}
	checkGone(t, f, conv, randomID(), "none.txt")
}

func testFindDeletionMissing(t *testing.T, f *fixture) {
	_, err := f.Store.FindDeletionByID(f.ctx, f.tenant.ID, randomID())
	wantCode(t, err, convstore.ENOTFOUND, "FindDeletionByID of a random id")
	list, more, err := f.Store.FindDeletions(f.ctx, f.tenant.ID, convstore.DeletionFilter{})
	if err != nil || len(list) != 0 || more {
		t.Errorf("FindDeletions of a fresh tenant: %d receipts, has_more %v, err %v; want none", len(list), more, err)
	}
	entries, more, err := f.Store.FindAuditEntries(f.ctx, f.tenant.ID, convstore.AuditFilter{})
	if err != nil || len(entries) != 2 || more {
		t.Fatalf("FindAuditEntries of a fresh tenant: %d entries, has_more %v, err %v; want its creation's two", len(entries), more, err)
	}
	for _, e := range entries {
		if e.Action != convstore.AuditTenantCreate && e.Action != convstore.AuditKeyCreate {
			t.Errorf("a fresh tenant's audit log holds %q, want only %q and %q", e.Action, convstore.AuditTenantCreate, convstore.AuditKeyCreate)
		}
	}
}
