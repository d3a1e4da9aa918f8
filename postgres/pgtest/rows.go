package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
)

// dataTables are the tables holding tenant data, as the SQLite driver's
// tests count them. blob_removals (a work queue), the blob store's tables
// (checked through the blob store instead) and goose_db_version are not.
var dataTables = []string{"tenants", "api_keys", "access_tokens", "conversations", "messages", "artifacts", "attachments", "deletions", "audit_log"}

// conversationTables maps the tables whose rows belong to a conversation
// to the column naming it. Receipts and audit entries name it too but
// outlive it by design, so they are not counted.
var conversationTables = map[string]string{
	"conversations": "id",
	"messages":      "conversation_id",
	"artifacts":     "conversation_id",
	"attachments":   "conversation_id",
}

// Tables looks at the tables of one schema from outside the driver, for
// the conformance suites' checks of what a delete left.
type Tables struct{ pool *pgxpool.Pool }

// NewTables connects to schema, until tb ends.
func NewTables(tb testing.TB, schema string) *Tables {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return &Tables{pool: pool}
}

// Count runs a count query on the schema.
func (t *Tables) Count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := t.pool.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// RowCounts returns the number of rows of every table holding tenant data
// (all tenants), keyed by table name.
func (t *Tables) RowCounts(ctx context.Context) (map[string]int, error) {
	out := make(map[string]int, len(dataTables))
	for _, table := range dataTables {
		n, err := t.Count(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize())
		if err != nil {
			return nil, err
		}
		out[table] = n
	}
	return out, nil
}

// ConversationRows returns, per table, how many rows belong to the
// conversation (of any tenant); after a delete every count is zero.
func (t *Tables) ConversationRows(ctx context.Context, id convstore.ID) (map[string]int, error) {
	out := make(map[string]int, len(conversationTables))
	for table, column := range conversationTables {
		n, err := t.Count(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` WHERE `+column+` = $1`, id[:])
		if err != nil {
			return nil, err
		}
		out[table] = n
	}
	return out, nil
}
