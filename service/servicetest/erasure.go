package servicetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// erasureTests cover erasure jobs: what a selector matches (through the
// blind indexes), dry runs, the snapshot, cancel, held conversations,
// the resume after a runner died and two nodes running jobs at once.
var erasureTests = []subtest{
	{"Validation", testErasureValidation},
	{"DryRun", testErasureDryRun},
	{"Isolation", testErasureIsolation},
	{"CancelQueued", testErasureCancelQueued},
	{"Selectors", testErasureSelectors},
	{"Snapshot", testErasureSnapshot},
	{"CancelRunning", testErasureCancelRunning},
	{"Held", testErasureHeld},
	{"Resume", testErasureResume},
	{"TwoNodes", testErasureTwoNodes},
	{"LeaseLost", testErasureLeaseLost},
}

// erasureRunner is a store that runs erasure jobs (the service).
type erasureRunner interface {
	RunErasures(ctx context.Context, o service.ErasureRunOptions) (int, error)
}

func runnerOf(t *testing.T, s convstore.Store) erasureRunner {
	r, ok := s.(erasureRunner)
	if !ok {
		t.Skip("the store runs no erasure jobs here")
	}
	return r
}

// erasureConv makes a conversation with two messages, an artifact and an
// attachment of 5 bytes.
func erasureConv(t *testing.T, f *fixture, c *convstore.ConversationCreate) *convstore.Conversation {
	t.Helper()
	c.Messages = []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}, {Role: convstore.RoleAssistant, Content: "hi"}}
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, c)
	MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s"})
	MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "a.txt", []byte("bytes"))
	return conv
}

// perConv is what erasureConv puts in one conversation.
func perConv(n int) convstore.ErasureCounts {
	return convstore.ErasureCounts{Conversations: n, Messages: 2 * n, Artifacts: n, Attachments: n, Bytes: 5 * int64(n)}
}

func mustCreateErasure(t *testing.T, f *fixture, s convstore.Store, c *convstore.ErasureCreate) *convstore.Erasure {
	t.Helper()
	e, err := s.CreateErasure(f.ctx, f.tenant.ID, c, f.params)
	if err != nil {
		t.Fatalf("CreateErasure: %v", err)
	}
	return e
}

func mustRunErasures(t *testing.T, f *fixture, r erasureRunner, o service.ErasureRunOptions) int {
	t.Helper()
	n, err := r.RunErasures(f.ctx, o)
	if err != nil {
		t.Fatalf("RunErasures: %v", err)
	}
	return n
}

func mustErasure(t *testing.T, f *fixture, id convstore.ID) *convstore.Erasure {
	t.Helper()
	e, err := f.Store.FindErasureByID(f.ctx, f.tenant.ID, id)
	if err != nil {
		t.Fatalf("FindErasureByID: %v", err)
	}
	return e
}

// alive reports which of convs still exist.
func alive(t *testing.T, f *fixture, convs ...*convstore.Conversation) []bool {
	t.Helper()
	out := make([]bool, len(convs))
	for i, c := range convs {
		_, err := f.Store.FindConversationByID(f.ctx, f.tenant.ID, c.ID)
		switch convstore.ErrorCode(err) {
		case "":
			out[i] = true
		case convstore.ENOTFOUND:
		default:
			t.Fatalf("FindConversationByID: %v", err)
		}
	}
	return out
}

// jobReceipts returns the receipts of a job, by conversation, failing on
// a conversation deleted twice.
func jobReceipts(t *testing.T, f *fixture, id convstore.ID) map[convstore.ID]*convstore.Deletion {
	t.Helper()
	out := map[convstore.ID]*convstore.Deletion{}
	filter := convstore.DeletionFilter{ErasureID: id, PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit}}
	for {
		list, more, err := f.Store.FindDeletions(f.ctx, f.tenant.ID, filter)
		if err != nil {
			t.Fatalf("FindDeletions: %v", err)
		}
		for _, d := range list {
			if d.ErasureID != id {
				t.Errorf("receipt %s names erasure %s, want %s", d.ID.UUID(), d.ErasureID.UUID(), id.UUID())
			}
			if out[d.ConversationID] != nil {
				t.Errorf("conversation %s deleted twice", d.ConversationID.UUID())
			}
			out[d.ConversationID] = d
		}
		if !more {
			return out
		}
		filter.After = list[len(list)-1].ID
	}
}

