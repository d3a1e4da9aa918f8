package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/seal"
)

// testTimeout bounds every subtest's context, so a deadlocked engine fails
// the test instead of hanging the whole run.
const testTimeout = 60 * time.Second

// fixture is the setup bundle of one subtest: a fresh harness, a context and
// one tenant with its bootstrap admin key.
type fixture struct {
	*Harness
	ctx    context.Context
	tenant *convstore.Tenant
	key    *convstore.NewKey
	params convstore.DeleteParams // who deletes, as recorded in receipts
}

// setup opens a fresh harness through newHarness and creates one tenant.
func setup(tb testing.TB, newHarness NewHarnessFunc) *fixture {
	tb.Helper()
	h := newHarness(tb)
	if h == nil || h.Store == nil || h.Blobs == nil || h.RowCounts == nil || h.ConversationRows == nil || h.NewStore == nil || h.SweepAccessTokens == nil {
		tb.Fatalf("newHarness returned an incomplete harness: %+v", h)
	}
	for name, why := range h.Skip {
		if n := tb.Name(); strings.HasSuffix(n, "/"+name) || strings.Contains(n, "/"+name+"/") {
			tb.Skipf("this store cannot run %s: %s", name, why)
		}
	}
	if h.WaitBlobRemovals != nil {
		settled := *h
		settled.Blobs = settlingBlobs{h.Blobs, h.WaitBlobRemovals}
		h = &settled
	}
	f := &fixture{Harness: h, ctx: testCtx(tb)}
	f.tenant, f.key = MustCreateTenant(tb, f.ctx, h.Store, uniqueName("tenant"))
	f.params = convstore.DeleteParams{ActorKeyID: f.key.ID, RequestID: uniqueName("req"), Door: "servicetest", ClientRequestID: uniqueName("client-req")}
	return f
}

// settlingBlobs is a blob store whose listing first waits for the
// engine's background removals, so the suite sees what a delete left.
type settlingBlobs struct {
	convstore.BlobStore
	wait func(ctx context.Context) error
}

func (s settlingBlobs) Keys(ctx context.Context, fn func(key string) error) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.BlobStore.Keys(ctx, fn)
}

// testCtx returns a context cancelled at the end of the test or after
// testTimeout.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	tb.Cleanup(cancel)
	return ctx
}

// uniqueName returns prefix followed by a process-unique suffix.
func uniqueName(prefix string) string {
	return prefix + "-" + convstore.NewID().Base32()
}

// randomID returns a fresh ID that no engine can have stored.
func randomID() convstore.ID { return convstore.NewID() }

// operator is the actor of the suite's tenant creations: an operator (no
// key) working through the door "servicetest".
var operator = convstore.DeleteParams{Door: "servicetest"}

// MustCreateTenant creates a tenant (as operator) and fails the test on
// error.
func MustCreateTenant(tb testing.TB, ctx context.Context, s convstore.Store, name string) (*convstore.Tenant, *convstore.NewKey) {
	tb.Helper()
	tenant, key, err := s.CreateTenant(ctx, name, operator)
	if err != nil {
		tb.Fatalf("CreateTenant(%q): %v", name, err)
	}
	if tenant == nil || key == nil {
		tb.Fatalf("CreateTenant(%q) returned nil tenant or key without error", name)
	}
	return tenant, key
}

// MustCreateConversation creates a conversation and fails the test on error.
func MustCreateConversation(tb testing.TB, ctx context.Context, s convstore.Store, tenantID convstore.ID, c *convstore.ConversationCreate) (*convstore.Conversation, []*convstore.Message) {
	tb.Helper()
	if c == nil {
		c = &convstore.ConversationCreate{Title: uniqueName("title")}
	}
	conv, msgs, err := s.CreateConversation(ctx, tenantID, c)
	if err != nil {
		tb.Fatalf("CreateConversation: %v", err)
	}
	if conv == nil {
		tb.Fatalf("CreateConversation returned a nil conversation without error")
	}
	if len(msgs) != len(c.Messages) {
		tb.Fatalf("CreateConversation returned %d messages, want %d", len(msgs), len(c.Messages))
	}
	return conv, msgs
}

