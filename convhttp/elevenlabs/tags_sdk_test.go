package elevenlabs_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// TestOfficialSDKTags runs testdata/sdk/tags.mjs: every conversation tag
// method of @elevenlabs/elevenlabs-js (tags.create, get, list, update,
// delete, assign, unassign), conversations.get's and list's tag_ids and
// the list's tagIds filter against the door by base URL alone, with the
// SDK's typed errors. The store is then checked: the deleted tag is gone
// with its links, the kept one is renamed and tags one conversation, and
// tenant B's tag is untouched.
func TestOfficialSDKTags(t *testing.T) {
	dir := doortest.NodeSDK(t, "testdata/sdk")
	w := setup(t)
	ctx := context.Background()
	full := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_support",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}}})
	plain := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_other"})
	foreign := w.seed(w.TenantB, &convstore.ConversationCreate{AgentID: "agent_support"})
	foreignTag, err := w.Store.CreateTag(ctx, w.TenantB, &convstore.TagCreate{Title: "B's"}, convstore.ID{})
	if err != nil {
		t.Fatal(err)
	}
	out := doortest.RunNode(t, dir, "tags.mjs", map[string]string{
		"BASE_URL": w.main.URL + compat, "API_KEY": w.KeyA, "READ_KEY": w.Scoped[convstore.ScopeRead],
		"CONV_FULL": cid(full), "CONV_PLAIN": cid(plain), "CONV_FOREIGN": cid(foreign),
		"TAG_FOREIGN": foreignTag.ID.Format(convstore.PrefixTag),
	})
	var got struct {
		Filter struct {
			Refund, Both, Missing []string
		} `json:"filter"`
		Errors struct {
			Missing, Foreign []string
			EmptyTitle       string `json:"emptyTitle"`
			ReaderCreate     string `json:"readerCreate"`
		} `json:"errors"`
		VIP    string `json:"vip"`
		Refund string `json:"refund"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	bothConvs := []string{cid(full), cid(plain)}
	slices.Sort(bothConvs)
	if !slices.Equal(got.Filter.Refund, bothConvs) || !slices.Equal(got.Filter.Both, []string{cid(full)}) || len(got.Filter.Missing) != 0 {
		t.Fatalf("filters %s", out)
	}
	want := []string{"tag_not_found", "tag_not_found", "tag_not_found", "tag_not_found", "tag_not_found",
		"conversation_not_found", "conversation_not_found"}
	if !slices.Equal(got.Errors.Missing, want) || !slices.Equal(got.Errors.Foreign, want) ||
		got.Errors.EmptyTitle != "string_too_short:body.title" || got.Errors.ReaderCreate != "missing_permissions" {
		t.Fatalf("errors %s", out)
	}

	// The store: the kept tag renamed, on full only; the deleted one gone.
	list, _, err := w.Store.FindTags(ctx, w.TenantA, convstore.TagFilter{})
	if err != nil || len(list) != 1 || list[0].ID.Format(convstore.PrefixTag) != got.VIP || list[0].Title != "VIP customer" ||
		list[0].Description != "Important callers" {
		t.Fatalf("tenant A's tags %+v (%v)", list, err)
	}
	links, err := w.Store.ConversationTagIDs(ctx, w.TenantA, []convstore.ID{full.ID, plain.ID})
	if err != nil || len(links) != 1 || len(links[full.ID]) != 1 || links[full.ID][0] != list[0].ID {
		t.Fatalf("links %v (%v)", links, err)
	}
	if b, err := w.Store.FindTagByID(ctx, w.TenantB, foreignTag.ID); err != nil || b.Title != "B's" {
		t.Fatalf("tenant B's tag %+v (%v)", b, err)
	}
	if m, err := w.Store.ConversationTagIDs(ctx, w.TenantB, []convstore.ID{foreign.ID}); err != nil || len(m) != 0 {
		t.Fatalf("tenant B's conversation's tags %v (%v)", m, err)
	}
}
