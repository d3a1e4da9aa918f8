package servicetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// reindexTests cover the rotation of the index root: lookups answer the
// same before, during and after the re-index, which resumes where it
// stopped and destroys the old root only once it is done.
var reindexTests = []subtest{
	{"RotateAndReindex", testRotateAndReindex},
	{"Interrupted", testReindexInterrupted},
	{"RestoredAfterReindex", testRestoredAfterReindex},
}

// A conversation hidden under a restore window does not hold a re-index
// up; restored after the old root is destroyed, it is found by every
// lookup again (indexed under the current root at its restore).
func testRestoredAfterReindex(t *testing.T, f *fixture) {
	r := reindexStore(t, f)
	if err := f.Store.SetRestoreWindow(f.ctx, f.tenant.ID, 7, operator); err != nil {
		t.Fatal(err)
	}
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "ext-hidden",
		UserID: "user-hidden", Metadata: convstore.Metadata{"n": "hidden"}})
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID, operator)
	if _, err := r.RotateIndexRoot(f.ctx); err != nil {
		t.Fatal(err)
	}
	p, err := r.Reindex(f.ctx, service.ReindexOptions{})
	if err != nil || !p.Done || len(p.Destroyed) != 1 {
		t.Fatalf("Reindex with a hidden conversation = %+v, %v; want done, the old root destroyed", p, err)
	}
	if _, err := f.Store.RestoreConversation(f.ctx, f.tenant.ID, conv.ID, operator); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, "ext-hidden"); err != nil || got.ID != conv.ID {
		t.Errorf("FindConversationByExternalID after the restore: %v, %v", got, err)
	}
	for _, flt := range []convstore.ConversationFilter{{UserID: "user-hidden"}, {Metadata: convstore.Metadata{"n": "hidden"}}} {
		if list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, flt); err != nil || len(list) != 1 || list[0].ID != conv.ID {
			t.Errorf("FindConversations(%+v) after the restore: %d, %v", flt, len(list), err)
		}
	}
}

// reindexer is a store whose index root rotates (the service).
type reindexer interface {
	RotateIndexRoot(ctx context.Context) (uint32, error)
	Reindex(ctx context.Context, o service.ReindexOptions) (service.ReindexProgress, error)
	IndexRoots() []uint32
}

func reindexStore(t *testing.T, f *fixture) reindexer {
	r, ok := f.Store.(reindexer)
	if !ok {
		t.Skip("the store has no index root to rotate")
	}
	if len(r.IndexRoots()) != 1 || r.IndexRoots()[0] == 0 {
		t.Skip("the store is not sealed")
	}
	return r
}

// lookupWorld is a few conversations with every looked-up field, in the
// fixture's tenant and in a foreign one holding the same values.
type lookupWorld struct {
	convs   []*convstore.Conversation // of the fixture's tenant
	foreign *convstore.Tenant
}

func makeLookupWorld(t *testing.T, f *fixture, n int) *lookupWorld {
	w := &lookupWorld{}
	w.foreign, _ = MustCreateTenant(t, f.ctx, f.Store, uniqueName("foreign"))
	for i := range n {
		c := &convstore.ConversationCreate{ExternalID: "ext-" + itoa(i), UserID: "user-" + itoa(i%2),
			Metadata: convstore.Metadata{"tag.color": "red", "n": itoa(i)},
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi",
				Metadata: convstore.Metadata{convstore.MessageExternalIDKey: "msg-ext-" + itoa(i)}}}}
		conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, c)
		MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "file-"+itoa(i)+".txt", []byte("bytes"))
		w.convs = append(w.convs, conv)
		// The same values in another tenant: never found from ours.
		other, _ := MustCreateConversation(t, f.ctx, f.Store, w.foreign.ID, c)
		MustPutAttachment(t, f.ctx, f.Store, w.foreign.ID, other.ID, "file-"+itoa(i)+".txt", []byte("bytes"))
	}
	return w
}

