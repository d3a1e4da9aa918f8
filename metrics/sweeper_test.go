package metrics_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/convstore/convstore/metrics"
)

// reportingSweeper is a store whose own sweeper reports each sweep, as
// the service tier's does.
type reportingSweeper struct {
	report func(removed int, err error)
}

func (s *reportingSweeper) ObserveBlobSweeps(fn func(int, error)) { s.report = fn }

// Instrument hooks the sweeps a store's own sweeper reports.
func TestReportedSweeps(t *testing.T) {
	t.Parallel()
	met := metrics.New(nil)
	s := &reportingSweeper{}
	met.Instrument(s)
	if s.report == nil {
		t.Fatal("Instrument did not hook the store's sweep reports")
	}
	s.report(2, nil)
	s.report(1, errors.New("blob store unreachable"))
	mts := httptest.NewServer(met.Handler(false))
	t.Cleanup(mts.Close)
	f := scrape(t, mts.URL)
	for name, want := range map[string]float64{
		"convstore_blob_sweeps_total":         2,
		"convstore_blob_sweep_removals_total": 3,
		"convstore_blob_sweep_failures_total": 1,
	} {
		if got := f.value(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
