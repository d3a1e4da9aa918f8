package servicetest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/convstore/convstore"
)

var auditTests = []subtest{
	{"KeyCreateAndRevoke", testAuditKeys},
	{"RefusedKeyActionsLeaveNoEntry", testAuditRefusedKeyActions},
	{"TenantCreate", testAuditTenantCreate},
	{"AttachmentReplace", testAuditAttachmentReplace},
	{"ClientRequestIDKeptApart", testAuditClientRequestID},
}

// testAuditKeys checks that creating and revoking a key each write one
// audit entry with the actor, door and both request ids, and no
// conversation.
func testAuditKeys(t *testing.T, f *fixture) {
	k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "audited", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	created := checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditKeyCreate, convstore.ID{}, k.ID, f.params)
	checkNoContent(t, "key.create audit entry", created, k.Secret, k.Secret[convstore.KeyPrefixLength:], "audited")

	revoker := f.params
	revoker.RequestID, revoker.ClientRequestID = uniqueName("req"), ""
	if err := f.Store.DeleteKey(f.ctx, f.tenant.ID, k.ID, revoker); err != nil {
		t.Fatal(err)
	}
	checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditKeyRevoke, convstore.ID{}, k.ID, revoker)
}

// testAuditRefusedKeyActions checks that a refused key action writes no
// audit entry: the entry shares the action's transaction.
func testAuditRefusedKeyActions(t *testing.T, f *fixture) {
	before := MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID)
	_, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "x", Scopes: []convstore.Scope{"root"}}, f.params)
	wantCode(t, err, convstore.EINVALID, "CreateKey with a bad scope")
	err = f.Store.DeleteKey(f.ctx, f.tenant.ID, f.key.ID, f.params)
	wantCode(t, err, convstore.ECONFLICT, "DeleteKey of the last admin key")
	err = f.Store.DeleteKey(f.ctx, f.tenant.ID, randomID(), f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteKey of a missing key")
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	_, err = f.Store.CreateKey(f.ctx, randomID(), &convstore.KeyCreate{Name: "x", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "CreateKey for a missing tenant")
	after := MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID)
	if len(after) != len(before) {
		t.Errorf("refused key actions wrote audit entries: %d before, %d after", len(before), len(after))
	}
	if n := len(MustAuditEntries(t, f.ctx, f.Store, other.ID)); n != 2 {
		t.Errorf("another tenant has %d audit entries, want its creation's 2", n)
	}
}

// testAuditTenantCreate checks the two entries a tenant's creation writes
// in the new tenant's log, for each way of creating one.
func testAuditTenantCreate(t *testing.T, f *fixture) {
	for _, c := range []struct {
		door   string
		create func(p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error)
	}{
		{"cli", func(p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
			return f.Store.CreateTenant(f.ctx, uniqueName("cli"), p)
		}},
		{"bootstrap", func(p convstore.DeleteParams) (*convstore.Tenant, *convstore.NewKey, error) {
			return f.Store.CreateTenantWithKey(f.ctx, uniqueName("boot"), randomHex(t, 32), p)
		}},
	} {
		p := convstore.DeleteParams{Door: c.door}
		tenant, key, err := c.create(p)
		if err != nil {
			t.Fatalf("creating a tenant via %s: %v", c.door, err)
		}
		entries := MustAuditEntries(t, f.ctx, f.Store, tenant.ID)
		if len(entries) != 2 {
			t.Fatalf("tenant created via %s: %d audit entries, want 2", c.door, len(entries))
		}
		created := checkAudit(t, f.ctx, f.Harness, tenant.ID, convstore.AuditTenantCreate, convstore.ID{}, tenant.ID, p)
		checkAudit(t, f.ctx, f.Harness, tenant.ID, convstore.AuditKeyCreate, convstore.ID{}, key.ID, p)
		checkNoContent(t, "tenant.create audit entry", created, tenant.Name, key.Secret)
	}
	// A refused creation (a taken name) writes nothing anywhere.
	before := MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID)
	_, _, err := f.Store.CreateTenant(f.ctx, f.tenant.Name, operator)
	wantCode(t, err, convstore.ECONFLICT, "CreateTenant with a taken name")
	if after := MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID); len(after) != len(before) {
		t.Errorf("a refused CreateTenant wrote audit entries")
	}
}

// testAuditAttachmentReplace checks that a put over an existing name
// writes one attachment.replace entry targeting the replaced attachment,
// and that a first put writes none.
func testAuditAttachmentReplace(t *testing.T, f *fixture) {
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	first, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{
		Name: "rec.wav", Body: bytes.NewReader([]byte("first take")), Actor: f.params})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(findActions(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID), convstore.AuditAttachmentReplace)); n != 0 {
		t.Fatalf("a first put wrote %d attachment.replace entries", n)
	}
	replacer := f.params
	replacer.RequestID, replacer.ClientRequestID = uniqueName("req"), uniqueName("client")
	second, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{
		Name: "rec.wav", Body: bytes.NewReader([]byte("second take")), Actor: replacer})
	if err != nil {
		t.Fatal(err)
	}
	e := checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditAttachmentReplace, conv.ID, first.ID, replacer)
	checkNoContent(t, "attachment.replace audit entry", e, "first take", "second take", "rec.wav")
	if len(findAudit(MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID), convstore.AuditAttachmentReplace, second.ID)) != 0 {
		t.Errorf("the replace was audited against the new attachment, not the replaced one")
	}
}

// testAuditClientRequestID checks that the client's request id is stored
// beside the server's, never instead of it, even when the client sends an
// earlier receipt's request id.
func testAuditClientRequestID(t *testing.T, f *fixture) {
	first, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	d1 := MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, first.ID, f.params)
	second, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	p := f.params
	p.RequestID, p.ClientRequestID = uniqueName("req"), d1.RequestID
	d2 := MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, second.ID, p)
	for _, d := range []*convstore.Deletion{d2, mustFindDeletion(t, f, d2.ID)} {
		if !f.recordsActor(p, d.ActorKeyID, d.Door, d.RequestID, d.ClientRequestID) || d.RequestID == d1.RequestID {
			t.Errorf("receipt request id %q, client request id %q; want the server's (%s) and the client's %q",
				d.RequestID, d.ClientRequestID, f.describeActor(p), d1.RequestID)
		}
	}
	checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditConversationDelete, second.ID, d2.ID, p)
}

func mustFindDeletion(tb testing.TB, f *fixture, id convstore.ID) *convstore.Deletion {
	tb.Helper()
	d, err := f.Store.FindDeletionByID(f.ctx, f.tenant.ID, id)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// findActions returns the entries with the given action.
func findActions(entries []*convstore.AuditEntry, action string) []*convstore.AuditEntry {
	return slices.DeleteFunc(slices.Clone(entries), func(e *convstore.AuditEntry) bool { return e.Action != action })
}
