package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// nullExpiry stores an expiry, NULL for none (the zero time).
func nullExpiry(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (o *ops) TombstoneInsert(ctx context.Context, t *driver.TombstoneRow) error {
	_, err := o.exec(ctx, `INSERT INTO tombstones (tenant_id, conversation_id, external_idx, deleted_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		idArg(t.TenantID), idArg(t.ConversationID), t.ExternalIndex, t.DeletedAt, nullExpiry(t.ExpiresAt))
	return err
}

func scanTombstone(row pgx.Row) (*driver.TombstoneRow, error) {
	t := &driver.TombstoneRow{}
	var expires *time.Time
	if err := row.Scan(scanID(&t.TenantID), scanID(&t.ConversationID), &t.ExternalIndex, &t.DeletedAt, &expires); err != nil {
		return nil, err
	}
	t.DeletedAt = t.DeletedAt.UTC()
	if expires != nil {
		t.ExpiresAt = expires.UTC()
	}
	return t, nil
}

// TombstoneGetByExternal matches every index in one statement (= ANY):
// a re-index gives a value one index per live root.
func (o *ops) TombstoneGetByExternal(ctx context.Context, tenantID convstore.ID, indexes [][]byte, now time.Time) (*driver.TombstoneRow, error) {
	if len(indexes) == 0 {
		return nil, convstore.NotFound("tombstone")
	}
	return one(ctx, o, "tombstone", scanTombstone, `
		SELECT tenant_id, conversation_id, external_idx, deleted_at, expires_at FROM tombstones
		WHERE tenant_id = $1 AND external_idx = ANY($2) AND (expires_at IS NULL OR expires_at > $3) LIMIT 1`,
		idArg(tenantID), indexes, now)
}

// TombstoneDeleteExpired claims the rows it deletes with FOR UPDATE SKIP
// LOCKED, as AccessTokenDeleteExpired does.
func (o *ops) TombstoneDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := o.exec(ctx, `
		DELETE FROM tombstones WHERE (tenant_id, conversation_id) IN (
			SELECT tenant_id, conversation_id FROM tombstones WHERE expires_at <= $1
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
	return int(n), err
}
