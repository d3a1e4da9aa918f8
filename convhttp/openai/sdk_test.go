package openai_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// TestOfficialSDK runs the official openai Node SDK (testdata/sdk, pinned)
// against the door by base URL alone: conversations create, retrieve,
// update and delete; items create, list (auto-pagination both ways,
// after), retrieve and delete; and the typed errors (NotFoundError for a
// missing, malformed and foreign id, AuthenticationError for a bad key,
// BadRequestError for 21 items, 17 metadata pairs and a bad limit). The
// Go side checks the store: the conversation is gone with its items and
// a receipt names the door.
func TestOfficialSDK(t *testing.T) {
	t.Parallel()
	dir := doortest.NodeSDK(t, "testdata/sdk")
	e := setup(t)
	raw := doortest.RunNode(t, dir, "conversations.mjs", map[string]string{
		"BASE_URL": e.c.URL + "/v1", "API_KEY": e.KeyA, "API_KEY_B": e.KeyB})
	var out struct {
		Conversation string
		Created      []string
		Bare         string
		Errors       map[string]struct {
			Status int
			Type   string
			Code   *string
			Param  *string
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	ctx := context.Background()
	id := nativeID(t, out.Conversation)
	if _, err := e.Store.FindConversationByID(ctx, e.TenantA, id); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("conversation after the SDK's delete: %v", err)
	}
	for table, n := range e.ConversationRows(id) {
		if n != 0 {
			t.Errorf("%s holds %d rows of the deleted conversation", table, n)
		}
	}
	dels, _, err := e.Store.FindDeletions(ctx, e.TenantA, convstore.DeletionFilter{ConversationID: id})
	if err != nil || len(dels) != 1 || dels[0].Door != "openai" || dels[0].Messages != 7 {
		t.Fatalf("receipts %+v, %v: want one by door openai of 7 messages", dels, err)
	}
	want := map[string]struct {
		status int
		code   string
		param  string
		typ    string
	}{
		"missing": {404, "", "", "invalid_request_error"}, "malformed": {404, "", "", "invalid_request_error"},
		"foreign": {404, "", "", "invalid_request_error"}, "foreignDelete": {404, "", "", "invalid_request_error"},
		"foreignItem": {404, "", "", "invalid_request_error"}, "missingItem": {404, "", "", "invalid_request_error"},
		"badKey":       {401, "invalid_api_key", "", "invalid_request_error"},
		"tooManyItems": {400, "", "items", "invalid_request_error"}, "tooManyItemsCreate": {400, "", "items", "invalid_request_error"},
		"tooManyPairs": {400, "", "metadata", "invalid_request_error"}, "badLimit": {400, "", "limit", "invalid_request_error"},
		"afterDelete": {404, "", "", "invalid_request_error"}, "itemsAfterDelete": {404, "", "", "invalid_request_error"},
	}
	for name, w := range want {
		got, ok := out.Errors[name]
		if !ok {
			t.Errorf("%s: no finding", name)
			continue
		}
		code, param := "", ""
		if got.Code != nil {
			code = *got.Code
		}
		if got.Param != nil {
			param = *got.Param
		}
		if got.Status != w.status || got.Type != w.typ || code != w.code || param != w.param {
			t.Errorf("%s: %+v (code %q param %q), want %+v", name, got, code, param, w)
		}
	}
	// Nothing of the refused creates was stored: tenant A holds the bare
	// conversation only.
	convs, _, err := e.Store.FindConversations(ctx, e.TenantA, convstore.ConversationFilter{})
	if err != nil || len(convs) != 1 || convs[0].ID != nativeID(t, out.Bare) {
		t.Fatalf("conversations left: %d, %v; want the bare one", len(convs), err)
	}
}

// TestAgentsSDKSession runs the OpenAI Agents SDK's
// OpenAIConversationsSession, given an openai client whose base URL is the
// door under /compat/openai: addItems (a message, a function call and its
// result, an answer), getItems (all, and the last 2), popItem and
// clearSession, which deletes the conversation here.
func TestAgentsSDKSession(t *testing.T) {
	t.Parallel()
	dir := doortest.NodeSDK(t, "testdata/sdk")
	e := setup(t)
	raw := doortest.RunNode(t, dir, "agents.mjs", map[string]string{"BASE_URL": e.compat.URL + "/compat/openai/v1", "API_KEY": e.KeyA})
	var out struct {
		SessionID string
		Kinds     []string
		AfterPop  int
		Cleared   bool
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if len(out.Kinds) != 4 || out.AfterPop != 3 || !out.Cleared {
		t.Fatalf("findings %+v", out)
	}
	ctx := context.Background()
	id := nativeID(t, out.SessionID)
	if _, err := e.Store.FindConversationByID(ctx, e.TenantA, id); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("conversation after clearSession: %v", err)
	}
	dels, _, err := e.Store.FindDeletions(ctx, e.TenantA, convstore.DeletionFilter{ConversationID: id})
	if err != nil || len(dels) != 1 || dels[0].Door != "openai" || dels[0].Messages != 3 {
		t.Fatalf("receipts %+v, %v: want one by door openai of the 3 items left", dels, err)
	}
}
