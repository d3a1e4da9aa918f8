package sqlite

import (
	"testing"

	"github.com/convstore/convstore"
)

// TestDefaultMessageCap checks that a store opened without a cap enforces
// the domain's default.
func TestDefaultMessageCap(t *testing.T) {
	db, _ := openTest(t, t.TempDir(), nil)
	if db.maxMsg != convstore.DefaultMaxConversationMessages {
		t.Fatalf("cap %d, want the default %d", db.maxMsg, convstore.DefaultMaxConversationMessages)
	}
}
