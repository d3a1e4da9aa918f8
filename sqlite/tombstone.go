package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var (
	qTombstoneInsert = stmt(`INSERT INTO tombstones (tenant_id, conversation_id, external_idx, deleted_at, expires_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qTombstoneByExternal = stmt(`SELECT tenant_id, conversation_id, external_idx, deleted_at, expires_at FROM tombstones
		WHERE tenant_id = ? AND external_idx = ? AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`)
	qTombstoneExpired = stmt(`DELETE FROM tombstones WHERE rowid IN (
		SELECT rowid FROM tombstones WHERE expires_at <= ? LIMIT ?)`)
)

// nullExpiry stores an expiry, NULL for none (the zero time).
func nullExpiry(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

func (o *ops) TombstoneInsert(ctx context.Context, t *driver.TombstoneRow) error {
	_, err := o.run.exec(ctx, qTombstoneInsert, idArg(t.TenantID), idArg(t.ConversationID), t.ExternalIndex,
		micros(t.DeletedAt), nullExpiry(t.ExpiresAt))
	return o.db.translate(err)
}

func scanTombstone(row scanner) (*driver.TombstoneRow, error) {
	t := &driver.TombstoneRow{}
	var expires *time.Time
	err := row.Scan(idScan{&t.TenantID}, idScan{&t.ConversationID}, &t.ExternalIndex, timeScan{&t.DeletedAt}, nullTimeScan{&expires})
	if expires != nil {
		t.ExpiresAt = *expires
	}
	return t, err
}

func (o *ops) TombstoneGetByExternal(ctx context.Context, tenantID convstore.ID, indexes [][]byte, now time.Time) (*driver.TombstoneRow, error) {
	for _, idx := range indexes {
		t, err := one(ctx, o, qTombstoneByExternal, []any{idArg(tenantID), idx, micros(now)}, "tombstone", scanTombstone)
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			continue
		}
		return t, err
	}
	return nil, convstore.NotFound("tombstone")
}

// TombstoneDeleteExpired needs no SKIP LOCKED: one writer.
func (o *ops) TombstoneDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := o.run.exec(ctx, qTombstoneExpired, micros(now), limit)
	n, err := o.db.rowsAffected(res, err)
	return int(n), err
}