// MustFindConversation reads a conversation back and fails the test on error.
func MustFindConversation(tb testing.TB, ctx context.Context, s convstore.Store, tenantID, id convstore.ID) *convstore.Conversation {
	tb.Helper()
	conv, err := s.FindConversationByID(ctx, tenantID, id)
	if err != nil {
		tb.Fatalf("FindConversationByID: %v", err)
	}
	return conv
}

// MustCreateMessages appends messages and fails the test on error.
func MustCreateMessages(tb testing.TB, ctx context.Context, s convstore.Store, tenantID, convID convstore.ID, batch []*convstore.MessageCreate) []*convstore.Message {
	tb.Helper()
	msgs, err := s.CreateMessages(ctx, tenantID, convID, batch)
	if err != nil {
		tb.Fatalf("CreateMessages: %v", err)
	}
	if len(msgs) != len(batch) {
		tb.Fatalf("CreateMessages returned %d messages, want %d", len(msgs), len(batch))
	}
	return msgs
}

// MustCreateArtifact creates an artifact and fails the test on error.
func MustCreateArtifact(tb testing.TB, ctx context.Context, s convstore.Store, tenantID, convID convstore.ID, c *convstore.ArtifactCreate) *convstore.Artifact {
	tb.Helper()
	a, err := s.CreateArtifact(ctx, tenantID, convID, c)
	if err != nil {
		tb.Fatalf("CreateArtifact: %v", err)
	}
	if a == nil {
		tb.Fatalf("CreateArtifact returned nil without error")
	}
	return a
}

// MustPutAttachment stores body under name and fails the test on error.
func MustPutAttachment(tb testing.TB, ctx context.Context, s convstore.Store, tenantID, convID convstore.ID, name string, body []byte) *convstore.Attachment {
	tb.Helper()
	a, err := s.PutAttachment(ctx, tenantID, convID, &convstore.AttachmentPut{Name: name, Body: bytes.NewReader(body)})
	if err != nil {
		tb.Fatalf("PutAttachment(%q): %v", name, err)
	}
	if a == nil {
		tb.Fatalf("PutAttachment(%q) returned nil without error", name)
	}
	return a
}

// MustReadAttachment opens an attachment and returns its bytes.
func MustReadAttachment(tb testing.TB, ctx context.Context, s convstore.Store, tenantID, convID convstore.ID, name string) (*convstore.Attachment, []byte) {
	tb.Helper()
	a, rc, err := s.OpenAttachment(ctx, tenantID, convID, name)
	if err != nil {
		tb.Fatalf("OpenAttachment(%q): %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("reading attachment %q: %v", name, err)
	}
	return a, b
}

// MustDeleteConversation deletes a conversation and fails the test on error.
func MustDeleteConversation(tb testing.TB, ctx context.Context, s convstore.Store, tenantID, id convstore.ID, p convstore.DeleteParams) *convstore.Deletion {
	tb.Helper()
	d, err := s.DeleteConversation(ctx, tenantID, id, p)
	if err != nil {
		tb.Fatalf("DeleteConversation: %v", err)
	}
	if d == nil {
		tb.Fatalf("DeleteConversation returned a nil receipt without error")
	}
	return d
}

// MustRowCounts returns the harness's row counts.
func MustRowCounts(tb testing.TB, ctx context.Context, h *Harness) map[string]int {
	tb.Helper()
	m, err := h.RowCounts(ctx)
	if err != nil {
		tb.Fatalf("RowCounts: %v", err)
	}
	return m
}

// MustConversationRows returns the harness's per-table rows of a conversation.
func MustConversationRows(tb testing.TB, ctx context.Context, h *Harness, id convstore.ID) map[string]int {
	tb.Helper()
	m, err := h.ConversationRows(ctx, id)
	if err != nil {
		tb.Fatalf("ConversationRows: %v", err)
	}
	return m
}

// MustBlobKeys returns every key in the blob store, sorted.
func MustBlobKeys(tb testing.TB, ctx context.Context, blobs convstore.BlobStore) []string {
	tb.Helper()
	var keys []string
	if err := blobs.Keys(ctx, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		tb.Fatalf("Blobs.Keys: %v", err)
	}
	slices.Sort(keys)
	return keys
}

// MustBlobContents returns the bytes of every blob in the store.
func MustBlobContents(tb testing.TB, ctx context.Context, blobs convstore.BlobStore) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, k := range MustBlobKeys(tb, ctx, blobs) {
		rc, err := blobs.Open(ctx, k)
		if err != nil {
			tb.Fatalf("Blobs.Open(%q) of a listed key: %v", k, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("reading blob %q: %v", k, err)
		}
		out = append(out, b)
	}
	return out
}

// MustAuditEntries returns all of a tenant's audit entries, newest first.
func MustAuditEntries(tb testing.TB, ctx context.Context, s convstore.Store, tenantID convstore.ID) []*convstore.AuditEntry {
	tb.Helper()
	return mustListAll(tb, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.AuditEntry, bool, error) {
		return s.FindAuditEntries(ctx, tenantID, convstore.AuditFilter{PageFilter: p})
	}, func(a *convstore.AuditEntry) convstore.ID { return a.ID }, convstore.OrderDesc)
}

