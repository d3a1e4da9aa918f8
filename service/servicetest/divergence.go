package servicetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

// Each test here pins a rule the engines once implemented differently
// (issue 9): it fails on the engine that got it wrong.
var divergenceTests = []subtest{
	{"UnknownTenant", testUnknownTenant},
	{"NilInputs", testNilInputs},
	{"NULRefused", testNULRefused},
	{"ActorText", testActorText},
	{"UpdatedAtNeverMovesBack", testUpdatedAtMonotonic},
	{"DeleteQueuesBlobRemovals", testDeleteQueuesRemovals},
	{"SeqFilter", testSeqFilter},
}

// A conversation cannot be created under a tenant that does not exist
// (SQLite had no foreign key to tenants and stored it).
func testUnknownTenant(t *testing.T, f *fixture) {
	before := MustRowCounts(t, f.ctx, f.Harness)
	_, _, err := f.Store.CreateConversation(f.ctx, randomID(), &convstore.ConversationCreate{Title: "orphan", Messages: textMessages("m", 2)})
	wantCode(t, err, convstore.ENOTFOUND, "CreateConversation under a missing tenant")
	if after := MustRowCounts(t, f.ctx, f.Harness); sumCounts(after) != sumCounts(before) {
		t.Errorf("rows %v after the refused create, want %v", nonZero(after), nonZero(before))
	}
	_, err = f.Store.CreateKey(f.ctx, randomID(), &convstore.KeyCreate{Name: "k", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "CreateKey under a missing tenant")
}

// Missing inputs are EINVALID, never a panic (PostgreSQL panicked on a nil
// create or update; SQLite took a nil update for an empty one).
func testNilInputs(t *testing.T, f *fixture) {
	f.skipLegacy(t, "nil inputs panic")
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	calls := map[string]func() error{
		"CreateConversation": func() error { _, _, err := f.Store.CreateConversation(f.ctx, f.tenant.ID, nil); return err },
		"UpdateConversation": func() error { _, err := f.Store.UpdateConversation(f.ctx, f.tenant.ID, conv.ID, nil); return err },
		"CreateArtifact":     func() error { _, err := f.Store.CreateArtifact(f.ctx, f.tenant.ID, conv.ID, nil); return err },
		"PutAttachment":      func() error { _, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, nil); return err },
		"CreateKey":          func() error { _, err := f.Store.CreateKey(f.ctx, f.tenant.ID, nil, f.params); return err },
	}
	for name, call := range calls {
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = errors.New("panic")
				}
			}()
			return call()
		}()
		wantInvalid(t, err, "body", name+"(nil)")
	}
	if got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); !got.UpdatedAt.Equal(conv.UpdatedAt) {
		t.Errorf("a nil update changed updated_at: %v -> %v", conv.UpdatedAt, got.UpdatedAt)
	}
}

// NUL (and other control characters) in text is refused by the domain's
// validation, with the field named, on every engine and path (only
// PostgreSQL refused it, because its text type cannot hold it).
func testNULRefused(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	before := MustRowCounts(t, f.ctx, f.Harness)
	nul := "a\x00b"
	msg := func(content, author string) []*convstore.MessageCreate {
		return []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "ok"}, {Role: convstore.RoleUser, Content: content, AuthorName: author}}
	}
	cases := []struct {
		what, field string
		err         error
	}{
		{"initial message content", "messages[1].content", second(f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{Messages: msg(nul, "")}))},
		{"initial message author", "messages[1].author_name", second(f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{Messages: msg("x", nul)}))},
		{"appended content", "messages[1].content", errOf(f.Store.CreateMessages(f.ctx, f.tenant.ID, conv.ID, msg(nul, "")))},
		{"appended author", "messages[1].author_name", errOf(f.Store.CreateMessages(f.ctx, f.tenant.ID, conv.ID, msg("x", nul)))},
		{"title", "title", second(f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{Title: nul}))},
		{"metadata", "metadata", second(f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{Metadata: convstore.Metadata{"k": nul}}))},
		{"artifact text", "text", errOf(f.Store.CreateArtifact(f.ctx, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: nul}))},
		{"updated title", "title", errOf(f.Store.UpdateConversation(f.ctx, f.tenant.ID, conv.ID, &convstore.ConversationUpdate{Title: &nul}))},
		{"key name", "name", errOf(f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: nul, Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params))},
		{"tenant name", "name", second(f.Store.CreateTenant(f.ctx, nul, operator))},
	}
	for _, c := range cases {
		wantInvalid(t, c.err, c.field, c.what+" with NUL")
	}
	if after := MustRowCounts(t, f.ctx, f.Harness); sumCounts(after) != sumCounts(before) {
		t.Errorf("rows %v after refused writes, want %v", nonZero(after), nonZero(before))
	}
}

