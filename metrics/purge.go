package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// purgeBacklogger is a store whose deletes leave a background purge (the
// service tier).
type purgeBacklogger interface {
	PurgeBacklog(ctx context.Context) (int64, error)
}

var purgeBacklogDesc = prometheus.NewDesc(namespace+"_purge_backlog",
	"Deleted conversations whose rows the background purger has not removed yet (each already invisible, its data key destroyed).", nil, nil)

// purgeCollector reads the purge backlog at scrape time.
type purgeCollector struct {
	p purgeBacklogger
	m *Metrics
}

func (c *purgeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- purgeBacklogDesc }

// Collect counts the queued purge jobs; on failure it reports nothing and
// logs why, as the blob-removal queue's collector does.
func (c *purgeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n, err := c.p.PurgeBacklog(ctx)
	if err != nil {
		c.m.logger.Warn("metrics: reading the purge backlog failed", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(purgeBacklogDesc, prometheus.GaugeValue, float64(n))
}
