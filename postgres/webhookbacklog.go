package postgres

import "context"

func (o *ops) WebhookDeliveryBacklog(ctx context.Context) (int64, error) {
	var n int64
	if err := o.q.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE state IN ('pending', 'delivering')`).Scan(&n); err != nil {
		return 0, o.fail(ctx, err)
	}
	return n, nil
}