func errOf[T any](_ T, err error) error { return err }

func second[A, B any](_ A, _ B, err error) error { return err }

// Who acts (door, request ids) is single-line text in every receipt and
// audit entry: a control character in it is refused before anything is
// deleted.
func testActorText(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("m", 1)})
	bad := []convstore.DeleteParams{
		{Door: "native\x00"},
		{Door: "native", RequestID: "req\x00"},
		{Door: "native", ClientRequestID: "client\x00"},
	}
	if f.Legacy == "" {
		// PostgreSQL refused only NUL; an escape sequence reached receipts.
		bad = append(bad, convstore.DeleteParams{Door: "native", ClientRequestID: "\x1b[2J"})
	}
	for _, p := range bad {
		_, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, conv.ID, p)
		if convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("DeleteConversation with actor %q: %v, want EINVALID", p, err)
		}
	}
	MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID)
}

// updated_at never moves back, whatever a node's clock says (only
// PostgreSQL kept the later of the two).
func testUpdatedAtMonotonic(t *testing.T, f *fixture) {
	clock := f.needClock(t)
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	clock.Advance(-time.Hour)
	defer clock.Advance(time.Hour)
	title := "later, by a clock that lags"
	got, err := f.Store.UpdateConversation(f.ctx, f.tenant.ID, conv.ID, &convstore.ConversationUpdate{Title: &title})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != title || !got.UpdatedAt.Equal(conv.UpdatedAt) {
		t.Errorf("update by a lagging clock: title %q, updated_at %v; want updated_at kept at %v", got.Title, got.UpdatedAt, conv.UpdatedAt)
	}
	MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, conv.ID, textMessages("m", 1))
	if got := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); !got.UpdatedAt.Equal(conv.UpdatedAt) {
		t.Errorf("append by a lagging clock moved updated_at to %v", got.UpdatedAt)
	}
}

// failingBlobs is a blob store whose Delete fails while fail is set.
type failingBlobs struct {
	convstore.BlobStore
	fail atomic.Bool
}

func (b *failingBlobs) Delete(ctx context.Context, key string) error {
	if b.fail.Load() {
		return errors.New("servicetest: blob store refuses to delete")
	}
	return b.BlobStore.Delete(ctx, key)
}

// What the suite needs of a store's blob removal beyond convstore.Store;
// both engines have it.
type blobRemover interface {
	WaitBlobRemovals(ctx context.Context) error
	BlobRemovalQueue(ctx context.Context) (due, total int64, err error)
	SweepBlobs(ctx context.Context) (int, error)
}

