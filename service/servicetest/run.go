package servicetest

import (
	"testing"
)

// Run runs the whole conformance suite against the engine that newHarness
// opens. Every subtest opens its own harness and runs in parallel with the
// others, so subtests never see each other's data.
func Run(t *testing.T, newHarness NewHarnessFunc) {
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"Tenants", tenantTests},
		{"Keys", keyTests},
		{"AccessTokens", tokenTests},
		{"Audit", auditTests},
		{"Conversations", conversationTests},
		{"Pagination", paginationTests},
		{"Lookups", lookupTests},
		{"Messages", messageTests},
		{"MessageCap", messageCapTests},
		{"Artifacts", artifactTests},
		{"Attachments", attachmentTests},
		{"Deletion", deletionTests},
		{"Isolation", isolationTests},
		{"Concurrency", concurrencyTests},
		{"Divergences", divergenceTests},
		{"Authentication", authTests},
		{"Digests", digestTests},
		{"ConversationUsers", conversationUserTests},
		{"Authors", authorTests},
		{"IndexRotation", reindexTests},
		{"Holds", holdTests},
		{"Tombstones", tombstoneTests},
		{"IdempotencyKeys", idempotencyTests},
		{"Retention", retentionTests},
		{"CORS", corsTests},
		{"Erasures", erasureTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) {
					t.Parallel()
					st.fn(t, setup(t, newHarness))
				})
			}
		})
	}
}

// subtest is one named test that receives a fresh fixture.
type subtest struct {
	name string
	fn   func(t *testing.T, f *fixture)
}
