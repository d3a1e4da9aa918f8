package postgres_test

import (
	"testing"

	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service/servicetest"
)

func TestConformance(t *testing.T) {
	servicetest.Run(t, pgtest.Harness)
}