func testErasureValidation(t *testing.T, f *fixture) {
	for _, tc := range []struct {
		name  string
		c     *convstore.ErasureCreate
		field string
	}{
		{"empty", &convstore.ErasureCreate{}, "selector"},
		{"empty dry run", &convstore.ErasureCreate{DryRun: true, IncludeNew: true}, "selector"},
		{"empty external id", &convstore.ErasureCreate{Selector: convstore.ErasureSelector{ExternalIDs: []string{"x", ""}}}, "selector.external_ids[1]"},
		{"long user", &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: string(make([]byte, convstore.MaxExternalLen+1))}}, "selector.user_id"},
	} {
		_, err := f.Store.CreateErasure(f.ctx, f.tenant.ID, tc.c, f.params)
		if convstore.ErrorCode(err) != convstore.EINVALID || convstore.ErrorField(err) != tc.field {
			t.Errorf("%s: err = %v; want EINVALID of %s", tc.name, err, tc.field)
		}
	}
	list, _, err := f.Store.FindErasures(f.ctx, f.tenant.ID, convstore.ErasureFilter{})
	if err != nil || len(list) != 0 {
		t.Errorf("after refused creates: %d jobs, %v; want none", len(list), err)
	}
}

func testErasureDryRun(t *testing.T, f *fixture) {
	var mine []*convstore.Conversation
	for range 3 {
		mine = append(mine, erasureConv(t, f, &convstore.ConversationCreate{UserID: "dry-user"}))
	}
	other := erasureConv(t, f, &convstore.ConversationCreate{UserID: "someone-else"})
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "dry-user"}, DryRun: true})
	if e.State != convstore.ErasureSucceeded || !e.DryRun || e.FinishedAt == nil {
		t.Errorf("dry run: state %s, dry %v, finished %v; want succeeded, finished", e.State, e.DryRun, e.FinishedAt)
	}
	if e.Total != perConv(3) || e.Done != (convstore.ErasureCounts{}) {
		t.Errorf("dry run: total %+v, done %+v; want %+v and none", e.Total, e.Done, perConv(3))
	}
	if !e.Selector.UserID || e.Selector.AgentID != "" {
		t.Errorf("summary %+v; want a user id and no agent", e.Selector)
	}
	if got := alive(t, f, append(mine, other)...); slices.Contains(got, false) {
		t.Errorf("a dry run deleted: alive %v", got)
	}
	if got := mustErasure(t, f, e.ID); got.State != convstore.ErasureSucceeded || got.Total != e.Total {
		t.Errorf("read back: %+v", got)
	}
	if r, ok := f.Store.(erasureRunner); ok {
		mustRunErasures(t, f, r, service.ErasureRunOptions{})
		if got := alive(t, f, append(mine, other)...); slices.Contains(got, false) {
			t.Errorf("a dry run deleted once run: alive %v", got)
		}
	}
	entries := MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID)
	if !slices.ContainsFunc(entries, func(a *convstore.AuditEntry) bool {
		return a.Action == convstore.AuditErasureCreate && a.TargetID == e.ID && a.ActorKeyID == f.params.ActorKeyID
	}) {
		t.Errorf("no erasure.create audit entry for the dry run")
	}
}

