package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

// A tenant's allowed web origins (0022).

func (o *ops) CORSOriginsGet(ctx context.Context, tenantID convstore.ID) ([]string, error) {
	return list(ctx, o, newQuery(`SELECT origin FROM cors_origins WHERE tenant_id = $1 ORDER BY origin`, idArg(tenantID)),
		func(row pgx.Row) (string, error) {
			var s string
			err := row.Scan(&s)
			return s, err
		})
}

func (o *ops) CORSOriginAllowed(ctx context.Context, origin string) (bool, error) {
	var ok bool
	if err := o.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cors_origins WHERE origin = $1)`, origin).Scan(&ok); err != nil {
		return false, o.fail(ctx, err)
	}
	return ok, nil
}

func (o *ops) CORSOriginsSet(ctx context.Context, tenantID convstore.ID, origins []string) error {
	if _, err := o.exec(ctx, `DELETE FROM cors_origins WHERE tenant_id = $1`, idArg(tenantID)); err != nil {
		return err
	}
	if len(origins) == 0 {
		return nil
	}
	_, err := o.exec(ctx, `INSERT INTO cors_origins (tenant_id, origin) SELECT $1, u FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING`,
		idArg(tenantID), origins)
	return err
}