// The deletes of a conversation, an attachment and a replaced attachment
// queue their bytes' removal in their own transaction: when the removal
// right after the commit fails, the bytes stay queued and a sweep removes
// them later.
func testDeleteQueuesRemovals(t *testing.T, f *fixture) {
	var blobs *failingBlobs
	store := f.NewStore(t, StoreOptions{WrapBlobs: func(inner convstore.BlobStore) convstore.BlobStore {
		blobs = &failingBlobs{BlobStore: inner}
		return blobs
	}})
	rm, ok := store.(blobRemover)
	if !ok {
		t.Fatalf("%T has no WaitBlobRemovals, BlobRemovalQueue and SweepBlobs", store)
	}
	tenant, _ := MustCreateTenant(t, f.ctx, store, uniqueName("tenant"))
	conv, _ := MustCreateConversation(t, f.ctx, store, tenant.ID, nil)
	other, _ := MustCreateConversation(t, f.ctx, store, tenant.ID, nil)
	MustPutAttachment(t, f.ctx, store, tenant.ID, conv.ID, "a.wav", []byte("first recording"))
	MustPutAttachment(t, f.ctx, store, tenant.ID, conv.ID, "b.txt", []byte("notes"))
	MustPutAttachment(t, f.ctx, store, tenant.ID, other.ID, "c.txt", []byte("replaced"))
	MustPutAttachment(t, f.ctx, store, tenant.ID, other.ID, "d.txt", []byte("deleted"))
	kept := MustPutAttachment(t, f.ctx, store, tenant.ID, other.ID, "e.txt", []byte("kept"))

	blobs.fail.Store(true)
	d := MustDeleteConversation(t, f.ctx, store, tenant.ID, conv.ID, operator)
	if d.Attachments != 2 {
		t.Fatalf("receipt counts %d attachments, want 2", d.Attachments)
	}
	MustPutAttachment(t, f.ctx, store, tenant.ID, other.ID, "c.txt", []byte("the new bytes"))
	if err := store.DeleteAttachment(f.ctx, tenant.ID, other.ID, "d.txt", operator); err != nil {
		t.Fatal(err)
	}
	if err := rm.WaitBlobRemovals(f.ctx); err != nil {
		t.Fatal(err)
	}
	due, total, err := rm.BlobRemovalQueue(f.ctx)
	if err != nil || due != 4 || total != 4 {
		t.Errorf("after failed removals: %d due of %d queued, %v; want 4 of 4", due, total, err)
	}
	if n := len(MustBlobKeys(t, f.ctx, blobs.BlobStore)); n != 6 {
		t.Errorf("%d blobs while removals fail, want 6 (none removed)", n)
	}

	blobs.fail.Store(false)
	if n, err := rm.SweepBlobs(f.ctx); err != nil || n != 4 {
		t.Errorf("SweepBlobs = %d, %v; want the 4 queued", n, err)
	}
	contents := MustBlobContents(t, f.ctx, blobs.BlobStore)
	if len(contents) != 2 {
		t.Errorf("%d blobs after the sweep, want the kept and the new one", len(contents))
	}
	for _, c := range contents {
		if !SameBlob(c, []byte("kept")) && !SameBlob(c, []byte("the new bytes")) {
			t.Errorf("blob %q survived its delete", c)
		}
	}
	if due, total, err := rm.BlobRemovalQueue(f.ctx); err != nil || due != 0 || total != 0 {
		t.Errorf("queue after the sweep: %d due of %d, %v; want empty", due, total, err)
	}
	MustReadAttachment(t, f.ctx, store, tenant.ID, other.ID, kept.Name)
}

// ConversationFilter.Seq selects the conversation with that number, of
// the tenant only, in lists and counts alike.
func testSeqFilter(t *testing.T, f *fixture) {
	var convs []*convstore.Conversation
	for range 3 {
		c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
		convs = append(convs, c)
	}
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	foreign, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, nil)
	for _, c := range []struct {
		what string
		seq  int64
		want []convstore.ID
	}{
		{"its own", convs[1].Seq, []convstore.ID{convs[1].ID}},
		{"another tenant's", foreign.Seq, nil},
	} {
		filter := convstore.ConversationFilter{Seq: c.seq}
		list, more, err := f.Store.FindConversations(f.ctx, f.tenant.ID, filter)
		if err != nil || more || len(list) != len(c.want) || len(list) == 1 && list[0].ID != c.want[0] {
			t.Errorf("FindConversations by %s number: %d conversations, more %v, %v; want %v", c.what, len(list), more, err, c.want)
		}
		n, err := f.Store.CountConversations(f.ctx, f.tenant.ID, filter)
		if err != nil || n != len(c.want) {
			t.Errorf("CountConversations by %s number = %d, %v; want %d", c.what, n, err, len(c.want))
		}
	}
	_, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{Seq: -1})
	wantInvalid(t, err, "seq", "a negative seq")
	// A range keeps the tenant's numbers within it, never another's.
	lo, hi := min(convs[0].Seq, convs[1].Seq, convs[2].Seq, foreign.Seq), max(convs[0].Seq, convs[1].Seq, convs[2].Seq, foreign.Seq)
	filter := convstore.ConversationFilter{Seq: lo, SeqMax: hi}
	if n, err := f.Store.CountConversations(f.ctx, f.tenant.ID, filter); err != nil || n != 3 {
		t.Errorf("CountConversations by a number range = %d, %v; want 3", n, err)
	}
	if list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{Seq: convs[1].Seq, SeqMax: convs[1].Seq}); err != nil ||
		len(list) != 1 || list[0].ID != convs[1].ID {
		t.Errorf("FindConversations by a range of one number: %d, %v", len(list), err)
	}
	_, _, err = f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{Seq: 5, SeqMax: 4})
	wantInvalid(t, err, "seq", "an empty seq range")
	_, _, err = f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{SeqMax: 4})
	wantInvalid(t, err, "seq", "a seq range without its start")
}
