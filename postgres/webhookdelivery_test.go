package postgres_test

import (
	"testing"

	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service/servicetest"
)

// TestWebhookDelivery runs the webhook delivery tests over this driver.
func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	servicetest.RunWebhookDelivery(t, pgtest.Database)
}