// wantCode fails the test unless err carries the given code.
func wantCode(tb testing.TB, err error, code, what string) {
	tb.Helper()
	if got := convstore.ErrorCode(err); got != code {
		tb.Fatalf("%s: error code = %q (err = %v), want %q", what, got, err, code)
	}
}

// checkCode reports (without stopping) unless err carries the given code.
func checkCode(tb testing.TB, err error, code, what string) bool {
	tb.Helper()
	if got := convstore.ErrorCode(err); got != code {
		tb.Errorf("%s: error code = %q (err = %v), want %q", what, got, err, code)
		return false
	}
	return true
}

// wantInvalid fails the test unless err is EINVALID naming field.
func wantInvalid(tb testing.TB, err error, field, what string) {
	tb.Helper()
	wantCode(tb, err, convstore.EINVALID, what)
	if got := convstore.ErrorField(err); got != field {
		tb.Fatalf("%s: error field = %q (err = %v), want %q", what, got, err, field)
	}
}

// sameError reports unless got and want have the same code, message, field
// and text: an error must not reveal whether an id exists elsewhere.
func sameError(tb testing.TB, what string, got, want error) {
	tb.Helper()
	if got == nil || want == nil {
		tb.Errorf("%s: got err %v, reference err %v; both must be errors", what, got, want)
		return
	}
	if convstore.ErrorCode(got) != convstore.ErrorCode(want) ||
		convstore.ErrorMessage(got) != convstore.ErrorMessage(want) ||
		convstore.ErrorField(got) != convstore.ErrorField(want) ||
		got.Error() != want.Error() {
		tb.Errorf("%s: error for a foreign id %q differs from the error for a never-existing id %q", what, got, want)
	}
}

// textMessages returns n user/assistant text messages whose contents start
// with prefix and are numbered.
func textMessages(prefix string, n int) []*convstore.MessageCreate {
	out := make([]*convstore.MessageCreate, n)
	for i := range out {
		role := convstore.RoleUser
		if i%2 == 1 {
			role = convstore.RoleAssistant
		}
		out[i] = &convstore.MessageCreate{Role: role, Content: fmt.Sprintf("%s #%03d", prefix, i)}
	}
	return out
}

// snapshot renders v as JSON, for comparing whole values before and after.
func snapshot(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return string(b)
}

// jsonEqual reports whether two JSON values are semantically equal; two
// empty values are equal.
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return snapshotAny(x) == snapshotAny(y)
}

func snapshotAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// metadataEqual compares maps, treating nil and empty as equal.
func metadataEqual(a, b convstore.Metadata) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// idsEqual compares ID slices, treating nil and empty as equal.
func idsEqual(a, b []convstore.ID) bool {
	return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b))
}

