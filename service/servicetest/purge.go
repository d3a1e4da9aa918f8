package servicetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// RunPurge runs the tests of deletes answered at once and purged in the
// background, on services it opens over newDatabase's databases with
// purge options of its own (no background purger: each test runs Purge,
// or stops it mid-way as a crash would).
func RunPurge(t *testing.T, newDatabase NewDatabaseFunc) {
	runSealedCases(t, newDatabase, []sealedCase{
		{"InvisibleAtOnce", testPurgeInvisibleAtOnce},
		{"ResumesAfterCrash", testPurgeResumes},
		{"OtherWritesProceed", testPurgeInterleaves},
		{"RestoreWindowOff", testRestoreWindowOff},
		{"RestoreWithinWindow", testRestoreWithinWindow},
		{"RestoreWindowDeadline", testRestoreWindowDeadline},
		{"RestoreWindowErasure", testRestoreWindowErasure},
		{"RestoreWindowHold", testRestoreWindowHold},
		{"ErasureAcrossRotation", testErasureAcrossRotation},
	})
}

// purgeWorld is a conversation with messages, an artifact and
// attachments, and another of the same tenant that must be left alone.
type purgeWorld struct {
	tenant      *convstore.Tenant
	conv, other *convstore.Conversation
	msgs        []*convstore.Message
	art         *convstore.Artifact
}

func newPurgeWorld(t *testing.T, ctx context.Context, s convstore.Store, messages int) *purgeWorld {
	t.Helper()
	w := &purgeWorld{}
	w.tenant, _ = MustCreateTenant(t, ctx, s, uniqueName("tenant"))
	var batch []*convstore.MessageCreate
	for i := range messages {
		batch = append(batch, &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprintf("message %d", i)})
	}
	w.conv, w.msgs = MustCreateConversation(t, ctx, s, w.tenant.ID, &convstore.ConversationCreate{ExternalID: "ext-" + uniqueName("c"),
		UserID: "purged-user", Messages: batch})
	w.other, _ = MustCreateConversation(t, ctx, s, w.tenant.ID, &convstore.ConversationCreate{UserID: "purged-user",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "kept"}}})
	var err error
	w.art, err = s.CreateArtifact(ctx, w.tenant.ID, w.conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "topic"})
	if err != nil {
		t.Fatal(err)
	}
	MustPutAttachment(t, ctx, s, w.tenant.ID, w.conv.ID, "a.wav", []byte("recording"))
	MustPutAttachment(t, ctx, s, w.tenant.ID, w.conv.ID, "b.txt", []byte("notes"))
	MustPutAttachment(t, ctx, s, w.tenant.ID, w.other.ID, "kept.txt", []byte("kept"))
	return w
}

