package postgres_test

import (
	"testing"

	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, pgtest.Harness)
}
