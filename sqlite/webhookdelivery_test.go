package sqlite

import (
	"testing"

	"github.com/convstore/convstore/service/servicetest"
)

// TestWebhookDelivery runs the webhook delivery tests over this driver.
func TestWebhookDelivery(t *testing.T) {
	servicetest.RunWebhookDelivery(t, newDatabase)
}
