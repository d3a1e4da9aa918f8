package servicetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var isolationTests = []subtest{
	{"ForeignIDs", testForeignIDs},
}

// tenantWorld is one tenant's data, built for isolation tests.
type tenantWorld struct {
	tenant     *convstore.Tenant
	key        *convstore.NewKey // bootstrap admin key
	extraKey   *convstore.NewKey
	conv       *convstore.Conversation
	msg        *convstore.Message
	artifact   *convstore.Artifact
	attachment *convstore.Attachment
	deletion   *convstore.Deletion
}

// buildWorld gives a tenant a conversation with a message, an artifact and
// an attachment, a deleted conversation, a deleted message and an extra key.
func buildWorld(t *testing.T, f *fixture, tenant *convstore.Tenant, key *convstore.NewKey, label string) *tenantWorld {
	t.Helper()
	w := &tenantWorld{tenant: tenant, key: key}
	ctx, s, id := f.ctx, f.Store, tenant.ID
	var msgs []*convstore.Message
	w.conv, msgs = MustCreateConversation(t, ctx, s, id, &convstore.ConversationCreate{
		AgentID: "agent-" + label, UserID: "user-" + label, Title: "title " + label, Messages: textMessages(label, 3),
	})
	w.msg = msgs[0]
	if err := s.DeleteMessage(ctx, id, w.conv.ID, msgs[2].ID, convstore.DeleteParams{ActorKeyID: key.ID, Door: "servicetest"}); err != nil {
		t.Fatal(err)
	}
	w.artifact = MustCreateArtifact(t, ctx, s, id, w.conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "summary " + label})
	w.attachment = MustPutAttachment(t, ctx, s, id, w.conv.ID, "shared-name.txt", []byte("bytes of "+label))
	gone, _ := MustCreateConversation(t, ctx, s, id, &convstore.ConversationCreate{Messages: textMessages(label, 1)})
	w.deletion = MustDeleteConversation(t, ctx, s, id, gone.ID, convstore.DeleteParams{ActorKeyID: key.ID, Door: "servicetest"})
	var err error
	w.extraKey, err = s.CreateKey(ctx, id, &convstore.KeyCreate{Name: "extra", Scopes: []convstore.Scope{convstore.ScopeRead}}, convstore.DeleteParams{ActorKeyID: key.ID, Door: "servicetest"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// tenantSnapshot renders everything readable about a tenant. Behind a
// server (Harness.ServerDoor) every read is made with one of the tenant's
// keys, which that read uses: the keys' last uses are left out there.
func tenantSnapshot(t *testing.T, ctx context.Context, h *Harness, tenantID convstore.ID) string {
	t.Helper()
	s := h.Store
	convs := mustListAll(t, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Conversation, bool, error) {
		return s.FindConversations(ctx, tenantID, convstore.ConversationFilter{PageFilter: p})
	}, convID, convstore.OrderAsc)
	var states []*convState
	for _, c := range convs {
		states = append(states, mustConvState(t, ctx, s, tenantID, c.ID))
	}
	deletions := mustListAll(t, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Deletion, bool, error) {
		return s.FindDeletions(ctx, tenantID, convstore.DeletionFilter{PageFilter: p})
	}, deletionID, convstore.OrderAsc)
	keys, err := s.FindKeys(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerDoor != "" {
		for _, k := range keys {
			k.LastUsedAt = nil
		}
	}
	return snapshot(t, map[string]any{
		"conversations": states,
		"deletions":     deletions,
		"audit":         MustAuditEntries(t, ctx, s, tenantID),
		"keys":          keys,
	})
}

// probe calls one method with another tenant's ids (foreign) and with
// never-existing ids (ref).
type probe struct {
	name         string
	foreign, ref func() error
}

func testForeignIDs(t *testing.T, f *fixture) {
	ctx, s := f.ctx, f.Store
	a := buildWorld(t, f, f.tenant, f.key, "tenant-a")
	tenantB, keyB := MustCreateTenant(t, ctx, s, uniqueName("tenant-b"))
	b := buildWorld(t, f, tenantB, keyB, "tenant-b")

	rowsBefore := MustRowCounts(t, ctx, f.Harness) // first: it waits for the purges, which stamp receipts
	beforeA := tenantSnapshot(t, ctx, f.Harness, a.tenant.ID)
	beforeB := tenantSnapshot(t, ctx, f.Harness, b.tenant.ID)
	blobsBefore := MustBlobKeys(t, ctx, f.Blobs)

	B := b.tenant.ID
	p := convstore.DeleteParams{ActorKeyID: b.key.ID, Door: "servicetest", RequestID: "isolation"}
	title := "hijacked"
	missingSeq := convstore.NewSeq(randomID())
	put := func(convID convstore.ID) error {
		_, err := s.PutAttachment(ctx, B, convID, &convstore.AttachmentPut{Name: a.attachment.Name, Body: bytes.NewReader([]byte("intruder"))})
		return err
	}
	open := func(convID convstore.ID) error {
		_, rc, err := s.OpenAttachment(ctx, B, convID, a.attachment.Name)
		if rc != nil {
			rc.Close()
		}
		return err
	}
	// Each probe pairs a call with another tenant's id and the same call
	// with a never-existing id; r1 and r2 are fresh for every call.
	var probes []probe
	add := func(name string, call func(conv, other convstore.ID) error, foreignConv, foreignOther convstore.ID) {
		probes = append(probes, probe{name,
			func() error { return call(foreignConv, foreignOther) },
			func() error {
				refConv := randomID()
				if foreignConv == b.conv.ID {
					refConv = b.conv.ID // only the second id is foreign
				}
				return call(refConv, randomID())
			}})
	}
	add("FindConversationByID", func(c, _ convstore.ID) error { _, err := s.FindConversationByID(ctx, B, c); return err }, a.conv.ID, convstore.ID{})
	probes = append(probes, probe{"FindConversationBySeq",
		func() error { _, err := s.FindConversationBySeq(ctx, B, a.conv.Seq); return err },
		func() error { _, err := s.FindConversationBySeq(ctx, B, missingSeq); return err }})
	add("UpdateConversation", func(c, _ convstore.ID) error {
		_, err := s.UpdateConversation(ctx, B, c, &convstore.ConversationUpdate{Title: &title})
		return err
	}, a.conv.ID, convstore.ID{})
	add("DeleteConversation", func(c, _ convstore.ID) error { _, err := s.DeleteConversation(ctx, B, c, p); return err }, a.conv.ID, convstore.ID{})
	add("FindMessages", func(c, _ convstore.ID) error {
		_, _, err := s.FindMessages(ctx, B, c, convstore.MessageFilter{})
		return err
	}, a.conv.ID, convstore.ID{})
	add("CreateMessages", func(c, _ convstore.ID) error {
		_, err := s.CreateMessages(ctx, B, c, textMessages("intruder", 1))
		return err
	}, a.conv.ID, convstore.ID{})
	findMsg := func(c, m convstore.ID) error { _, err := s.FindMessageByID(ctx, B, c, m); return err }
	delMsg := func(c, m convstore.ID) error { return s.DeleteMessage(ctx, B, c, m, p) }
	findArt := func(c, x convstore.ID) error { _, err := s.FindArtifactByID(ctx, B, c, x); return err }
	delArt := func(c, x convstore.ID) error { return s.DeleteArtifact(ctx, B, c, x, p) }
	for _, conv := range []convstore.ID{a.conv.ID, b.conv.ID} {
		add("FindMessageByID", findMsg, conv, a.msg.ID)
		add("DeleteMessage", delMsg, conv, a.msg.ID)
		add("FindArtifactByID", findArt, conv, a.artifact.ID)
		add("DeleteArtifact", delArt, conv, a.artifact.ID)
	}
	add("FindArtifacts", func(c, _ convstore.ID) error {
		_, _, err := s.FindArtifacts(ctx, B, c, convstore.ArtifactFilter{})
		return err
	}, a.conv.ID, convstore.ID{})
	add("CreateArtifact", func(c, _ convstore.ID) error {
		_, err := s.CreateArtifact(ctx, B, c, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "intruder"})
		return err
	}, a.conv.ID, convstore.ID{})
	add("FindAttachments", func(c, _ convstore.ID) error {
		_, _, err := s.FindAttachments(ctx, B, c, convstore.AttachmentFilter{})
		return err
	}, a.conv.ID, convstore.ID{})
	add("FindAttachmentByName", func(c, _ convstore.ID) error {
		_, err := s.FindAttachmentByName(ctx, B, c, a.attachment.Name)
		return err
	}, a.conv.ID, convstore.ID{})
	add("OpenAttachment", func(c, _ convstore.ID) error { return open(c) }, a.conv.ID, convstore.ID{})
	add("PutAttachment", func(c, _ convstore.ID) error { return put(c) }, a.conv.ID, convstore.ID{})
	add("DeleteAttachment", func(c, _ convstore.ID) error {
		return s.DeleteAttachment(ctx, B, c, a.attachment.Name, p)
	}, a.conv.ID, convstore.ID{})
	add("FindDeletionByID", func(_, x convstore.ID) error { _, err := s.FindDeletionByID(ctx, B, x); return err }, convstore.ID{}, a.deletion.ID)
	for _, k := range []*convstore.NewKey{a.key, a.extraKey} {
		add("DeleteKey", func(_, x convstore.ID) error { return s.DeleteKey(ctx, B, x, p) }, convstore.ID{}, k.ID)
		add("CreateAccessToken", func(_, x convstore.ID) error {
			_, _, err := s.CreateAccessToken(ctx, B, x, convstore.AudienceSymbl, time.Hour)
			return err
		}, convstore.ID{}, k.ID)
	}

	for _, pr := range probes {
		foreign, ref := pr.foreign(), pr.ref()
		if checkCode(t, foreign, convstore.ENOTFOUND, pr.name+" by tenant B with tenant A's ids") {
			sameError(t, pr.name, foreign, ref)
		}
	}

	// B's lists never include A's data.
	for _, what := range listLeaks(t, ctx, s, B, a) {
		t.Errorf("tenant B's lists include tenant A's %s", what)
	}

	// Nothing changed for either tenant, in the rows or the blobs.
	if after := tenantSnapshot(t, ctx, f.Harness, a.tenant.ID); after != beforeA {
		t.Errorf("tenant A's data changed:\n before %s\n after  %s", beforeA, after)
	}
	if after := tenantSnapshot(t, ctx, f.Harness, b.tenant.ID); after != beforeB {
		t.Errorf("tenant B's data changed:\n before %s\n after  %s", beforeB, after)
	}
	if after := MustRowCounts(t, ctx, f.Harness); snapshot(t, after) != snapshot(t, rowsBefore) {
		t.Errorf("row counts changed: %v -> %v", rowsBefore, after)
	}
	if after := MustBlobKeys(t, ctx, f.Blobs); snapshot(t, after) != snapshot(t, blobsBefore) {
		t.Errorf("blob keys changed: %q -> %q", blobsBefore, after)
	}
	if _, bts := MustReadAttachment(t, ctx, s, a.tenant.ID, a.conv.ID, a.attachment.Name); !bytes.Equal(bts, []byte("bytes of tenant-a")) {
		t.Errorf("tenant A's attachment reads %q", bts)
	}
	for _, k := range []*convstore.NewKey{a.key, a.extraKey} {
		if got, err := s.Authenticate(ctx, k.Secret); err != nil || got.TenantID != a.tenant.ID {
			t.Errorf("tenant A's key after B's attempts: %v, %v", got, err)
		}
	}
}

