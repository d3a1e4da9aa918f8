package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/service"
)

// RunEvents runs the tests of the outbox on services it opens over
// newDatabase's databases: every deletion-related change writes exactly
// one event of its type in its own transaction, nothing of a change that
// rolls back, nothing another tenant can read, no content; every event
// read is checked against api/events.schema.json.
func RunEvents(t *testing.T, newDatabase NewDatabaseFunc) {
	runSealedCases(t, newDatabase, []sealedCase{
		{"EachTypeOnce", testEventsEachTypeOnce},
		{"RolledBack", testEventsRolledBack},
		{"Isolation", testEventsIsolation},
		{"NoContent", testEventsNoContent},
		{"Prune", testEventsPrune},
		{"ConcurrentSequence", testEventsConcurrentSequence},
		{"ErasureCanceled", testEventsErasureCanceled},
		{"RelayFailureKeepsOrder", testRelayFailureKeepsOrder},
		{"RelayWakesAndRetries", testRelayWakesAndRetries},
		{"RelayPruneUndelivered", testRelayPruneUndelivered},
	})
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
