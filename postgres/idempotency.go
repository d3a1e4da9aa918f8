package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

func scanIdempotency(row pgx.Row) (*driver.IdempotencyRow, error) {
	r := &driver.IdempotencyRow{}
	err := row.Scan(scanID(&r.TenantID), &r.KeyHash, &r.RequestHash, &r.ClaimedAt, &r.Status, &r.ContentType, &r.Body, &r.ExpiresAt)
	if err != nil {
		return nil, err
	}
	r.ClaimedAt, r.ExpiresAt = r.ClaimedAt.UTC(), r.ExpiresAt.UTC()
	return r, nil
}

// IdempotencyGet locks the row (FOR UPDATE): two nodes taking over one
// lapsed claim take turns, and the second sees the first's claim.
func (o *ops) IdempotencyGet(ctx context.Context, tenantID convstore.ID, keyHash []byte) (*driver.IdempotencyRow, error) {
	return one(ctx, o, "idempotency key", scanIdempotency, `
		SELECT tenant_id, key_hash, request_hash, claimed_at, status, content_type, body, expires_at
		FROM idempotency_keys WHERE tenant_id = $1 AND key_hash = $2 FOR UPDATE`, idArg(tenantID), keyHash)
}

// IdempotencyInsert uses ON CONFLICT DO NOTHING, so a conflict leaves the
// transaction usable; a concurrent insert of the same key waits on the
// primary key until the first commits, then finds its row.
func (o *ops) IdempotencyInsert(ctx context.Context, r *driver.IdempotencyRow) error {
	n, err := o.exec(ctx, `
		INSERT INTO idempotency_keys (tenant_id, key_hash, request_hash, claimed_at, status, content_type, body, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		idArg(r.TenantID), r.KeyHash, r.RequestHash, r.ClaimedAt, r.Status, r.ContentType, r.Body, r.ExpiresAt)
	if err == nil && n == 0 {
		return driver.ErrIdempotencyKeyTaken()
	}
	return err
}

func (o *ops) IdempotencyReplace(ctx context.Context, r *driver.IdempotencyRow) error {
	return o.execOne(ctx, "idempotency key", `
		UPDATE idempotency_keys SET request_hash = $1, claimed_at = $2, status = $3, content_type = $4, body = $5,
		expires_at = $6 WHERE tenant_id = $7 AND key_hash = $8`,
		r.RequestHash, r.ClaimedAt, r.Status, r.ContentType, r.Body, r.ExpiresAt, idArg(r.TenantID), r.KeyHash)
}

func (o *ops) IdempotencySettle(ctx context.Context, r *driver.IdempotencyRow) error {
	return o.execOne(ctx, "idempotency key", `
		UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3, expires_at = $4
		WHERE tenant_id = $5 AND key_hash = $6 AND claimed_at = $7`,
		r.Status, r.ContentType, r.Body, r.ExpiresAt, idArg(r.TenantID), r.KeyHash, r.ClaimedAt)
}

func (o *ops) IdempotencyRelease(ctx context.Context, tenantID convstore.ID, keyHash []byte, claimedAt time.Time) error {
	_, err := o.exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key_hash = $2 AND claimed_at = $3`,
		idArg(tenantID), keyHash, claimedAt)
	return err
}

// IdempotencyDeleteExpired claims the rows it deletes with FOR UPDATE SKIP
// LOCKED, as AccessTokenDeleteExpired does.
func (o *ops) IdempotencyDeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := o.exec(ctx, `
		DELETE FROM idempotency_keys WHERE (tenant_id, key_hash) IN (
			SELECT tenant_id, key_hash FROM idempotency_keys WHERE expires_at <= $1
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
	return int(n), err
}