func testErasureIsolation(t *testing.T, f *fixture) {
	erasureConv(t, f, &convstore.ConversationCreate{UserID: "shared-user"})
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "shared-user"}})
	foreign, key := MustCreateTenant(t, f.ctx, f.Store, uniqueName("foreign"))
	theirs, _ := MustCreateConversation(t, f.ctx, f.Store, foreign.ID, &convstore.ConversationCreate{UserID: "shared-user"})
	p := convstore.DeleteParams{ActorKeyID: key.ID, Door: "servicetest", RequestID: uniqueName("req")}
	if _, err := f.Store.FindErasureByID(f.ctx, foreign.ID, e.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("foreign FindErasureByID: %v; want ENOTFOUND", err)
	}
	if _, err := f.Store.CancelErasure(f.ctx, foreign.ID, e.ID, p); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("foreign CancelErasure: %v; want ENOTFOUND", err)
	}
	if list, _, err := f.Store.FindErasures(f.ctx, foreign.ID, convstore.ErasureFilter{}); err != nil || len(list) != 0 {
		t.Errorf("foreign FindErasures: %d, %v; want none", len(list), err)
	}
	if r, ok := f.Store.(erasureRunner); ok {
		mustRunErasures(t, f, r, service.ErasureRunOptions{})
		if _, err := f.Store.FindConversationByID(f.ctx, foreign.ID, theirs.ID); err != nil {
			t.Errorf("another tenant's conversation of the same user id: %v; want kept", err)
		}
		if got := mustErasure(t, f, e.ID); got.State != convstore.ErasureSucceeded || got.Done != perConv(1) {
			t.Errorf("job: %s, done %+v; want succeeded, %+v", got.State, got.Done, perConv(1))
		}
	}
}

func testErasureCancelQueued(t *testing.T, f *fixture) {
	conv := erasureConv(t, f, &convstore.ConversationCreate{AgentID: "cancel-agent"})
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{AgentID: "cancel-agent"}})
	if e.State != convstore.ErasureQueued || e.Total != perConv(1) {
		t.Fatalf("created: %s, total %+v; want queued, %+v", e.State, e.Total, perConv(1))
	}
	got, err := f.Store.CancelErasure(f.ctx, f.tenant.ID, e.ID, f.params)
	if err != nil {
		t.Fatalf("CancelErasure: %v", err)
	}
	if got.State != convstore.ErasureCanceled || !got.CancelRequested || got.FinishedAt == nil {
		t.Errorf("canceled: %s, requested %v, finished %v; want canceled", got.State, got.CancelRequested, got.FinishedAt)
	}
	if r, ok := f.Store.(erasureRunner); ok {
		mustRunErasures(t, f, r, service.ErasureRunOptions{})
	}
	if a := alive(t, f, conv); !a[0] {
		t.Errorf("a canceled job deleted")
	}
	// Canceling again changes nothing and writes no second entry.
	if _, err := f.Store.CancelErasure(f.ctx, f.tenant.ID, e.ID, f.params); err != nil {
		t.Fatalf("second CancelErasure: %v", err)
	}
	n := 0
	for _, a := range MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID) {
		if a.Action == convstore.AuditErasureCancel && a.TargetID == e.ID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d erasure.cancel entries; want 1", n)
	}
}

