package main

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/convstore/convstore/api"
)

// keys rotate-index re-indexes a stopped store's conversations under a new
// index root and destroys the old one; the user-id filter answers the same
// after the restart.
func TestKeysRotateIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startServerEnv(t, dir, map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create", "--user-id", "alice")
	ts.mustJSON(t, &api.Conversation{}, "conversations", "create", "--user-id", "bob")
	if err := ts.m.Close(); err != nil {
		t.Fatal(err)
	}
	ts.closeErrOK = true // closed here already

	var out reindexJSON
	stdout, stderr, code := runCLI(t, nil, nil, "keys", "rotate-index", "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("keys rotate-index: exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Rotated || out.IndexRoot != 2 || out.Reindexed != 2 || !slices.Equal(out.DestroyedRoots, []uint32{1}) {
		t.Errorf("keys rotate-index = %+v; want root 2, 2 conversations re-indexed, root 1 destroyed", out)
	}
	wantContains(t, "keys rotate-index stderr", stderr, "new index root 2")

	ts = startServerEnv(t, dir, map[string]string{})
	ts.key = testKey
	var list api.List[api.Conversation]
	ts.mustJSON(t, &list, "conversations", "list", "--user-id", "alice")
	if len(list.Data) != 1 || list.Data[0].ID != conv.ID {
		t.Errorf("user filter after the re-index: %+v, want %s", list.Data, conv.ID)
	}
}
