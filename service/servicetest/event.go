package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
)

// RunEvents runs the tests of the outbox on services it opens over
// newDatabase's databases: every deletion-related change writes exactly
// one event of its type in its own transaction, nothing of a change that
// rolls back, nothing another tenant can read, no content; every event
// read is checked against api/events.schema.json.
func RunEvents(t *testing.T, newDatabase NewDatabaseFunc) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *Database)
	}{
		{"EachTypeOnce", testEventsEachTypeOnce},
		{"RolledBack", testEventsRolledBack},
		{"Isolation", testEventsIsolation},
		{"NoContent", testEventsNoContent},
		{"Prune", testEventsPrune},
		{"ConcurrentSequence", testEventsConcurrentSequence},
		{"ErasureCanceled", testEventsErasureCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newDatabase(t)
			if db.Keyring == nil {
				db.Keyring = NewKeyring(t)
			}
			tc.fn(t, db)
		})
	}
}

// eventsSchema is api/events.schema.json, compiled once.
var eventsSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(api.EventsSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("events.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("events.schema.json")
})

// validateEvent checks an event's wire form against the schema.
func validateEvent(e *convstore.Event) error {
	sch, err := eventsSchema()
	if err != nil {
		return fmt.Errorf("events.schema.json does not compile: %w", err)
	}
	b, err := json.Marshal(api.FromEvent(e))
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("event %s does not match events.schema.json: %v\n%s", e.Type, err, b)
	}
	return nil
}

// allEvents reads every event of the tenant, page by page (a small page,
// so that the cursor is exercised), checking each against the schema,
// the sequence gapless and increasing, and the ids unique.
func allEvents(t *testing.T, ctx context.Context, s convstore.Store, tenantID convstore.ID) []*convstore.Event {
	t.Helper()
	var out []*convstore.Event
	seen := map[convstore.ID]bool{}
	f := convstore.EventFilter{Limit: 3}
	for {
		page, more, err := s.FindEvents(ctx, tenantID, f)
		if err != nil {
			t.Fatalf("FindEvents: %v", err)
		}
		for _, e := range page {
			if err := validateEvent(e); err != nil {
				t.Error(err)
			}
			if e.TenantID != tenantID {
				t.Errorf("event %s of tenant %v read as tenant %v's", e.Type, e.TenantID, tenantID)
			}
			if seen[e.ID] {
				t.Errorf("event id %v read twice", e.ID)
			}
			seen[e.ID] = true
			if n := len(out); n > 0 && e.Seq <= out[n-1].Seq {
				t.Errorf("sequence %d after %d", e.Seq, out[n-1].Seq)
			}
			out = append(out, e)
		}
		if !more {
			break
		}
		if len(page) == 0 {
			t.Fatal("FindEvents: an empty page with more to follow")
		}
		f.After = page[len(page)-1].Seq
	}
	return out
}

// countTypes counts events by type.
func countTypes(events []*convstore.Event) map[string]int {
	out := map[string]int{}
	for _, e := range events {
		out[e.Type]++
	}
	return out
}

// eventData decodes an event's payload.
func eventData(t *testing.T, e *convstore.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatalf("event %s: payload %s: %v", e.Type, e.Data, err)
	}
	return m
}