// check asserts that every lookup finds exactly the fixture tenant's
// conversations it should.
func (w *lookupWorld) check(t *testing.T, f *fixture, when string) {
	t.Helper()
	n := len(w.convs)
	for i, conv := range w.convs {
		got, err := f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, "ext-"+itoa(i))
		if err != nil || got.ID != conv.ID {
			t.Errorf("%s: FindConversationByExternalID(ext-%d) = %v, %v; want %s", when, i, got, err, conv.ID.UUID())
		}
		if m, err := f.Store.FindMessageByExternalID(f.ctx, f.tenant.ID, "msg-ext-"+itoa(i)); err != nil || m.ConversationID != conv.ID {
			t.Errorf("%s: FindMessageByExternalID(msg-ext-%d) = %v, %v; want a message of %s", when, i, m, err, conv.ID.UUID())
		}
		a, err := f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, conv.ID, "file-"+itoa(i)+".txt")
		if err != nil || a.Name != "file-"+itoa(i)+".txt" {
			t.Errorf("%s: FindAttachmentByName(%d) = %v, %v", when, i, a, err)
		}
		list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{
			Metadata: convstore.Metadata{"tag.color": "red", "n": itoa(i)}})
		if err != nil || len(list) != 1 || list[0].ID != conv.ID {
			t.Errorf("%s: metadata filter n=%d: %d conversations, %v; want %s", when, i, len(list), err, conv.ID.UUID())
		}
	}
	for u := range 2 {
		var want []convstore.ID
		for i, conv := range w.convs {
			if i%2 == u {
				want = append(want, conv.ID)
			}
		}
		list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{UserID: "user-" + itoa(u),
			PageFilter: convstore.PageFilter{Order: convstore.OrderAsc, Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]convstore.ID, len(list))
		for i, c := range list {
			got[i] = c.ID
		}
		if !idsEqual(got, want) {
			t.Errorf("%s: user filter user-%d: %d conversations, want %d", when, u, len(got), len(want))
		}
	}
	list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, convstore.ConversationFilter{
		Metadata: convstore.Metadata{"tag.color": "red"}, PageFilter: convstore.PageFilter{Limit: 100}})
	if err != nil || len(list) != n {
		t.Errorf("%s: metadata filter tag.color=red: %d conversations, %v; want %d", when, len(list), err, n)
	}
	// The foreign tenant's rows answer only there.
	if got, err := f.Store.FindConversationByExternalID(f.ctx, w.foreign.ID, "ext-"+itoa(0)); err != nil || got.TenantID != w.foreign.ID {
		t.Errorf("%s: the foreign tenant's external id: %v, %v", when, got, err)
	}
	if n, err := f.Store.CountConversations(f.ctx, w.foreign.ID, convstore.ConversationFilter{UserID: "user-" + itoa(0)}); err != nil || n != (len(w.convs)+1)/2 {
		t.Errorf("%s: the foreign tenant's user filter: %d, %v", when, n, err)
	}
}

