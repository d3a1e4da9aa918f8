package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// BlobRemovalQueue returns how many blob removals are queued and how many
// of them are due now, across every node (a due count that stays up means
// removals keep failing). It only reads, for metrics.
func (db *DB) BlobRemovalQueue(ctx context.Context) (due, total int64, err error) {
	err = db.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE due_at <= now()), count(*) FROM blob_removals`).Scan(&due, &total)
	if err != nil {
		return 0, 0, db.translate(ctx, err)
	}
	return due, total, nil
}

// PoolStat returns a snapshot of the connection pool's statistics, for
// metrics.
func (db *DB) PoolStat() *pgxpool.Stat { return db.pool.Stat() }
