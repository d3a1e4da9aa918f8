// Package drivertest is the conformance suite every driver.Driver passes:
// each named operation against a fresh database, with the tenant in every
// WHERE clause (another tenant's row answers exactly like a missing one),
// the conflicts each operation reports, counted cascades, and claims of
// background work under concurrency. The service suite
// (service/servicetest) then checks the rules built on top.
package drivertest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Harness is what a driver's tests hand the suite for one test.
type Harness struct {
	// Driver is a driver on a fresh, empty database.
	Driver driver.Driver

	// RowCounts returns the number of rows of every table holding tenant
	// data, keyed by table name.
	RowCounts func(ctx context.Context) (map[string]int, error)

	// SingleWriter says the driver runs one write transaction at a time
	// (SQLite): the claim tests then check claims in turn instead of
	// side by side.
	SingleWriter bool

	// Close says the suite may close Driver (the close tests).
	Close bool
}

// NewHarnessFunc opens a fresh driver for one test and registers its
// clean-up.
type NewHarnessFunc func(tb testing.TB) *Harness

// Run runs every test of the suite, each on a fresh harness, in parallel.
func Run(t *testing.T, newHarness NewHarnessFunc) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Transactions", txTests},
		{"Tenants", tenantTests},
		{"Keys", keyTests},
		{"AccessTokens", tokenTests},
		{"Conversations", conversationTests},
		{"EndUsers", endUserTests},
		{"Messages", messageTests},
		{"Authors", authorTests},
		{"Artifacts", artifactTests},
		{"Digests", digestTests},
		{"Attachments", attachmentTests},
		{"Cascade", cascadeTests},
		{"BlobRemovals", removalTests},
		{"Receipts", receiptTests},
		{"ConversationKeys", convKeyTests},
		{"KeyRotation", keyRotationTests},
		{"Purge", purgeTests},
		{"Holds", holdTests},
		{"Tombstones", tombstoneTests},
		{"IdempotencyKeys", idempotencyTests},
		{"Retention", retentionTests},
		{"Erasures", erasureTests},
		{"Events", eventTests},
		{"Webhooks", webhookTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					h := newHarness(t)
					tc.fn(t, &fixture{Harness: h, ctx: testCtx(t), drv: h.Driver})
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, f *fixture)
}

// fixture is one test's driver and context.
type fixture struct {
	*Harness
	ctx context.Context
	drv driver.Driver
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// now is a time as drivers store it: UTC at the microsecond.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// write runs fn in a write transaction and fails the test on error.
func (f *fixture) write(tb testing.TB, fn func(ctx context.Context, tx driver.Tx) error) {
	tb.Helper()
	if err := f.drv.Write(f.ctx, driver.WriteParams{}, fn); err != nil {
		tb.Fatal(err)
	}
}

// try runs fn in a write transaction and returns its error.
func (f *fixture) try(fn func(ctx context.Context, tx driver.Tx) error) error {
	return f.drv.Write(f.ctx, driver.WriteParams{}, fn)
}

// tenant stores a tenant.
func (f *fixture) tenant(tb testing.TB) *convstore.Tenant {
	tb.Helper()
	t := &convstore.Tenant{ID: convstore.NewID(), Name: "t-" + convstore.NewID().Base32(), CreatedAt: now()}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.TenantInsert(ctx, t) })
	return t
}

// conversation stores a conversation of the tenant with fields set (its
// content "sealed", see row), and returns the row stored.
func (f *fixture) conversation(tb testing.TB, tenantID convstore.ID, mod func(c *convstore.Conversation)) *driver.ConversationRow {
	tb.Helper()
	id := convstore.NewID()
	t := now()
	c := &convstore.Conversation{ID: id, Seq: convstore.NewSeq(id), TenantID: tenantID, Title: "title", CreatedAt: t, UpdatedAt: t}
	if mod != nil {
		mod(c)
	}
	r := row(c)
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.ConversationInsert(ctx, r) })
	return r
}

