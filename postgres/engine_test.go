package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestOpenRejectsBadSchema: the schema becomes a search_path, so only
// plain identifiers are accepted.
func TestOpenRejectsBadSchema(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	for _, s := range []string{"Upper", "a-b", "x; DROP TABLE y", strings.Repeat("s", 64)} {
		if db, err := postgres.Open(context.Background(), url, postgres.Options{Schema: s}); err == nil {
			db.Close()
			t.Errorf("Open with schema %q succeeded", s)
		}
	}
}