// eventSvc opens a service without a background purger on a clock the
// test moves, with one tenant.
func eventSvc(t *testing.T, db *Database) (context.Context, *service.Service, *Clock, *convstore.Tenant) {
	t.Helper()
	ctx := testContext(t)
	clock := &Clock{}
	svc := OpenService(t, db, service.Options{Logger: Logger(t), Now: clock.Now, PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	return ctx, svc, clock, tenant
}

// Every kind of change writes exactly one event of its type, numbered
// 1, 2, … in the order of the changes, each matching the schema; the
// events of one conversation come in the order its changes happened.
func testEventsEachTypeOnce(t *testing.T, db *Database) {
	ctx, svc, clock, tenant := eventSvc(t, db)
	a := tenant.ID
	msgs := []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "one"}, {Role: convstore.RoleAssistant, Content: "two"}}
	conv := func(agent, user string) *convstore.Conversation {
		c, _ := MustCreateConversation(t, ctx, svc, a, &convstore.ConversationCreate{AgentID: agent, UserID: user, Messages: msgs})
		return c
	}
	c1 := conv("agent", "u1")
	msg, _, err := svc.FindMessages(ctx, a, c1.ID, convstore.MessageFilter{})
	if err != nil || len(msg) == 0 {
		t.Fatalf("FindMessages: %v", err)
	}
	art := MustCreateArtifact(t, ctx, svc, a, c1.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s"})
	MustPutAttachment(t, ctx, svc, a, c1.ID, "a.txt", []byte("bytes"))

	if err := svc.DeleteMessage(ctx, a, c1.ID, msg[0].ID, operator); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteArtifact(ctx, a, c1.ID, art.ID, operator); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteAttachment(ctx, a, c1.ID, "a.txt", operator); err != nil {
		t.Fatal(err)
	}
	hold, err := svc.CreateHold(ctx, a, &convstore.HoldCreate{ConversationID: c1.ID, Reason: "matter"}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteHold(ctx, a, hold.ID, operator); err != nil {
		t.Fatal(err)
	}
	// Deleted within a restore window, then restored.
	c2 := conv("agent", "u2")
	if err := svc.SetRestoreWindow(ctx, a, 7, operator); err != nil {
		t.Fatal(err)
	}
	MustDeleteConversation(t, ctx, svc, a, c2.ID, operator)
	if _, err := svc.RestoreConversation(ctx, a, c2.ID, operator); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetRestoreWindow(ctx, a, 0, operator); err != nil {
		t.Fatal(err)
	}
	d1 := MustDeleteConversation(t, ctx, svc, a, c1.ID, operator)
	// Erased by retention: only the old agent's conversations.
	c3 := conv("old-agent", "u3")
	if _, err := svc.ReplaceRetention(ctx, a, []*convstore.RetentionPolicy{{AgentID: "old-agent",
		Conversations: &convstore.RetentionRule{Days: 1}}}, operator); err != nil {
		t.Fatal(err)
	}
	clock.Advance(49 * time.Hour)
	if c, err := svc.ApplyRetention(ctx, a); err != nil || c.Conversations != 1 {
		t.Fatalf("ApplyRetention = %+v, %v; want one conversation", c, err)
	}
	// Erased by an erasure job.
	c4 := conv("agent", "erased-user")
	job, err := svc.CreateErasure(ctx, a, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "erased-user"}}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Purge(ctx); err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 3 jobs (c1, c3, c4)", n, err)
	}
	// The epoch that wrapped the deleted keys is destroyed at once.
	rot, err := svc.RotateKeys(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Shredded != 3 {
		t.Fatalf("RotateKeys shredded %d receipts, want 3 (c1, c3, c4)", rot.Shredded)
	}
	// Again: nothing new is shredded, no event is written twice.
	if _, err := svc.RotateKeys(ctx, -1); err != nil {
		t.Fatal(err)
	}

	events := allEvents(t, ctx, svc, a)
	want := map[string]int{
		convstore.EventMessageDeleted: 1, convstore.EventArtifactDeleted: 1, convstore.EventAttachmentDeleted: 1,
		convstore.EventHoldPlaced: 1, convstore.EventHoldReleased: 1,
		convstore.EventConversationDeleted: 4, convstore.EventConversationRestored: 1,
		convstore.EventRetentionApplied: 1, convstore.EventErasureCompleted: 1,
		convstore.EventConversationPurged: 3, convstore.EventConversationShredded: 3,
	}
	got := countTypes(events)
	for _, typ := range convstore.EventTypes {
		if got[typ] != want[typ] {
			t.Errorf("%d events %s, want %d", got[typ], typ, want[typ])
		}
	}
	if len(got) != len(want) {
		t.Errorf("event types %v, want %v", got, want)
	}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d (%s) has sequence %d: sequences of one tenant run 1, 2, … without gaps", i, e.Type, e.Seq)
		}
	}
	// c1's events, in order: its item deletes, the hold, its delete,
	// purge and shredding.
	var order []string
	for _, e := range events {
		if e.ConversationID == c1.ID {
			order = append(order, e.Type)
		}
	}
	wantOrder := []string{convstore.EventMessageDeleted, convstore.EventArtifactDeleted, convstore.EventAttachmentDeleted,
		convstore.EventHoldPlaced, convstore.EventHoldReleased, convstore.EventConversationDeleted,
		convstore.EventConversationPurged, convstore.EventConversationShredded}
	if strings.Join(order, " ") != strings.Join(wantOrder, " ") {
		t.Errorf("c1's events %v, want %v", order, wantOrder)
	}
	// The payloads name what changed.
	for _, e := range events {
		m := eventData(t, e)
		switch {
		case e.Type == convstore.EventConversationDeleted && e.ConversationID == c1.ID:
			if m["deletion_id"] != d1.ID.Format(convstore.PrefixDeletion) || m["messages"] != float64(1) || m["door"] != operator.Door {
				t.Errorf("c1's conversation.deleted = %s; want its receipt's id, 1 message, door %s", e.Data, operator.Door)
			}
		case e.Type == convstore.EventConversationDeleted && e.ConversationID == c2.ID:
			if m["restorable_until"] == nil {
				t.Errorf("c2's conversation.deleted = %s; want restorable_until", e.Data)
			}
		case e.Type == convstore.EventConversationDeleted && e.ConversationID == c3.ID:
			if m["policy"] != "agent:old-agent" || m["door"] != "retention" {
				t.Errorf("c3's conversation.deleted = %s; want policy agent:old-agent, door retention", e.Data)
			}
		case e.Type == convstore.EventConversationDeleted && e.ConversationID == c4.ID:
			if m["erasure_id"] != job.ID.Format(convstore.PrefixErasure) {
				t.Errorf("c4's conversation.deleted = %s; want erasure_id %s", e.Data, job.ID.Format(convstore.PrefixErasure))
			}
		case e.Type == convstore.EventErasureCompleted:
			if m["state"] != string(convstore.ErasureSucceeded) || m["conversations"] != float64(1) {
				t.Errorf("erasure.completed = %s; want succeeded, 1 conversation", e.Data)
			}
		case e.Type == convstore.EventRetentionApplied:
			if m["conversations"] != float64(1) || m["messages"] != float64(2) {
				t.Errorf("retention.applied = %s; want 1 conversation of 2 messages", e.Data)
			}
		case e.Type == convstore.EventAttachmentDeleted:
			if m["size"] != float64(5) {
				t.Errorf("attachment.deleted = %s; want size 5", e.Data)
			}
		}
	}
	// The type filter reads one type alone, in order.
	only, _, err := svc.FindEvents(ctx, a, convstore.EventFilter{Type: convstore.EventConversationPurged})
	if err != nil || len(only) != 3 {
		t.Fatalf("FindEvents(type purged) = %d events, %v; want 3", len(only), err)
	}
	for _, e := range only {
		if e.Type != convstore.EventConversationPurged {
			t.Errorf("FindEvents(type purged) returned a %s", e.Type)
		}
	}
	for _, f := range []convstore.EventFilter{{Type: "conversation.created"}, {Limit: convstore.MaxPageLimit + 1}, {After: -1}} {
		if _, _, err := svc.FindEvents(ctx, a, f); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("FindEvents(%+v): %v, want EINVALID", f, err)
		}
	}
	// The schema is no rubber stamp: content in a payload fails it.
	bad := *events[0]
	bad.Data = json.RawMessage(strings.Replace(string(bad.Data), "{", `{"title":"x",`, 1))
	if validateEvent(&bad) == nil {
		t.Errorf("a payload with a title passed the schema: %s", bad.Data)
	}
}

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
