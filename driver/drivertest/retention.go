package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var retentionTests = []test{
	{"Policies", testRetentionPolicies},
	{"Claim", testRetentionClaim},
	{"ConversationsExpired", testConversationsExpired},
	{"ItemsExpired", testItemsExpired},
}

// testRetentionPolicies checks that policies replace each other whole,
// read back as stored (null rules included), default first, per tenant.
func testRetentionPolicies(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	at := now()
	policies := []*convstore.RetentionPolicy{
		{AgentID: "zeta", Attachments: &convstore.RetentionRule{Days: 7}, UpdatedAt: at},
		{AgentID: "", Conversations: &convstore.RetentionRule{Days: 30, Since: convstore.SinceLastActivity}, Artifacts: &convstore.RetentionRule{Days: 90}, UpdatedAt: at},
		{AgentID: "Alpha", Conversations: &convstore.RetentionRule{Days: 1, Since: convstore.SinceCreated}, UpdatedAt: at},
	}
	replace := func(tenantID convstore.ID, ps []*convstore.RetentionPolicy) {
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.RetentionPolicyReplace(ctx, tenantID, ps) })
	}
	replace(a.ID, policies)
	got, err := f.drv.Reads().RetentionPolicyList(f.ctx, a.ID)
	must(t, err)
	if len(got) != 3 || got[0].AgentID != "" || got[1].AgentID != "Alpha" || got[2].AgentID != "zeta" {
		t.Fatalf("policies %v, want the default, Alpha, zeta", agents(got))
	}
	def := got[0]
	if def.Conversations == nil || def.Conversations.Days != 30 || def.Conversations.Since != convstore.SinceLastActivity ||
		def.Attachments != nil || def.Artifacts == nil || def.Artifacts.Days != 90 || !def.UpdatedAt.Equal(at) {
		t.Errorf("default read back as %+v", def)
	}
	if z := got[2]; z.Conversations != nil || z.Attachments == nil || z.Attachments.Days != 7 || z.Artifacts != nil {
		t.Errorf("zeta read back as %+v", z)
	}
	if other, err := f.drv.Reads().RetentionPolicyList(f.ctx, b.ID); err != nil || len(other) != 0 {
		t.Fatalf("another tenant sees %d policies, %v", len(other), err)
	}
	tenants, err := f.drv.Reads().RetentionTenants(f.ctx)
	must(t, err)
	if len(tenants) != 1 || tenants[0] != a.ID {
		t.Errorf("RetentionTenants = %v, want only the tenant with policies", tenants)
	}
	replace(a.ID, policies[:1])
	if got, _ := f.drv.Reads().RetentionPolicyList(f.ctx, a.ID); len(got) != 1 || got[0].AgentID != "zeta" {
		t.Errorf("after replacing with one policy: %v", agents(got))
	}
	replace(a.ID, nil)
	if got, _ := f.drv.Reads().RetentionPolicyList(f.ctx, a.ID); len(got) != 0 {
		t.Errorf("after replacing with none: %v", agents(got))
	}
}

func agents(ps []*convstore.RetentionPolicy) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.AgentID
	}
	return out
}

// testRetentionClaim checks the per-tenant lease: one holder until it
// ends, then the next claimer.
func testRetentionClaim(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	t0 := now()
	claim := func(tenantID convstore.ID, at, until time.Time) bool {
		t.Helper()
		var ok bool
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			ok, err = tx.RetentionClaim(ctx, tenantID, at, until)
			return err
		})
		return ok
	}
	if !claim(a.ID, t0, t0.Add(time.Minute)) {
		t.Fatal("the first claim failed")
	}
	if claim(a.ID, t0.Add(30*time.Second), t0.Add(2*time.Minute)) {
		t.Error("a second claim inside the lease succeeded")
	}
	if !claim(b.ID, t0, t0.Add(time.Minute)) {
		t.Error("another tenant's lease is not independent")
	}
	if !claim(a.ID, t0.Add(time.Minute), t0.Add(3*time.Minute)) {
		t.Error("a claim once the lease ended failed")
	}
	if claim(a.ID, t0.Add(2*time.Minute), t0.Add(4*time.Minute)) {
		t.Error("the new lease did not hold")
	}
}

