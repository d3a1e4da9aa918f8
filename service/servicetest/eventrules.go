package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
)

// failingEvents is a driver whose transactions cannot write events.
type failingEvents struct{ driver.Driver }

func (d failingEvents) Write(ctx context.Context, p driver.WriteParams, fn func(ctx context.Context, tx driver.Tx) error) error {
	return d.Driver.Write(ctx, p, func(ctx context.Context, tx driver.Tx) error { return fn(ctx, failingEventsTx{tx}) })
}

type failingEventsTx struct{ driver.Tx }

var errNoEvents = errors.New("servicetest: the outbox refuses this write")

func (failingEventsTx) EventInsert(context.Context, []*convstore.Event) error { return errNoEvents }

// A change that fails writes no event, and a change whose event cannot
// be written does not happen: they share one transaction.
func testEventsRolledBack(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	c, msgs := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "kept"}}})
	hold, err := svc.CreateHold(ctx, a, &convstore.HoldCreate{ConversationID: c.ID, Reason: "matter"}, operator)
	if err != nil {
		t.Fatal(err)
	}
	before := len(allEvents(t, ctx, svc, a))
	// Refused by the hold.
	if _, err := svc.DeleteConversation(ctx, a, c.ID, operator); convstore.ErrorCode(err) != convstore.EHELD {
		t.Fatalf("delete of a held conversation: %v, want EHELD", err)
	}
	if err := svc.DeleteMessage(ctx, a, c.ID, msgs[0].ID, operator); convstore.ErrorCode(err) != convstore.EHELD {
		t.Fatalf("delete of a held message: %v, want EHELD", err)
	}
	if n := len(allEvents(t, ctx, svc, a)); n != before {
		t.Errorf("%d events after refused changes, want %d", n, before)
	}
	if err := svc.DeleteHold(ctx, a, hold.ID, operator); err != nil {
		t.Fatal(err)
	}
	before = len(allEvents(t, ctx, svc, a))
	// What is not there.
	if err := svc.DeleteMessage(ctx, a, c.ID, convstore.NewID(), operator); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("delete of a missing message: %v, want ENOTFOUND", err)
	}
	if _, err := svc.DeleteConversation(ctx, a, convstore.NewID(), operator); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("delete of a missing conversation: %v, want ENOTFOUND", err)
	}
	if n := len(allEvents(t, ctx, svc, a)); n != before {
		t.Errorf("%d events after deletes of what is missing, want %d", n, before)
	}

	// Another node whose outbox writes fail: its deletes fail whole.
	broken := service.New(failingEvents{db.Open(t)}, db.Blobs, service.Options{Logger: Logger(t), Keyring: db.Keyring, PurgeInterval: -1})
	t.Cleanup(func() { broken.Close() })
	if _, err := broken.DeleteConversation(ctx, a, c.ID, operator); !errors.Is(err, errNoEvents) {
		t.Fatalf("delete whose event fails: %v, want the outbox's error", err)
	}
	if err := broken.DeleteMessage(ctx, a, c.ID, msgs[0].ID, operator); !errors.Is(err, errNoEvents) {
		t.Fatalf("message delete whose event fails: %v, want the outbox's error", err)
	}
	if _, err := svc.FindMessageByID(ctx, a, c.ID, msgs[0].ID); err != nil {
		t.Errorf("the message whose delete failed: %v, want it kept", err)
	}
	if got := MustFindConversation(t, ctx, svc, a, c.ID); got.MessageCount != 1 {
		t.Errorf("message count %d after a failed delete, want 1", got.MessageCount)
	}
	dels, _, err := svc.FindDeletions(ctx, a, convstore.DeletionFilter{ConversationID: c.ID})
	if err != nil || len(dels) != 0 {
		t.Errorf("receipts after a failed delete: %d, %v; want none", len(dels), err)
	}
	if n := len(allEvents(t, ctx, svc, a)); n != before {
		t.Errorf("%d events after failed changes, want %d", n, before)
	}
}