// A delete hides the conversation from every read before a single row is
// purged; the receipt counts what it held; the purge then removes every
// row and blob and stamps purged_at.
func testPurgeInvisibleAtOnce(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	w := newPurgeWorld(t, ctx, svc, 5)
	a, c := w.tenant.ID, w.conv.ID
	d := MustDeleteConversation(t, ctx, svc, a, c, operator)
	if d.Messages != 5 || d.Artifacts != 1 || d.Attachments != 2 || d.AttachmentBytes != int64(len("recording")+len("notes")) || d.PurgedAt != nil {
		t.Errorf("receipt = %+v, want 5 messages, 1 artifact, 2 attachments of 14 bytes, not purged yet", d)
	}
	if rows, err := db.ConversationRows(ctx, c); err != nil || rows["messages"] != 5 {
		t.Fatalf("before the purge: %v, %v; want the 5 messages still stored", rows, err)
	}
	missing := func(what string, err error) {
		t.Helper()
		if convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("%s of a deleted conversation: %v, want ENOTFOUND", what, err)
		}
	}
	_, err := svc.FindConversationByID(ctx, a, c)
	missing("FindConversationByID", err)
	_, err = svc.FindConversationBySeq(ctx, a, w.conv.Seq)
	missing("FindConversationBySeq", err)
	_, err = svc.FindConversationByExternalID(ctx, a, w.conv.ExternalID)
	missing("FindConversationByExternalID", err)
	_, err = svc.FindMessageByID(ctx, a, c, w.msgs[0].ID)
	missing("FindMessageByID", err)
	_, err = svc.FindArtifactByID(ctx, a, c, w.art.ID)
	missing("FindArtifactByID", err)
	_, err = svc.FindAttachmentByName(ctx, a, c, "a.wav")
	missing("FindAttachmentByName", err)
	_, _, err = svc.OpenAttachment(ctx, a, c, "a.wav")
	missing("OpenAttachment", err)
	_, err = svc.CreateMessages(ctx, a, c, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "late"}})
	missing("CreateMessages", err)
	if msgs, _, err := svc.FindMessages(ctx, a, c, convstore.MessageFilter{}); err == nil && len(msgs) > 0 {
		t.Errorf("FindMessages lists %d messages of a deleted conversation", len(msgs))
	}
	if arts, _, err := svc.FindArtifacts(ctx, a, c, convstore.ArtifactFilter{}); err == nil && len(arts) > 0 {
		t.Errorf("FindArtifacts lists %d artifacts of a deleted conversation", len(arts))
	}
	if atts, _, err := svc.FindAttachments(ctx, a, c, convstore.AttachmentFilter{}); err == nil && len(atts) > 0 {
		t.Errorf("FindAttachments lists %d attachments of a deleted conversation", len(atts))
	}
	for _, f := range []convstore.ConversationFilter{{}, {UserID: "purged-user"}} {
		list, _, err := svc.FindConversations(ctx, a, f)
		if err != nil || len(list) != 1 || list[0].ID != w.other.ID {
			t.Errorf("FindConversations(%+v) = %d conversations, %v; want only the other", f, len(list), err)
		}
		if n, err := svc.CountConversations(ctx, a, f); err != nil || n != 1 {
			t.Errorf("CountConversations(%+v) = %d, %v; want 1", f, n, err)
		}
		digests, _, err := svc.FindConversationDigests(ctx, a, f, convstore.DigestOptions{})
		if err != nil || len(digests) != 1 {
			t.Errorf("FindConversationDigests(%+v) = %d, %v; want the other only", f, len(digests), err)
		}
	}
	pages, err := svc.FindMessagePages(ctx, a, []convstore.MessageRange{{ConversationID: c}})
	if err == nil && len(pages) == 1 && len(pages[0].Messages) > 0 {
		t.Errorf("FindMessagePages returns %d messages of a deleted conversation", len(pages[0].Messages))
	}
	got, err := svc.FindDeletionByID(ctx, a, d.ID)
	if err != nil || got.PurgedAt != nil {
		t.Errorf("the receipt before the purge: %+v, %v", got, err)
	}
	if n, err := svc.PurgeBacklog(ctx); err != nil || n != 1 {
		t.Errorf("PurgeBacklog = %d, %v; want 1", n, err)
	}

	if n, err := svc.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 job", n, err)
	}
	if err := svc.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if rows := nonZero(MustConversationRows(t, ctx, &Harness{ConversationRows: db.ConversationRows}, c)); len(rows) != 0 {
		t.Errorf("rows after the purge: %v", rows)
	}
	if keys := MustBlobKeys(t, ctx, db.Blobs); len(keys) != 1 {
		t.Errorf("%d blobs after the purge, want the other conversation's one", len(keys))
	}
	got, err = svc.FindDeletionByID(ctx, a, d.ID)
	if err != nil || got.PurgedAt == nil || got.PurgedAt.Before(d.CreatedAt) {
		t.Errorf("the receipt after the purge: %+v, %v; want purged_at set", got, err)
	}
	if list, _, err := svc.FindDeletions(ctx, a, convstore.DeletionFilter{ConversationID: c}); err != nil || len(list) != 1 || list[0].PurgedAt == nil {
		t.Errorf("FindDeletions after the purge: %d, %v", len(list), err)
	}
	if n, err := svc.PurgeBacklog(ctx); err != nil || n != 0 {
		t.Errorf("PurgeBacklog after the purge = %d, %v", n, err)
	}
	if msgs, _, err := svc.FindMessages(ctx, a, w.other.ID, convstore.MessageFilter{}); err != nil || len(msgs) != 1 {
		t.Errorf("the other conversation: %d messages, %v", len(msgs), err)
	}
	if n, err := svc.Purge(ctx); err != nil || n != 0 {
		t.Errorf("a second Purge = %d, %v; want nothing left", n, err)
	}
}

var errCrash = errors.New("servicetest: purger killed")