// testConversationsExpired checks the walk of expired conversations: by
// creation or last activity, agent filters, the cursor, the tenant.
func testConversationsExpired(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	base := now().Add(-100 * time.Hour)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	mk := func(tenantID convstore.ID, agent string, created, updated int) *driver.ConversationRow {
		return f.conversation(t, tenantID, func(c *convstore.Conversation) {
			c.AgentID, c.CreatedAt, c.UpdatedAt, c.MessageCount = agent, at(created), at(updated), created
		})
	}
	old1 := mk(a.ID, "bot", 1, 90)
	old2 := mk(a.ID, "other", 2, 3)
	old3 := mk(a.ID, "", 3, 4)
	young := mk(a.ID, "bot", 50, 51)
	mk(b.ID, "bot", 1, 2) // another tenant's
	walk := func(p driver.ExpiredParams) []convstore.ID {
		t.Helper()
		p.TenantID = a.ID
		if p.Limit == 0 {
			p.Limit = 10
		}
		rows, err := f.drv.Reads().ConversationExpired(f.ctx, &p)
		must(t, err)
		ids := make([]convstore.ID, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			if r.ConversationID != r.ID {
				t.Errorf("a conversation row's ConversationID %v is not its id %v", r.ConversationID, r.ID)
			}
		}
		return ids
	}
	eq := func(what string, got []convstore.ID, want ...*driver.ConversationRow) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
			return
		}
		for i := range want {
			if got[i] != want[i].ID {
				t.Errorf("%s: row %d is %v, want %v", what, i, got[i], want[i].ID)
			}
		}
	}
	eq("created before hour 10", walk(driver.ExpiredParams{Before: at(10)}), old1, old2, old3)
	eq("last active before hour 10", walk(driver.ExpiredParams{Before: at(10), LastActivity: true}), old2, old3)
	eq("agent bot", walk(driver.ExpiredParams{Before: at(60), OnlyAgent: true, AgentID: "bot"}), old1, young)
	eq("no agent", walk(driver.ExpiredParams{Before: at(60), OnlyAgent: true, AgentID: ""}), old3)
	eq("all but bot and other", walk(driver.ExpiredParams{Before: at(60), ExceptAgents: []string{"bot", "other"}}), old3)
	first := walk(driver.ExpiredParams{Before: at(60), Limit: 2})
	eq("first page", first, old1, old2)
	rows, err := f.drv.Reads().ConversationExpired(f.ctx, &driver.ExpiredParams{TenantID: a.ID, Before: at(60), Limit: 2})
	must(t, err)
	if rows[0].Messages != 1 || !rows[0].At.Equal(at(1)) {
		t.Errorf("row: messages %d at %v, want 1 at %v", rows[0].Messages, rows[0].At, at(1))
	}
	next := walk(driver.ExpiredParams{Before: at(60), After: driver.ExpiredCursor{At: rows[1].At, ID: rows[1].ID}})
	eq("after the first page", next, old3, young)
}

// testItemsExpired checks the walks of expired attachments and artifacts:
// their own creation, their conversation's agent, sizes, and the delete
// of an attachment by id.
func testItemsExpired(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	bot := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.AgentID = "bot" })
	other := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.AgentID = "other" })
	foreign := f.conversation(t, b.ID, func(c *convstore.Conversation) { c.AgentID = "bot" })
	att1 := f.attachment(t, a.ID, bot.ID, "one.wav", 100)
	att2 := f.attachment(t, a.ID, other.ID, "two.wav", 200)
	f.attachment(t, b.ID, foreign.ID, "three.wav", 300)
	art := &convstore.Artifact{ID: convstore.NewID(), ConversationID: bot.ID, Type: convstore.ArtifactSummary, Text: "s", CreatedAt: now()}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactInsert(ctx, a.ID, art) })
	later := now().Add(time.Hour)

	rows, err := f.drv.Reads().AttachmentExpired(f.ctx, &driver.ExpiredParams{TenantID: a.ID, Before: later, Limit: 10})
	must(t, err)
	if len(rows) != 2 || rows[0].ID != att1.ID || rows[0].ConversationID != bot.ID || rows[0].Size != 100 || rows[1].ID != att2.ID {
		t.Fatalf("expired attachments: %+v", rows)
	}
	rows, err = f.drv.Reads().AttachmentExpired(f.ctx, &driver.ExpiredParams{TenantID: a.ID, Before: later, ExceptAgents: []string{"bot"}, Limit: 10})
	must(t, err)
	if len(rows) != 1 || rows[0].ID != att2.ID {
		t.Errorf("expired attachments but bot's: %+v", rows)
	}
	rows, err = f.drv.Reads().AttachmentExpired(f.ctx, &driver.ExpiredParams{TenantID: a.ID, Before: att1.CreatedAt, Limit: 10})
	must(t, err)
	if len(rows) != 0 {
		t.Errorf("attachments created before the first: %+v", rows)
	}
	rows, err = f.drv.Reads().ArtifactExpired(f.ctx, &driver.ExpiredParams{TenantID: a.ID, Before: later, OnlyAgent: true, AgentID: "bot", Limit: 10})
	must(t, err)
	if len(rows) != 1 || rows[0].ID != art.ID || rows[0].ConversationID != bot.ID {
		t.Errorf("expired artifacts of bot: %+v", rows)
	}

	if err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.AttachmentDeleteByID(ctx, b.ID, bot.ID, att1.ID)
		return err
	}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("deleting another tenant's attachment by id: %v, want not found", err)
	}
	var gone *driver.AttachmentRow
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		gone, err = tx.AttachmentDeleteByID(ctx, a.ID, bot.ID, att1.ID)
		return err
	})
	if gone.BlobKey != att1.BlobKey || gone.Size != 100 {
		t.Errorf("deleted by id: %+v", gone)
	}
	if _, err := f.drv.Reads().AttachmentGetByName(f.ctx, a.ID, bot.ID, byName("one.wav")); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the attachment deleted by id is still there: %v", err)
	}
}
