package postgres_test

import (
	"testing"

	"github.com/convstore/convstore/driver/drivertest"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service/servicetest"
)

// TestDriver runs the driver conformance suite.
func TestDriver(t *testing.T) {
	t.Parallel()
	drivertest.Run(t, pgtest.DriverHarness)
}

// TestService runs the service conformance suite over this driver.
func TestService(t *testing.T) {
	t.Parallel()
	servicetest.Run(t, pgtest.ServiceHarness)
}

// TestConfirmations runs the downstream confirmation tests over this driver.
func TestConfirmations(t *testing.T) {
	t.Parallel()
	servicetest.RunConfirmations(t, pgtest.Database)
}

// TestEvents runs the outbox tests over this driver.
func TestEvents(t *testing.T) {
	t.Parallel()
	servicetest.RunEvents(t, pgtest.Database)
}

// TestEndUsers runs the end-user record tests over this driver.
func TestEndUsers(t *testing.T) {
	t.Parallel()
	servicetest.RunEndUsers(t, pgtest.Database)
}

// TestTags runs the tag tests over this driver.
func TestTags(t *testing.T) {
	t.Parallel()
	servicetest.RunTags(t, pgtest.Database)
}

// TestPurge runs the purge tests over this driver.
func TestPurge(t *testing.T) {
	t.Parallel()
	servicetest.RunPurge(t, pgtest.Database)
}