// A tenant reads its own events only; another tenant's conversation id
// in a filter finds nothing.
func testEventsIsolation(t *testing.T, db *Database) {
	ctx, svc, _, tenantA := eventSvc(t, db)
	tenantB, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	for _, tn := range []*convstore.Tenant{tenantA, tenantA, tenantB} {
		c, _ := MustCreateConversation(t, ctx, svc, tn.ID, &convstore.ConversationCreate{})
		MustDeleteConversation(t, ctx, svc, tn.ID, c.ID, operator)
	}
	a, b := allEvents(t, ctx, svc, tenantA.ID), allEvents(t, ctx, svc, tenantB.ID)
	if len(a) != 2 || len(b) != 1 {
		t.Fatalf("tenant A reads %d events, B %d; want 2 and 1", len(a), len(b))
	}
	// Each tenant's sequence is its own.
	if b[0].Seq != 1 || a[1].Seq != 2 {
		t.Errorf("sequences A %d,%d and B %d; want 1,2 and 1", a[0].Seq, a[1].Seq, b[0].Seq)
	}
	if got, _, err := svc.FindEvents(ctx, convstore.NewID(), convstore.EventFilter{}); err != nil || len(got) != 0 {
		t.Errorf("an unknown tenant's events: %d, %v; want none", len(got), err)
	}
}

// The outbox carries no content: a canary written in every content field
// (and in the ids a caller chooses: external, user and agent ids) appears
// in no event.
func testEventsNoContent(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	const canary = "CANARY-7f3a"
	mk := func() *convstore.Conversation {
		c, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{
			AgentID: canary + "-agent", UserID: canary + "-user", ExternalID: canary + "-" + uniqueName("ext"), Title: canary,
			Metadata: convstore.Metadata{canary: canary},
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: canary, AuthorName: canary},
				{Role: convstore.RoleUser, Content: canary}}})
		MustCreateArtifact(t, ctx, svc, a, c.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: canary})
		MustPutAttachment(t, ctx, svc, a, c.ID, canary+".txt", []byte(canary))
		return c
	}
	c := mk()
	msgs, _, err := svc.FindMessages(ctx, a, c.ID, convstore.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	arts, _, err := svc.FindArtifacts(ctx, a, c.ID, convstore.ArtifactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteMessage(ctx, a, c.ID, msgs[0].ID, operator); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteArtifact(ctx, a, c.ID, arts[0].ID, operator); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteAttachment(ctx, a, c.ID, canary+".txt", operator); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*convstore.HoldCreate{{UserID: canary + "-user", Reason: canary}, {AgentID: canary + "-agent", Reason: canary}} {
		hold, err := svc.CreateHold(ctx, a, h, operator)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteHold(ctx, a, hold.ID, operator); err != nil {
			t.Fatal(err)
		}
	}
	MustDeleteConversation(t, ctx, svc, a, c.ID, operator)
	mk()
	if _, err := svc.CreateErasure(ctx, a, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: canary + "-user"}}, operator); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	mk()
	if _, err := svc.ReplaceRetention(ctx, a, []*convstore.RetentionPolicy{{Conversations: &convstore.RetentionRule{Days: 1}}}, operator); err != nil {
		t.Fatal(err)
	}
	clock.Advance(49 * time.Hour)
	if _, err := svc.ApplyRetention(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	events := allEvents(t, ctx, svc, a)
	if len(events) < 10 {
		t.Fatalf("%d events; the test means to read at least 10", len(events))
	}
	for _, e := range events {
		b, err := json.Marshal(api.FromEvent(e))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(canary))) {
			t.Errorf("event %s carries content: %s", e.Type, b)
		}
	}
}