func testErasureSelectors(t *testing.T, f *fixture) {
	r := runnerOf(t, f.Store)
	if f.Clock == nil {
		t.Skip("created_before needs a clock the test moves")
	}
	creates := []*convstore.ConversationCreate{
		{UserID: "sel-old", Metadata: convstore.Metadata{"k": "other"}},
		{UserID: "sel-u1", AgentID: "sel-a1", ExternalID: "sel-x1"},
		{UserID: "sel-u1", AgentID: "sel-a2", ExternalID: "sel-x2"},
		{UserID: "sel-u2", AgentID: "sel-a1", Metadata: convstore.Metadata{"k": "v", "j": "w"}},
		{UserID: "sel-u3", ExternalID: "sel-x3", Metadata: convstore.Metadata{"k": "v"}},
	}
	all := make([]*convstore.Conversation, len(creates))
	all[0] = erasureConv(t, f, creates[0])
	f.Clock.Advance(2 * time.Hour)
	cut := f.Clock.Now().Add(-time.Hour).Truncate(time.Second)
	for i := 1; i < len(creates); i++ {
		all[i] = erasureConv(t, f, creates[i])
	}
	cases := []struct {
		name string
		sel  convstore.ErasureSelector
		gone []int // indexes into all
	}{
		{"user_id", convstore.ErasureSelector{UserID: "sel-u1"}, []int{1, 2}},
		{"agent_id", convstore.ErasureSelector{AgentID: "sel-a1"}, []int{1, 3}},
		{"external_ids", convstore.ErasureSelector{ExternalIDs: []string{"sel-x3", "sel-x1", "sel-missing"}}, []int{1, 4}},
		{"external_ids and user_id", convstore.ErasureSelector{ExternalIDs: []string{"sel-x1", "sel-x3"}, UserID: "sel-u3"}, []int{4}},
		{"metadata", convstore.ErasureSelector{Metadata: convstore.Metadata{"k": "v"}}, []int{3, 4}},
		{"metadata and agent_id", convstore.ErasureSelector{Metadata: convstore.Metadata{"k": "v"}, AgentID: "sel-a1"}, []int{3}},
		{"created_before", convstore.ErasureSelector{CreatedBefore: &cut}, []int{0}}, // last: the old one cannot be made again
	}
	for _, tc := range cases {
		want := perConv(len(tc.gone))
		dry := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: tc.sel, DryRun: true})
		if dry.Total != want {
			t.Errorf("%s: dry run total %+v; want %+v", tc.name, dry.Total, want)
		}
		e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: tc.sel})
		mustRunErasures(t, f, r, service.ErasureRunOptions{})
		got := mustErasure(t, f, e.ID)
		if got.State != convstore.ErasureSucceeded || got.Done != want || got.Total != want {
			t.Errorf("%s: %s, done %+v of %+v; want succeeded, %+v", tc.name, got.State, got.Done, got.Total, want)
		}
		receipts := jobReceipts(t, f, e.ID)
		if len(receipts) != len(tc.gone) {
			t.Errorf("%s: %d receipts; want %d", tc.name, len(receipts), len(tc.gone))
		}
		for i, a := range alive(t, f, all...) {
			erased := slices.Contains(tc.gone, i)
			if a == erased {
				t.Errorf("%s: conversation %d alive %v; want %v", tc.name, i, a, !erased)
			}
			if erased && receipts[all[i].ID] == nil {
				t.Errorf("%s: conversation %d has no receipt of the job", tc.name, i)
			}
		}
		// The same world for the next case: made again once the
		// tombstones of the erased external ids have expired.
		f.Clock.Advance(service.DefaultTombstoneRetention + time.Hour)
		for _, i := range tc.gone {
			if i > 0 {
				all[i] = erasureConv(t, f, creates[i])
			}
		}
	}
	finishes := 0
	for _, a := range MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID) {
		if a.Action == convstore.AuditErasureFinish {
			finishes++
		}
	}
	if finishes != len(cases) {
		t.Errorf("%d erasure.finish entries; want %d", finishes, len(cases))
	}
}

func testErasureSnapshot(t *testing.T, f *fixture) {
	r := runnerOf(t, f.Store)
	before := erasureConv(t, f, &convstore.ConversationCreate{UserID: "snap-user"})
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "snap-user"}})
	withNew := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{AgentID: "snap-agent"}, IncludeNew: true})
	after := erasureConv(t, f, &convstore.ConversationCreate{UserID: "snap-user"})
	newAgent := erasureConv(t, f, &convstore.ConversationCreate{AgentID: "snap-agent"})
	mustRunErasures(t, f, r, service.ErasureRunOptions{})
	if got := alive(t, f, before, after, newAgent); !slices.Equal(got, []bool{false, true, false}) {
		t.Errorf("alive (before, after the snapshot, new with include_new) = %v; want [false true false]", got)
	}
	if got := mustErasure(t, f, e.ID); got.Done != perConv(1) || got.State != convstore.ErasureSucceeded {
		t.Errorf("job: %s, done %+v; want succeeded, one conversation", got.State, got.Done)
	}
	if got := mustErasure(t, f, withNew.ID); got.Done != perConv(1) || got.Total != (convstore.ErasureCounts{}) {
		t.Errorf("include_new job: done %+v of %+v; want one done of none counted", got.Done, got.Total)
	}
}

