package sqlite

import (
	"context"

	"github.com/convstore/convstore"
)

// A tenant's allowed web origins (0022).
var (
	qCORSGet     = stmt(`SELECT origin FROM cors_origins WHERE tenant_id = ? ORDER BY origin`)
	qCORSAllowed = stmt(`SELECT EXISTS (SELECT 1 FROM cors_origins WHERE origin = ?)`)
	qCORSDelete  = stmt(`DELETE FROM cors_origins WHERE tenant_id = ?`)
	qCORSInsert  = stmt(`INSERT INTO cors_origins (tenant_id, origin) VALUES (?, ?) ON CONFLICT DO NOTHING`)
)

func (o *ops) CORSOriginsGet(ctx context.Context, tenantID convstore.ID) ([]string, error) {
	return list(ctx, o, qCORSGet, []any{idArg(tenantID)}, func(row scanner) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	})
}

func (o *ops) CORSOriginAllowed(ctx context.Context, origin string) (bool, error) {
	var ok bool
	if err := o.run.queryRow(ctx, qCORSAllowed, origin).Scan(&ok); err != nil {
		return false, o.db.translate(err)
	}
	return ok, nil
}

func (o *ops) CORSOriginsSet(ctx context.Context, tenantID convstore.ID, origins []string) error {
	if _, err := o.run.exec(ctx, qCORSDelete, idArg(tenantID)); err != nil {
		return o.db.translate(err)
	}
	for _, s := range origins {
		if _, err := o.run.exec(ctx, qCORSInsert, idArg(tenantID), s); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}