// checkRecent reports unless ts is set and within a minute of now: engines
// must store real wall-clock times.
func checkRecent(tb testing.TB, what string, ts time.Time) {
	tb.Helper()
	if ts.IsZero() {
		tb.Errorf("%s is zero", what)
		return
	}
	if d := time.Since(ts); d < -time.Minute || d > time.Minute {
		tb.Errorf("%s = %v, not within a minute of now", what, ts)
	}
}

// checkNoContent reports if any of the content strings appears in the
// rendering of v (a receipt or audit entry).
func checkNoContent(tb testing.TB, what string, v any, content ...string) {
	tb.Helper()
	s := fmt.Sprintf("%+v", v)
	for _, c := range content {
		if c != "" && strings.Contains(s, c) {
			tb.Errorf("%s contains content %q: %s", what, c, s)
		}
	}
}

// findAudit returns the tenant's audit entries with the given action and
// target.
func findAudit(entries []*convstore.AuditEntry, action string, target convstore.ID) []*convstore.AuditEntry {
	var out []*convstore.AuditEntry
	for _, e := range entries {
		if e.Action == action && e.TargetID == target {
			out = append(out, e)
		}
	}
	return out
}

// checkAudit reports unless exactly one audit entry records action on
// target in conversation convID with the delete params p (as h's store
// records them, see Harness.ServerDoor).
func checkAudit(tb testing.TB, ctx context.Context, h *Harness, tenantID convstore.ID, action string, convID, target convstore.ID, p convstore.DeleteParams) *convstore.AuditEntry {
	tb.Helper()
	got := findAudit(MustAuditEntries(tb, ctx, h.Store, tenantID), action, target)
	if len(got) != 1 {
		tb.Errorf("audit entries with action %q and target %s: got %d, want 1", action, target.UUID(), len(got))
		return nil
	}
	e := got[0]
	if e.ID.IsZero() || e.TenantID != tenantID || e.ConversationID != convID ||
		!h.recordsActor(p, e.ActorKeyID, e.Door, e.RequestID, e.ClientRequestID) {
		tb.Errorf("audit entry %+v: want tenant %s, conversation %s, actor %s",
			e, tenantID.UUID(), convID.UUID(), h.describeActor(p))
	}
	checkRecent(tb, "audit entry CreatedAt", e.CreatedAt)
	return e
}

// recordsActor reports whether a receipt or audit entry records the actor
// p of a call as h's store records it: as passed, or (see
// Harness.ServerDoor) with the server's door and its own request id.
func (h *Harness) recordsActor(p convstore.DeleteParams, actor convstore.ID, door, requestID, clientRequestID string) bool {
	if actor != p.ActorKeyID || clientRequestID != p.ClientRequestID {
		return false
	}
	if h.ServerDoor == "" || p.ActorKeyID.IsZero() {
		return door == p.Door && requestID == p.RequestID
	}
	return door == h.ServerDoor && requestID != "" && requestID != p.RequestID && requestID != p.ClientRequestID
}

// describeActor renders what recordsActor expects of p, for messages.
func (h *Harness) describeActor(p convstore.DeleteParams) string {
	if h.ServerDoor == "" || p.ActorKeyID.IsZero() {
		return fmt.Sprintf("%s, door %q, request %q, client request %q", p.ActorKeyID.UUID(), p.Door, p.RequestID, p.ClientRequestID)
	}
	return fmt.Sprintf("%s, door %q, a request id of the server's, client request %q", p.ActorKeyID.UUID(), h.ServerDoor, p.ClientRequestID)
}

// sumCounts adds up a row-count map.
func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// nonZero returns the entries of m that are not zero.
func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// SameBlob reports whether stored (as the blob store holds it) is plain's
// bytes: plain itself, or plain sealed (a sealed stream of its size; the
// suites' bodies differ in size where it matters).
func SameBlob(stored, plain []byte) bool {
	return bytes.Equal(stored, plain) ||
		seal.IsSealed(stored) && int64(len(stored)) == seal.CiphertextSize(int64(len(plain)))
}
