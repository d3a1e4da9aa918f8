package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var (
	qIdempotencyGet = stmt(`SELECT tenant_id, key_hash, request_hash, claimed_at, status, content_type, body, expires_at
		FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ?`)
	qIdempotencyInsert = stmt(`INSERT INTO idempotency_keys (tenant_id, key_hash, request_hash, claimed_at, status, content_type, body, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qIdempotencyReplace = stmt(`UPDATE idempotency_keys SET request_hash = ?, claimed_at = ?, status = ?, content_type = ?,
		body = ?, expires_at = ? WHERE tenant_id = ? AND key_hash = ?`)
	qIdempotencySettle = stmt(`UPDATE idempotency_keys SET status = ?, content_type = ?, body = ?, expires_at = ?
		WHERE tenant_id = ? AND key_hash = ? AND claimed_at = ?`)
	qIdempotencyRelease = stmt(`DELETE FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ? AND claimed_at = ?`)
	qIdempotencyExpired = stmt(`DELETE FROM idempotency_keys WHERE rowid IN (
		SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)`)
)

func scanIdempotency(row scanner) (*driver.IdempotencyRow, error) {
	r := &driver.IdempotencyRow{}
	err := row.Scan(idScan{&r.TenantID}, &r.KeyHash, &r.RequestHash, timeScan{&r.ClaimedAt}, &r.Status, &r.ContentType,
		&r.Body, timeScan{&r.ExpiresAt})
	return r, err
}

// IdempotencyGet needs no lock: the single writer excludes other claims.
func (o *ops) IdempotencyGet(ctx context.Context, tenantID convstore.ID, keyHash []byte) (*driver.IdempotencyRow, error) {
	return one(ctx, o, qIdempotencyGet, []any{idArg(tenantID), keyHash}, "idempotency key", scanIdempotency)
}

func (o *ops) IdempotencyInsert(ctx context.Context, r *driver.IdempotencyRow) error {
	res, err := o.run.exec(ctx, qIdempotencyInsert, idArg(r.TenantID), r.KeyHash, r.RequestHash, micros(r.ClaimedAt), r.Status,
		r.ContentType, r.Body, micros(r.ExpiresAt))
	n, err := o.db.rowsAffected(res, err)
	if err == nil && n == 0 {
		return driver.ErrIdempotencyKeyTaken()
	}
	return err
}

func (o *ops) IdempotencyReplace(ctx context.Context, r *driver.IdempotencyRow) error {
	res, err := o.run.exec(ctx, qIdempotencyReplace, r.RequestHash, micros(r.ClaimedAt), r.Status, r.ContentType, r.Body,
		micros(r.ExpiresAt), idArg(r.TenantID), r.KeyHash)
	n, err := o.db.rowsAffected(res, err)
	if err == nil && n == 0 {
		return convstore.NotFound("idempotency key")
	}
	return err
}

func (o *ops) IdempotencySettle(ctx context.Context, r *driver.IdempotencyRow) error {
	res, err := o.run.exec(ctx, qIdempotencySettle, r.Status, r.ContentType, r.Body, micros(r.ExpiresAt),
		idArg(r.TenantID), r.KeyHash, micros(r.ClaimedAt))
	n, err := o.db.rowsAffected(res, err)
	if err == nil && n == 0 {
		return convstore.NotFound("idempotency key")
	}
	return err
}

func (o *ops) IdempotencyRelease(ctx context.Context, tenantID convstore.ID, keyHash []byte, claimedAt time.Time) error {
	_, err := o.run.exec(ctx, qIdempotencyRelease, idArg(tenantID), keyHash, micros(claimedAt))
	return o.db.translate(err)
}

// IdempotencyDeleteExpired needs no SKIP LOCKED: one writer.
func (o *ops) IdempotencyDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := o.run.exec(ctx, qIdempotencyExpired, micros(now), limit)
	n, err := o.db.rowsAffected(res, err)
	return int(n), err
}