func testErasureCancelRunning(t *testing.T, f *fixture) {
	r := runnerOf(t, f.Store)
	var convs []*convstore.Conversation
	for range 4 {
		convs = append(convs, erasureConv(t, f, &convstore.ConversationCreate{UserID: "cancel-user"}))
	}
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "cancel-user"}})
	seen := 0
	mustRunErasures(t, f, r, service.ErasureRunOptions{Batch: 1, Refuse: func(_, _ convstore.ID) error {
		if seen++; seen == 2 {
			if _, err := f.Store.CancelErasure(f.ctx, f.tenant.ID, e.ID, f.params); err != nil {
				t.Errorf("CancelErasure: %v", err)
			}
		}
		return nil
	}})
	got := mustErasure(t, f, e.ID)
	if got.State != convstore.ErasureCanceled || got.Done != perConv(2) || got.FinishedAt == nil {
		t.Errorf("job: %s, done %+v; want canceled after 2", got.State, got.Done)
	}
	if a := alive(t, f, convs...); !slices.Equal(a, []bool{false, false, true, true}) {
		t.Errorf("alive %v; want the first two erased", a)
	}
}

func testErasureHeld(t *testing.T, f *fixture) {
	r := runnerOf(t, f.Store)
	var convs []*convstore.Conversation
	for range 3 {
		convs = append(convs, erasureConv(t, f, &convstore.ConversationCreate{UserID: "held-user"}))
	}
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "held-user"}})
	held := convs[1].ID
	mustRunErasures(t, f, r, service.ErasureRunOptions{Refuse: func(_, id convstore.ID) error {
		if id == held {
			return convstore.Errorf(convstore.ECONFLICT, "the conversation is under a legal hold")
		}
		return nil
	}})
	got := mustErasure(t, f, e.ID)
	if got.State != convstore.ErasureSucceeded || got.Held != 1 || got.Done != perConv(2) {
		t.Errorf("job: %s, held %d, done %+v; want succeeded, 1 held, 2 done", got.State, got.Held, got.Done)
	}
	if a := alive(t, f, convs...); !slices.Equal(a, []bool{false, true, false}) {
		t.Errorf("alive %v; want only the held one", a)
	}
}

func testErasureResume(t *testing.T, f *fixture) {
	r := runnerOf(t, f.Store)
	if f.NewNode == nil || f.Clock == nil {
		t.Skip("no second node, or no clock to run a lease out")
	}
	var convs []*convstore.Conversation
	for range 5 {
		convs = append(convs, erasureConv(t, f, &convstore.ConversationCreate{UserID: "resume-user"}))
	}
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "resume-user"}})
	// The first runner dies after 3 deletes, one past its last commit
	// (batches of 2), holding its lease.
	mustRunErasures(t, f, r, service.ErasureRunOptions{Batch: 2, StopAfter: 3})
	mid := mustErasure(t, f, e.ID)
	if mid.State != convstore.ErasureRunning || mid.Done != perConv(2) {
		t.Fatalf("after the crash: %s, done %+v; want running, 2 committed", mid.State, mid.Done)
	}
	// Another node finds the job leased until the lease runs out.
	node := runnerOf(t, f.NewNode(t))
	if n := mustRunErasures(t, f, node, service.ErasureRunOptions{}); n != 0 {
		t.Errorf("a leased job was run by another node (%d)", n)
	}
	f.Clock.Advance(service.DefaultErasureLease + time.Second)
	if n := mustRunErasures(t, f, node, service.ErasureRunOptions{Batch: 2}); n != 1 {
		t.Errorf("the resumed run ended %d jobs; want 1", n)
	}
	got := mustErasure(t, f, e.ID)
	if got.State != convstore.ErasureSucceeded || got.Done != perConv(5) || got.Total != perConv(5) {
		t.Errorf("resumed: %s, done %+v of %+v; want succeeded, all 5", got.State, got.Done, got.Total)
	}
	if rc := jobReceipts(t, f, e.ID); len(rc) != 5 {
		t.Errorf("%d receipts; want 5, one per conversation", len(rc))
	}
	if a := alive(t, f, convs...); slices.Contains(a, true) {
		t.Errorf("alive %v; want all erased", a)
	}
}

