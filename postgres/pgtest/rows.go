package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
)

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
// (all tenants), keyed by table name: tenants, and every table with a
// tenant_id column. The list comes from the catalog, so a table added by a
// migration is counted without being named here. (blob_removals, a work
// queue, and the blob store's tables, checked through the blob store, have
// no tenant.)
func (t *Tables) RowCounts(ctx context.Context) (map[string]int, error) {
	tables, err := t.names(ctx, `SELECT 'tenants' UNION
		SELECT table_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'tenant_id'`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(tables))
	for _, table := range tables {
		n, err := t.Count(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize())
		if err != nil {
			return nil, err
		}
		out[table] = n
	}
	return out, nil
}

// ConversationRows returns, per table, how many rows belong to the
// conversation (of any tenant): its own row, and those of every table
// whose foreign key the schema cascades from conversations. After a delete
// every count is zero. Receipts and audit entries name the conversation
// too, but outlive it by design and have no such key.
func (t *Tables) ConversationRows(ctx context.Context, id convstore.ID) (map[string]int, error) {
	children, err := t.names(ctx, `SELECT conrelid::regclass::text FROM pg_constraint
		WHERE contype = 'f' AND confrelid = 'conversations'::regclass AND confdeltype = 'c'`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(children)+1)
	if out["conversations"], err = t.Count(ctx, `SELECT count(*) FROM conversations WHERE id = $1`, id[:]); err != nil {
		return nil, err
	}
	for _, table := range children {
		n, err := t.Count(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()+` WHERE conversation_id = $1`, id[:])
		if err != nil {
			return nil, err
		}
		out[table] = n
	}
	return out, nil
}

// names returns the first column of sql's rows.
func (t *Tables) names(ctx context.Context, sql string) ([]string, error) {
	rows, err := t.pool.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
