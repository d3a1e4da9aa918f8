package inkeep_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// TestOfficialSDK runs every conversation, message, feedback and event
// method of @inkeep/inkeep-analytics (testdata/sdk, pinned) against the
// door by base URL alone, then checks the store: what the SDK logged
// landed, and the delete through the SDK took its feedback and events.
func TestOfficialSDK(t *testing.T) {
	t.Parallel()
	dir := doortest.NodeSDK(t, "testdata/sdk")
	e := setup(t)
	out := doortest.RunNode(t, dir, "contract.mjs", map[string]string{
		"BASE_URL": e.c.URL, "API_KEY": e.KeyA, "API_KEY_B": e.KeyB,
	})
	var got struct {
		ConversationID string   `json:"conversationId"`
		Other          string   `json:"other"`
		Foreign        string   `json:"foreign"`
		MessageIDs     []string `json:"messageIds"`
		Feedback       []string `json:"feedback"`
		Events         []string `json:"events"`
		// The analytics queries not served, by SDK method: their code.
		Unserved map[string]string `json:"unserved"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.MessageIDs) != 3 || len(got.Feedback) != 2 || len(got.Events) != 2 ||
		len(got.Unserved) != 9 || got.Unserved["query.conversations"] != "not_supported_by_convstore" {
		t.Fatalf("findings %s: %v", out, err)
	}
	ctx := context.Background()
	// The deleted conversation is gone with every artifact: its feedback
	// and events were artifacts of it.
	if _, err := e.Store.FindConversationByExternalID(ctx, e.TenantA, "inkeep:"+got.ConversationID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("deleted conversation: %v", err)
	}
	for _, id := range append(got.Feedback, got.Events...) {
		aid := mustParse(t, convstore.PrefixArtifact, id)
		if _, err := e.Store.FindArtifactByID(ctx, e.TenantA, convstore.ID{}, aid); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Fatalf("artifact %s after delete: %v", id, err)
		}
	}
	for _, id := range got.MessageIDs {
		if _, err := e.Store.FindMessageByID(ctx, e.TenantA, convstore.ID{}, mustParse(t, convstore.PrefixMessage, id)); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Fatalf("message %s after delete: %v", id, err)
		}
	}
	// The other conversation of A kept its one feedback; B's conversation
	// is untouched and still B's.
	other, err := e.Store.FindConversationByID(ctx, e.TenantA, mustParse(t, convstore.PrefixConversation, got.Other))
	if err != nil {
		t.Fatal(err)
	}
	arts, _, err := e.Store.FindArtifacts(ctx, e.TenantA, other.ID, convstore.ArtifactFilter{})
	if err != nil || len(arts) != 1 || arts[0].Score == nil || *arts[0].Score != 1 {
		t.Fatalf("other conversation's artifacts %+v %v", arts, err)
	}
	b, err := e.Store.FindConversationByExternalID(ctx, e.TenantB, "inkeep:b-conv")
	if err != nil || b.MessageCount != 1 {
		t.Fatalf("tenant B's conversation %+v %v", b, err)
	}
	if _, err := e.Store.FindConversationByExternalID(ctx, e.TenantA, "inkeep:b-conv"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("B's conversation seen from A: %v", err)
	}
}
