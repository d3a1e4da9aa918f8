package sqlite

import "context"

var qWebhookDeliveryBacklog = stmt(`SELECT count(*) FROM webhook_deliveries WHERE state IN ('pending', 'delivering')`)

func (o *ops) WebhookDeliveryBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := o.run.queryRow(ctx, qWebhookDeliveryBacklog).Scan(&n)
	return n, o.db.translate(err)
}