// listLeaks lists everything tenant B can list and describes the items that
// are not B's.
func listLeaks(t *testing.T, ctx context.Context, s convstore.Store, B convstore.ID, a *tenantWorld) []string {
	t.Helper()
	var leaks []string
	leak := func(what string) { leaks = append(leaks, what) }
	for _, filter := range []convstore.ConversationFilter{{}, {AgentID: a.conv.AgentID}, {UserID: a.conv.UserID}} {
		convs := mustListAll(t, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Conversation, bool, error) {
			filter.PageFilter = p
			return s.FindConversations(ctx, B, filter)
		}, convID, convstore.OrderAsc)
		for _, c := range convs {
			if c.TenantID != B || c.ID == a.conv.ID {
				leak("conversation " + c.ID.UUID())
			}
		}
		if (filter.AgentID != "" || filter.UserID != "") && len(convs) != 0 {
			leak("agent or user id (filter matched)")
		}
	}
	for _, filter := range []convstore.DeletionFilter{{}, {ConversationID: a.deletion.ConversationID}} {
		list := mustListAll(t, ctx, func(ctx context.Context, p convstore.PageFilter) ([]*convstore.Deletion, bool, error) {
			filter.PageFilter = p
			return s.FindDeletions(ctx, B, filter)
		}, deletionID, convstore.OrderAsc)
		for _, d := range list {
			if d.TenantID != B || d.ID == a.deletion.ID {
				leak("deletion " + d.ID.UUID())
			}
		}
	}
	for _, e := range MustAuditEntries(t, ctx, s, B) {
		if e.TenantID != B || e.ConversationID == a.conv.ID || e.ConversationID == a.deletion.ConversationID {
			leak("audit entry " + e.ID.UUID())
		}
	}
	keys, err := s.FindKeys(ctx, B)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.TenantID != B || k.ID == a.key.ID || k.ID == a.extraKey.ID {
			leak("key " + k.ID.UUID())
		}
	}
	return leaks
}