// messages stores n messages in the conversation and returns them.
func (f *fixture) messages(tb testing.TB, tenantID, convID convstore.ID, n int) []*driver.MessageRow {
	tb.Helper()
	msgs := make([]*driver.MessageRow, n)
	for i := range msgs {
		msgs[i] = &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: convID, Role: convstore.RoleUser,
			Content: sealed("message " + itoa(i)), CreatedAt: now()}}
	}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: tenantID, ID: convID, Delta: n, UpdatedAt: now()}); err != nil {
			return err
		}
		return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: tenantID, ConversationID: convID, Messages: msgs})
	})
	return msgs
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// wantCode fails the test unless err has the code (and, for ENOTFOUND,
// the message of kind).
func wantCode(tb testing.TB, what string, err error, code string, kind ...string) {
	tb.Helper()
	if got := convstore.ErrorCode(err); got != code {
		tb.Errorf("%s: %v, want %s", what, err, code)
		return
	}
	if len(kind) > 0 && convstore.ErrorMessage(err) != convstore.ErrorMessage(convstore.NotFound(kind[0])) {
		tb.Errorf("%s: message %q, want %q", what, convstore.ErrorMessage(err), convstore.ErrorMessage(convstore.NotFound(kind[0])))
	}
}

// wantErr fails the test unless err is (or has the code and message of)
// want.
func wantErr(tb testing.TB, what string, err, want error) {
	tb.Helper()
	if errors.Is(err, want) {
		return
	}
	if convstore.ErrorCode(err) != convstore.ErrorCode(want) || convstore.ErrorMessage(err) != convstore.ErrorMessage(want) {
		tb.Errorf("%s: %v, want %v", what, err, want)
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// page is a first page of n rows in the order given.
func page(n int, desc bool) driver.Page { return driver.Page{Limit: n, Desc: desc} }

func ids[T any](items []T, id func(T) convstore.ID) []convstore.ID {
	out := make([]convstore.ID, len(items))
	for i, v := range items {
		out[i] = id(v)
	}
	return out
}

func sameIDs(a, b []convstore.ID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sealed stands for a value the service sealed: bytes a driver must store
// and return unchanged, here with a NUL and invalid UTF-8 (which a text
// column would refuse or alter).
func sealed(s string) string {
	if s == "" {
		return ""
	}
	return "\xf5\x00" + s
}

// blind stands for a blind index of value in field.
func blind(field, value string) []byte {
	if value == "" {
		return nil
	}
	return []byte(field + "\x00" + value)
}

// sealedMeta stands for sealed metadata; nil when empty.
func sealedMeta(m convstore.Metadata) []byte {
	if len(m) == 0 {
		return nil
	}
	b, _ := json.Marshal(m)
	return append([]byte{0xf5, 0}, b...)
}

// metaIndex stands for the pair index of m.
func metaIndex(m convstore.Metadata) []driver.MetaIndex {
	var out []driver.MetaIndex
	for k, v := range m {
		out = append(out, driver.MetaIndex{Key: blind("metadata_key", k), Pair: blind("metadata", k+"\x00"+v)})
	}
	return out
}

// listParams are the list parameters the service would pass for f.
func listParams(tenantID convstore.ID, f *convstore.ConversationFilter, p driver.Page) *driver.ConversationListParams {
	out := &driver.ConversationListParams{TenantID: tenantID, Filter: f, Page: p, UserIndex: blind("user_id", f.UserID)}
	for _, m := range metaIndex(f.Metadata) {
		out.MetaPairs = append(out.MetaPairs, m.Pair)
	}
	return out
}

// row is the stored form of c: its content sealed, with its indexes.
func row(c *convstore.Conversation) *driver.ConversationRow {
	r := &driver.ConversationRow{Conversation: *c, Meta: sealedMeta(c.Metadata), MetaIndex: metaIndex(c.Metadata),
		UserIndex: blind("user_id", c.UserID), ExternalIndex: blind("external_id", c.ExternalID)}
	r.Title, r.UserID, r.ExternalID, r.Metadata = sealed(c.Title), sealed(c.UserID), sealed(c.ExternalID), nil
	return r
}