func testErasureTwoNodes(t *testing.T, f *fixture) {
	if f.NewNode == nil {
		t.Skip("no second node")
	}
	nodes := []erasureRunner{runnerOf(t, f.Store), runnerOf(t, f.NewNode(t))}
	const jobs, per = 4, 5
	var ids []convstore.ID
	for j := range jobs {
		for range per {
			erasureConv(t, f, &convstore.ConversationCreate{UserID: "node-user-" + itoa(j)})
		}
		ids = append(ids, mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{
			Selector: convstore.ErasureSelector{UserID: "node-user-" + itoa(j)}}).ID)
	}
	var wg sync.WaitGroup
	ended := make([]int, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if ended[i], err = n.RunErasures(f.ctx, service.ErasureRunOptions{Batch: 2}); err != nil {
				t.Errorf("node %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ended[0]+ended[1] != jobs {
		t.Errorf("nodes ended %v jobs; want %d in all, each once", ended, jobs)
	}
	for _, id := range ids {
		got := mustErasure(t, f, id)
		if got.State != convstore.ErasureSucceeded || got.Done != perConv(per) {
			t.Errorf("job: %s, done %+v; want succeeded, %d", got.State, got.Done, per)
		}
		if rc := jobReceipts(t, f, id); len(rc) != per {
			t.Errorf("%d receipts; want %d", len(rc), per)
		}
	}
	finishes := 0
	for _, a := range MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID) {
		if a.Action == convstore.AuditErasureFinish {
			finishes++
		}
	}
	if finishes != jobs {
		t.Errorf("%d erasure.finish entries; want %d", finishes, jobs)
	}
}

// A runner whose lease ran out while it was slow (not dead) stops at its
// next conversation once another node has taken the job: nothing is
// deleted twice and the job ends once.
func testErasureLeaseLost(t *testing.T, f *fixture) {
	r := runnerOf(t, f.Store)
	if f.NewNode == nil || f.Clock == nil {
		t.Skip("no second node, or no clock to run a lease out")
	}
	other := runnerOf(t, f.NewNode(t))
	var convs []*convstore.Conversation
	for range 6 {
		convs = append(convs, erasureConv(t, f, &convstore.ConversationCreate{UserID: "zombie-user"}))
	}
	e := mustCreateErasure(t, f, f.Store, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: "zombie-user"}})
	calls, otherEnded := 0, 0
	ended := mustRunErasures(t, f, r, service.ErasureRunOptions{Batch: 4, Refuse: func(_, _ convstore.ID) error {
		if calls++; calls == 2 {
			// The first runner stalls past its lease; the other node
			// takes the job over and finishes it meanwhile.
			f.Clock.Advance(service.DefaultErasureLease + time.Second)
			otherEnded = mustRunErasures(t, f, other, service.ErasureRunOptions{Batch: 4})
		}
		return nil
	}})
	if ended != 0 || otherEnded != 1 {
		t.Errorf("jobs ended: %d by the stalled runner, %d by the other; want 0 and 1", ended, otherEnded)
	}
	got := mustErasure(t, f, e.ID)
	if got.State != convstore.ErasureSucceeded || got.Done != perConv(6) {
		t.Errorf("job: %s, done %+v; want succeeded, all 6", got.State, got.Done)
	}
	if rc := jobReceipts(t, f, e.ID); len(rc) != 6 {
		t.Errorf("%d receipts; want 6, one per conversation", len(rc))
	}
	if a := alive(t, f, convs...); slices.Contains(a, true) {
		t.Errorf("alive %v; want all erased", a)
	}
	finishes := 0
	for _, a := range MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID) {
		if a.Action == convstore.AuditErasureFinish && a.TargetID == e.ID {
			finishes++
		}
	}
	if finishes != 1 {
		t.Errorf("%d erasure.finish entries; want 1", finishes)
	}
}