// The sweeper prunes events past the retention, delivered or not, and
// keeps the rest; the sequence goes on from where it was.
func testEventsPrune(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	del := func() {
		c, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{})
		MustDeleteConversation(t, ctx, svc, a, c.ID, operator)
	}
	del()
	del()
	if n, err := svc.NumberEvents(ctx); err != nil || n != 1 {
		t.Fatalf("NumberEvents = %d tenants, %v; want this one", n, err)
	}
	if n, err := svc.NumberEvents(ctx); err != nil || n != 0 {
		t.Fatalf("NumberEvents again = %d tenants, %v; want none left", n, err)
	}
	if n, err := svc.SweepEvents(ctx); err != nil || n != 0 {
		t.Fatalf("SweepEvents of fresh events = %d, %v; want 0", n, err)
	}
	clock.Advance(convstore.DefaultEventRetention + time.Minute)
	del()
	if n, err := svc.SweepEvents(ctx); err != nil || n != 2 {
		t.Fatalf("SweepEvents = %d, %v; want the 2 events past the retention", n, err)
	}
	events := allEvents(t, ctx, svc, a)
	if len(events) != 1 || events[0].Seq != 3 {
		t.Fatalf("events after the prune: %d (first seq %v); want the third alone", len(events), events)
	}
	// A cursor past pruned events still holds.
	if got, _, err := svc.FindEvents(ctx, a, convstore.EventFilter{After: 1}); err != nil || len(got) != 1 || got[0].Seq != 3 {
		t.Errorf("FindEvents(after 1) = %v, %v; want the third", got, err)
	}
}

// Concurrent changes of one tenant (on several nodes where the engine
// has them) get distinct, gapless sequence numbers, each conversation's
// events in the order of its changes.
func testEventsConcurrentSequence(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	nodes := []convstore.Store{svc, OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})}
	const convs, perConv = 4, 3
	type work struct {
		conv *convstore.Conversation
		msgs []*convstore.Message
	}
	var ws []work
	for range convs {
		var batch []*convstore.MessageCreate
		for i := range perConv {
			batch = append(batch, &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprint(i)})
		}
		c, msgs := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{Messages: batch})
		ws = append(ws, work{c, msgs})
	}
	var wg sync.WaitGroup
	errs := make(chan error, convs*(perConv+1))
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := nodes[i%len(nodes)]
			for _, m := range w.msgs {
				if err := node.DeleteMessage(ctx, a, w.conv.ID, m.ID, operator); err != nil {
					errs <- err
				}
			}
			if _, err := node.DeleteConversation(ctx, a, w.conv.ID, operator); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	events := allEvents(t, ctx, svc, a)
	if len(events) != convs*(perConv+1) {
		t.Fatalf("%d events, want %d", len(events), convs*(perConv+1))
	}
	last := map[convstore.ID]string{}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d has sequence %d: want gapless", i, e.Seq)
		}
		if last[e.ConversationID] == convstore.EventConversationDeleted {
			t.Errorf("a %s of conversation %v after its conversation.deleted", e.Type, e.ConversationID)
		}
		last[e.ConversationID] = e.Type
	}
}

// A queued erasure job canceled ends at once: one erasure.completed,
// canceled, erasing nothing; canceling again writes no second one.
func testEventsErasureCanceled(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	a := tenant.ID
	MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{UserID: "kept-user"})
	job, err := svc.CreateErasure(ctx, a, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "kept-user"}}, operator)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := svc.CancelErasure(ctx, a, job.ID, operator); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	events := allEvents(t, ctx, svc, a)
	if len(events) != 1 || events[0].Type != convstore.EventErasureCompleted {
		t.Fatalf("events %v; want one erasure.completed", countTypes(events))
	}
	if m := eventData(t, events[0]); m["state"] != string(convstore.ErasureCanceled) || m["conversations"] != float64(0) ||
		m["erasure_id"] != job.ID.Format(convstore.PrefixErasure) {
		t.Errorf("erasure.completed = %s; want this job, canceled, nothing erased", events[0].Data)
	}
}
