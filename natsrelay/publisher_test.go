package natsrelay_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/natsrelay"
	"github.com/convstore/convstore/natsrelay/natstest"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

var operator = convstore.DeleteParams{Door: "test"}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// publisher returns a publisher to a stream of the test's own.
func publisher(t *testing.T) (*natsrelay.Publisher, *natstest.Stream) {
	t.Helper()
	st := natstest.NewStream(t)
	pub, err := natsrelay.New(natstest.Connect(t), natsrelay.Config{Stream: st.Name, SubjectPrefix: st.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	return pub, st
}

// engines open a service on a fresh database of each engine; PostgreSQL
// skips without CONVSTORE_TEST_POSTGRES_URL.
var engines = map[string]func(t *testing.T, opts service.Options) *service.Service{
	"sqlite": func(t *testing.T, opts service.Options) *service.Service {
		opts.Keyring = servicetest.NewKeyring(t)
		dir := t.TempDir()
		blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		drv, err := sqlite.Open(context.Background(), filepath.Join(dir, "convstore.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := service.New(drv, blobs, opts)
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t *testing.T, opts service.Options) *service.Service {
		opts.Keyring = servicetest.NewKeyring(t)
		return pgtest.OpenNode(t, pgtest.NewSchema(t), pgtest.NodeOptions{Service: opts}).Service
	},
}

// TestPublishOnceByMsgID publishes one event twice, as a relay that died
// between publishing and marking it delivered does: the stream holds it
// once, under its subject, with its id as Nats-Msg-Id, its type and
// sequence as headers and the native API's form as body.
func TestPublishOnceByMsgID(t *testing.T) {
	pub, st := publisher(t)
	ctx := testCtx(t)
	e := &convstore.Event{ID: convstore.NewID(), TenantID: convstore.NewID(), Seq: 7, Type: convstore.EventConversationDeleted,
		ConversationID: convstore.NewID(), OccurredAt: time.Unix(1700000000, 0).UTC(), Data: json.RawMessage(`{"conversation_id":"x"}`)}
	for range 2 {
		if err := pub.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	msgs := st.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("stream holds %d messages after publishing one event twice, want 1", len(msgs))
	}
	m := msgs[0]
	if want := st.Prefix + "." + e.TenantID.Format(convstore.PrefixTenant) + ".conversation.deleted"; m.Subject() != want {
		t.Errorf("subject %q, want %q", m.Subject(), want)
	}
	h := m.Headers()
	if got := h.Get(jetstream.MsgIDHeader); got != e.ID.Format(convstore.PrefixEvent) {
		t.Errorf("Nats-Msg-Id %q, want the event id %q", got, e.ID.Format(convstore.PrefixEvent))
	}
	if h.Get(natsrelay.HeaderType) != e.Type || h.Get(natsrelay.HeaderSequence) != "7" ||
		h.Get(natsrelay.HeaderTenant) != e.TenantID.Format(convstore.PrefixTenant) {
		t.Errorf("headers %v", h)
	}
	var w api.Event
	if err := json.Unmarshal(m.Data(), &w); err != nil {
		t.Fatal(err)
	}
	got := api.ToEvent(&w)
	if got.ID != e.ID || got.TenantID != e.TenantID || got.Seq != 7 || got.Type != e.Type || !got.OccurredAt.Equal(e.OccurredAt) ||
		string(got.Data) != string(e.Data) {
		t.Errorf("body %s does not read back as the event", m.Data())
	}
}

// TestPublishToOperatorStream publishes into a stream an operator created
// beforehand without the prefix's subjects: the publisher adds them and
// leaves the rest of the stream's settings alone.
func TestPublishToOperatorStream(t *testing.T) {
	pub, st := publisher(t)
	ctx := testCtx(t)
	if _, err := st.JS.CreateStream(ctx, jetstream.StreamConfig{Name: st.Name, Subjects: []string{st.Prefix + "-other.>"},
		Storage: jetstream.MemoryStorage, Duplicates: time.Minute}); err != nil {
		t.Fatal(err)
	}
	e := &convstore.Event{ID: convstore.NewID(), TenantID: convstore.NewID(), Seq: 1, Type: convstore.EventHoldPlaced,
		OccurredAt: time.Now(), Data: json.RawMessage(`{}`)}
	if err := pub.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	s, err := st.JS.Stream(ctx, st.Name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if len(cfg.Subjects) != 2 || cfg.Storage != jetstream.MemoryStorage || cfg.Duplicates != time.Minute {
		t.Errorf("stream after publishing: subjects %v, storage %v, duplicates %v; want the operator's plus %s.>", cfg.Subjects,
			cfg.Storage, cfg.Duplicates, st.Prefix)
	}
	if n := st.Count(t); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// deleteFlow makes every change a delete and purge flow emits in one
// tenant: a message, an artifact and an attachment deleted, a hold placed
// and released, the conversation deleted, purged and shredded. It returns
// how many events it wrote.
func deleteFlow(t *testing.T, ctx context.Context, s *service.Service, tenantID convstore.ID) int {
	t.Helper()
	c, msgs := servicetest.MustCreateConversation(t, ctx, s, tenantID, &convstore.ConversationCreate{
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "one"}, {Role: convstore.RoleAssistant, Content: "two"}}})
	art := servicetest.MustCreateArtifact(t, ctx, s, tenantID, c.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s"})
	servicetest.MustPutAttachment(t, ctx, s, tenantID, c.ID, "a.txt", []byte("bytes"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.DeleteMessage(ctx, tenantID, c.ID, msgs[0].ID, operator))
	must(s.DeleteArtifact(ctx, tenantID, c.ID, art.ID, operator))
	must(s.DeleteAttachment(ctx, tenantID, c.ID, "a.txt", operator))
	hold, err := s.CreateHold(ctx, tenantID, &convstore.HoldCreate{ConversationID: c.ID, Reason: "matter"}, operator)
	must(err)
	must(s.DeleteHold(ctx, tenantID, hold.ID, operator))
	servicetest.MustDeleteConversation(t, ctx, s, tenantID, c.ID, operator)
	if _, err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateKeys(ctx, -1); err != nil {
		t.Fatal(err)
	}
	return 8
}

// flowTypes are the types deleteFlow's events have, in order.
var flowTypes = []string{convstore.EventMessageDeleted, convstore.EventArtifactDeleted, convstore.EventAttachmentDeleted,
	convstore.EventHoldPlaced, convstore.EventHoldReleased, convstore.EventConversationDeleted, convstore.EventConversationPurged,
	convstore.EventConversationShredded}

// checkStream checks that the stream holds exactly the tenant's events, each
// once, in sequence order, each with its id as Nats-Msg-Id, and that the
// outbox has them all delivered.
func checkStream(t *testing.T, ctx context.Context, s *service.Service, st *natstest.Stream, tenantID convstore.ID) []*convstore.Event {
	t.Helper()
	events, _, err := s.FindEvents(ctx, tenantID, convstore.EventFilter{Limit: convstore.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	subject := st.Prefix + "." + tenantID.Format(convstore.PrefixTenant) + "."
	var got []jetstream.Msg
	for _, m := range st.Messages(t) {
		if len(m.Subject()) > len(subject) && m.Subject()[:len(subject)] == subject {
			got = append(got, m)
		}
	}
	if len(got) != len(events) {
		t.Fatalf("stream holds %d messages of the tenant, the outbox %d events", len(got), len(events))
	}
	for i, e := range events {
		m := got[i]
		if m.Headers().Get(jetstream.MsgIDHeader) != e.ID.Format(convstore.PrefixEvent) || m.Subject() != subject+e.Type ||
			m.Headers().Get(natsrelay.HeaderSequence) != strconv.FormatInt(e.Seq, 10) {
			t.Errorf("message %d: %s, id %s, seq %s; want event %d %s (%s)", i, m.Subject(), m.Headers().Get(jetstream.MsgIDHeader),
				m.Headers().Get(natsrelay.HeaderSequence), e.Seq, e.Type, e.ID.Format(convstore.PrefixEvent))
		}
		if e.DeliveredAt == nil {
			t.Errorf("event %d %s published but not marked delivered", e.Seq, e.Type)
		}
	}
	return events
}

// TestRelayDeleteFlow runs a relay to a real JetStream stream over each
// engine: every event a delete and purge flow emits arrives once, in
// order, with its id as message id, and is marked delivered.
func TestRelayDeleteFlow(t *testing.T) {
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			pub, st := publisher(t)
			ctx := testCtx(t)
			s := open(t, service.Options{Logger: servicetest.Logger(t), PurgeInterval: -1})
			relay := s.NewRelay(pub, service.RelayOptions{})
			tenant, _ := servicetest.MustCreateTenant(t, ctx, s, "relay")
			n := deleteFlow(t, ctx, s, tenant.ID)
			if got, err := relay.Deliver(ctx); err != nil || got != n {
				t.Fatalf("Deliver = %d, %v; want %d", got, err, n)
			}
			events := checkStream(t, ctx, s, st, tenant.ID)
			for i, e := range events {
				if e.Type != flowTypes[i] {
					t.Errorf("event %d is %s, want %s", i+1, e.Type, flowTypes[i])
				}
			}
			if got, err := relay.Deliver(ctx); err != nil || got != 0 {
				t.Errorf("second Deliver = %d, %v; want nothing left", got, err)
			}
			if n, _, err := s.EventBacklog(ctx); err != nil || n != 0 {
				t.Errorf("backlog %d, %v; want 0", n, err)
			}
		})
	}
}

var errCrash = errors.New("crashed after publishing")

// TestRelayCrashBeforeMark publishes a tenant's events and dies before
// marking them delivered; once its lease has ended another relay
// publishes them again, and the stream still holds each once.
func TestRelayCrashBeforeMark(t *testing.T) {
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			pub, st := publisher(t)
			ctx := testCtx(t)
			clock := &servicetest.Clock{}
			s := open(t, service.Options{Logger: servicetest.Logger(t), PurgeInterval: -1, Now: clock.Now})
			tenant, _ := servicetest.MustCreateTenant(t, ctx, s, "crash")
			n := deleteFlow(t, ctx, s, tenant.ID)
			crashed := s.NewRelay(pub, service.RelayOptions{AfterPublish: func([]*convstore.Event) error { return errCrash }})
			if _, err := crashed.Deliver(ctx); !errors.Is(err, errCrash) {
				t.Fatalf("Deliver = %v, want the crash", err)
			}
			if got := st.Count(t); got != n {
				t.Fatalf("stream holds %d messages after the crash, want %d", got, n)
			}
			restarted := s.NewRelay(pub, service.RelayOptions{})
			if got, err := restarted.Deliver(ctx); err != nil || got != 0 {
				t.Fatalf("Deliver under the dead relay's lease = %d, %v; want nothing", got, err)
			}
			clock.Advance(service.DefaultRelayLease + time.Second)
			if got, err := restarted.Deliver(ctx); err != nil || got != n {
				t.Fatalf("Deliver after the lease ended = %d, %v; want %d", got, err, n)
			}
			checkStream(t, ctx, s, st, tenant.ID)
		})
	}
}

// countingPublisher counts the publications of each event.
type countingPublisher struct {
	service.EventPublisher
	mu    sync.Mutex
	count map[convstore.ID]int
}

func (p *countingPublisher) Publish(ctx context.Context, e *convstore.Event) error {
	err := p.EventPublisher.Publish(ctx, e)
	if err == nil {
		p.mu.Lock()
		p.count[e.ID]++
		p.mu.Unlock()
	}
	return err
}

// TestRelayTwoNodes runs a relay on each of two nodes of one PostgreSQL
// database while both delete in several tenants: every event is
// published once (one publication per message id), in each tenant's
// order, and all are delivered.
func TestRelayTwoNodes(t *testing.T) {
	pub, st := publisher(t)
	ctx := testCtx(t)
	schema := pgtest.NewSchema(t)
	counter := &countingPublisher{EventPublisher: pub, count: map[convstore.ID]int{}}
	var nodes []*service.Service
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 {
		n := pgtest.OpenNode(t, schema, pgtest.NodeOptions{Driver: postgres.Options{MaxConns: 8},
			Service: service.Options{Logger: servicetest.Logger(t), PurgeInterval: -1}}).Service
		nodes = append(nodes, n)
		relay := n.NewRelay(counter, service.RelayOptions{Interval: 50 * time.Millisecond, Batch: 3})
		wg.Go(func() { relay.Run(runCtx) })
	}
	defer func() { stop(); wg.Wait() }()
	var tenants []convstore.ID
	for i := range 3 {
		tenant, _ := servicetest.MustCreateTenant(t, ctx, nodes[0], "tenant-"+strconv.Itoa(i))
		tenants = append(tenants, tenant.ID)
	}
	var writers sync.WaitGroup
	for i, node := range nodes {
		for _, tenantID := range tenants {
			writers.Go(func() {
				for range 5 {
					c, _ := servicetest.MustCreateConversation(t, ctx, node, tenantID, &convstore.ConversationCreate{
						Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "node " + strconv.Itoa(i)}}})
					servicetest.MustDeleteConversation(t, ctx, node, tenantID, c.ID, operator)
				}
			})
		}
	}
	writers.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, _, err := nodes[1].EventBacklog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still undelivered after 30s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	total := 0
	for _, tenantID := range tenants {
		events := checkStream(t, ctx, nodes[0], st, tenantID)
		if len(events) != 10 {
			t.Errorf("tenant has %d events, want 10 (5 deletes on each node)", len(events))
		}
		total += len(events)
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	if len(counter.count) != total {
		t.Errorf("%d events published, want %d", len(counter.count), total)
	}
	for id, n := range counter.count {
		if n != 1 {
			t.Errorf("event %s published %d times, want once", id.Format(convstore.PrefixEvent), n)
		}
	}
}