// A purger that dies mid-way leaves its job leased: no other purger takes
// it while the lease runs, another resumes it once the lease ends, and
// every row is removed exactly once.
func testPurgeResumes(t *testing.T, db *Database) {
	ctx := testContext(t)
	clock := &Clock{}
	var firstRows atomic.Int64
	dying := OpenService(t, db, service.Options{Logger: Logger(t), Now: clock.Now, PurgeInterval: -1, PurgeBatch: 4,
		PurgeAfterBatch: func(rows int) error {
			firstRows.Add(int64(rows))
			return errCrash
		}})
	w := newPurgeWorld(t, ctx, dying, 10) // 13 rows: 2 attachments, 1 artifact, 10 messages
	d := MustDeleteConversation(t, ctx, dying, w.tenant.ID, w.conv.ID, operator)
	if _, err := dying.Purge(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("the dying purger: %v", err)
	}
	if firstRows.Load() != 4 {
		t.Fatalf("the dying purger removed %d rows, want one batch of 4", firstRows.Load())
	}
	var secondRows atomic.Int64
	resumer := OpenService(t, db, service.Options{Logger: Logger(t), Now: clock.Now, PurgeInterval: -1, PurgeBatch: 4,
		PurgeAfterBatch: func(rows int) error { secondRows.Add(int64(rows)); return nil }})
	if n, err := resumer.Purge(ctx); err != nil || n != 0 {
		t.Fatalf("Purge during the dead purger's lease = %d, %v; want nothing claimed", n, err)
	}
	clock.Advance(service.DefaultPurgeLease + time.Second)
	if n, err := resumer.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge after the lease ended = %d, %v; want the job finished", n, err)
	}
	// The last batch (Done) is not reported: it removed the remaining
	// rows and the conversation. Each row went once: 4 + what the
	// resumer's batches removed + the last batch = 13.
	if rows := nonZero(MustConversationRows(t, ctx, &Harness{ConversationRows: db.ConversationRows}, w.conv.ID)); len(rows) != 0 {
		t.Errorf("rows after the resumed purge: %v", rows)
	}
	if got := firstRows.Load() + secondRows.Load(); got > 13 || got < 13-4 {
		t.Errorf("batches removed %d rows before the last; want 9 to 13 of 13", got)
	}
	if err := resumer.WaitBlobRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	if keys := MustBlobKeys(t, ctx, db.Blobs); len(keys) != 1 {
		t.Errorf("%d blobs after the resumed purge, want 1", len(keys))
	}
	if got, err := resumer.FindDeletionByID(ctx, w.tenant.ID, d.ID); err != nil || got.PurgedAt == nil {
		t.Errorf("receipt after the resumed purge: %+v, %v", got, err)
	}
	// The dead purger, back, finds nothing to do and no job to renew.
	if n, err := dying.Purge(ctx); err != nil || n != 0 {
		t.Errorf("the first purger, back: %d, %v", n, err)
	}
}

// Appends and reads of other conversations proceed while a large
// conversation is purged in small batches.
func testPurgeInterleaves(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1, PurgeBatch: 50})
	w := newPurgeWorld(t, ctx, svc, 1000)
	MustDeleteConversation(t, ctx, svc, w.tenant.ID, w.conv.ID, operator)
	var wg sync.WaitGroup
	var purgeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, purgeErr = svc.Purge(ctx)
	}()
	const appends = 30
	for i := range appends {
		if _, err := svc.CreateMessages(ctx, w.tenant.ID, w.other.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: fmt.Sprint(i)}}); err != nil {
			t.Fatalf("append %d during the purge: %v", i, err)
		}
		if _, _, err := svc.FindMessages(ctx, w.tenant.ID, w.other.ID, convstore.MessageFilter{}); err != nil {
			t.Fatalf("read %d during the purge: %v", i, err)
		}
	}
	wg.Wait()
	if purgeErr != nil {
		t.Fatal(purgeErr)
	}
	other, err := svc.FindConversationByID(ctx, w.tenant.ID, w.other.ID)
	if err != nil || other.MessageCount != 1+appends {
		t.Errorf("the other conversation: %+v, %v; want %d messages", other, err, 1+appends)
	}
	if rows := nonZero(MustConversationRows(t, ctx, &Harness{ConversationRows: db.ConversationRows}, w.conv.ID)); len(rows) != 0 {
		t.Errorf("rows after the purge: %v", rows)
	}
}

// testContext is a context that ends with the test, bounded.
func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}