func testRotateAndReindex(t *testing.T, f *fixture) {
	r := reindexStore(t, f)
	w := makeLookupWorld(t, f, 4)
	w.check(t, f, "before rotation")
	old := r.IndexRoots()[0]
	root, err := r.RotateIndexRoot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.IndexRoots(); !slices.Equal(got, []uint32{old, root}) {
		t.Fatalf("roots after rotation %v, want [%d %d]", got, old, root)
	}
	w.check(t, f, "after rotation, before the re-index")
	// Written meanwhile: indexed under the new root, found beside the old.
	c := &convstore.ConversationCreate{ExternalID: "ext-new", UserID: "user-new", Metadata: convstore.Metadata{"n": "new"}}
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, c)
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "file-new.txt", []byte("b"))
	// An external id held under the old root is still taken.
	_, _, err = f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "ext-" + itoa(1)})
	wantCode(t, err, convstore.ECONFLICT, "CreateConversation with an external id taken under the old root")
	// A conversation of the old root renamed meanwhile: mixed roots.
	user := "user-" + itoa(1)
	if _, err := f.Store.UpdateConversation(f.ctx, f.tenant.ID, w.convs[1].ID, &convstore.ConversationUpdate{UserID: &user}); err != nil {
		t.Fatal(err)
	}
	// A message appended meanwhile to a conversation of the old root.
	added, err := f.Store.CreateMessages(f.ctx, f.tenant.ID, w.convs[2].ID, []*convstore.MessageCreate{{Role: convstore.RoleUser,
		Content: "more", Metadata: convstore.Metadata{convstore.MessageExternalIDKey: "msg-ext-added"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.check(t, f, "during the re-index")

	p, err := r.Reindex(f.ctx, service.ReindexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Done || p.Root != root || !slices.Equal(p.Destroyed, []uint32{old}) || p.Reindexed < 2*len(w.convs) {
		t.Errorf("Reindex = %+v; want done under %d, %d destroyed, every old conversation of both tenants re-indexed", p, root, old)
	}
	if got := r.IndexRoots(); !slices.Equal(got, []uint32{root}) {
		t.Errorf("roots after the re-index %v, want [%d]", got, root)
	}
	w.check(t, f, "after the re-index")
	if got, err := f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, "ext-new"); err != nil || got.ID != conv.ID {
		t.Errorf("the conversation made during the re-index: %v, %v", got, err)
	}
	if m, err := f.Store.FindMessageByExternalID(f.ctx, f.tenant.ID, "msg-ext-added"); err != nil || m.ID != added[0].ID {
		t.Errorf("the message appended during the re-index: %v, %v", m, err)
	}
	if a, err := f.Store.FindAttachmentByName(f.ctx, f.tenant.ID, conv.ID, "file-new.txt"); err != nil || a.Name != "file-new.txt" {
		t.Errorf("its attachment: %v, %v", a, err)
	}
	for _, filter := range []convstore.ConversationFilter{{UserID: "user-new"}, {Metadata: convstore.Metadata{"n": "new"}}} {
		if list, _, err := f.Store.FindConversations(f.ctx, f.tenant.ID, filter); err != nil || len(list) != 1 || list[0].ID != conv.ID {
			t.Errorf("the conversation made during the re-index, by %+v: %d, %v", filter, len(list), err)
		}
	}
	_, _, err = f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "ext-" + itoa(2)})
	wantCode(t, err, convstore.ECONFLICT, "CreateConversation with a taken external id after the re-index")
	// Nothing left to do: a second run checks and skips.
	if p, err := r.Reindex(f.ctx, service.ReindexOptions{}); err != nil || p.Reindexed != 0 || len(p.Destroyed) != 0 {
		t.Errorf("a second Reindex = %+v, %v; want nothing to do", p, err)
	}
}

func testReindexInterrupted(t *testing.T, f *fixture) {
	r := reindexStore(t, f)
	w := makeLookupWorld(t, f, 6)
	old := r.IndexRoots()[0]
	root, err := r.RotateIndexRoot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Stop after a few conversations, as a crash would.
	const stopAfter = 5
	ctx, cancel := context.WithCancel(f.ctx)
	p, err := r.Reindex(ctx, service.ReindexOptions{Batch: 1, Each: func(p service.ReindexProgress) {
		if p.Reindexed == stopAfter {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) || p.Done || p.Reindexed != stopAfter {
		t.Fatalf("interrupted Reindex = %+v, %v; want canceled after %d", p, err, stopAfter)
	}
	if got := r.IndexRoots(); !slices.Equal(got, []uint32{old, root}) {
		t.Errorf("roots after an interrupted re-index %v, want both [%d %d]", got, old, root)
	}
	w.check(t, f, "halfway through the re-index")
	p, err = r.Reindex(f.ctx, service.ReindexOptions{})
	if err != nil || !p.Done || p.Reindexed != 2*len(w.convs)-stopAfter || p.Below != int64(2*len(w.convs)-stopAfter) {
		t.Fatalf("resumed Reindex = %+v, %v; want the %d conversations left", p, err, 2*len(w.convs)-stopAfter)
	}
	if got := r.IndexRoots(); !slices.Equal(got, []uint32{root}) {
		t.Errorf("roots after the resumed re-index %v, want [%d]", got, root)
	}
	w.check(t, f, "after the resumed re-index")
}
