package metrics

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/convstore/convstore/driver"
)

// scrapeTimeout bounds the queries a scrape runs.
const scrapeTimeout = 2 * time.Second

// What an engine may offer. Each is optional: Instrument registers the
// metrics of those the store has.
type (
	// blobQueue is an engine with a blob-removal queue (both engines).
	blobQueue interface {
		BlobRemovalQueue(ctx context.Context) (due, total int64, err error)
	}
	// writerWaiter is an engine with a single writer (SQLite).
	writerWaiter interface {
		ObserveWriterWait(fn func(time.Duration))
	}
	// poolStater is an engine over a pgx pool (PostgreSQL).
	poolStater interface {
		PoolStat() *pgxpool.Stat
	}
	// serviceTier is the service over a driver, whose driver has metrics
	// of its own (the writer's wait, the pool).
	serviceTier interface {
		Driver() driver.Driver
	}
	// sweepObserver is a store whose own sweeper reports each blob sweep
	// (the service tier).
	sweepObserver interface {
		ObserveBlobSweeps(fn func(removed int, err error))
	}
)

// Instrument registers the metrics of what engine (the concrete store, not
// the Store wrapper) offers: the blob-removal queue, the SQLite writer's
// wait, the PostgreSQL pool, and (the service tier) its driver's and its
// sweeper's. Call it once.
func (m *Metrics) Instrument(engine any) {
	if q, ok := engine.(blobQueue); ok {
		m.reg.MustRegister(&queueCollector{q: q, m: m})
	}
	if s, ok := engine.(sweepObserver); ok {
		s.ObserveBlobSweeps(m.countSweep)
	}
	if p, ok := engine.(purgeBacklogger); ok {
		m.reg.MustRegister(&purgeCollector{p: p, m: m})
	}
	if b, ok := engine.(confirmationBacklogger); ok {
		m.reg.MustRegister(&confirmationCollector{b: b})
	}
	if s, ok := engine.(sealUpgrader); ok {
		g := newSealUpgradeGauges()
		m.reg.MustRegister(g.checked, g.sealed, g.done)
		s.ObserveSealUpgrade(g.observe)
	}
	if w, ok := engine.(webhookObserver); ok {
		m.instrumentWebhooks(w)
	}
	if s, ok := engine.(serviceTier); ok {
		engine = s.Driver()
	}
	if w, ok := engine.(writerWaiter); ok {
		m.reg.MustRegister(m.writerWait)
		w.ObserveWriterWait(func(d time.Duration) { m.writerWait.Observe(d.Seconds()) })
	}
	if p, ok := engine.(poolStater); ok {
		m.reg.MustRegister(newPoolCollector(p))
	}
}

// queueCollector reads the blob-removal queue at scrape time.
type queueCollector struct {
	q blobQueue
	m *Metrics
}

var (
	queueDueDesc = prometheus.NewDesc(namespace+"_blob_removals_due",
		"Blob removals queued and due now: waiting for the sweeper, or failing and retried.", nil, nil)
	queueTotalDesc = prometheus.NewDesc(namespace+"_blob_removals_queued",
		"Blob removals queued, due or not (uploads in progress hold one each until they commit).", nil, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDueDesc
	ch <- queueTotalDesc
}

// Collect queries the queue; on failure it reports nothing (the series go
// missing, which alerts can see) and logs why.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	due, total, err := c.q.BlobRemovalQueue(ctx)
	if err != nil {
		c.m.logger.Warn("metrics: reading the blob-removal queue failed", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueDueDesc, prometheus.GaugeValue, float64(due))
	ch <- prometheus.MustNewConstMetric(queueTotalDesc, prometheus.GaugeValue, float64(total))
}

// poolCollector reports pgxpool.Stat at scrape time.
type poolCollector struct {
	p     poolStater
	descs []poolMetric
}

// poolMetric is one series of the pool's statistics.
type poolMetric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(*pgxpool.Stat) float64
}

func newPoolCollector(p poolStater) *poolCollector {
	def := func(name, help string, typ prometheus.ValueType, value func(*pgxpool.Stat) float64) poolMetric {
		return poolMetric{prometheus.NewDesc(namespace+"_pg_pool_"+name, help, nil, nil), typ, value}
	}
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	return &poolCollector{p: p, descs: []poolMetric{
		def("acquired_conns", "Connections in use by a query or transaction.", gauge, func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) }),
		def("idle_conns", "Open connections not in use.", gauge, func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) }),
		def("constructing_conns", "Connections being opened.", gauge, func(s *pgxpool.Stat) float64 { return float64(s.ConstructingConns()) }),
		def("total_conns", "Open connections: acquired, idle and being opened.", gauge, func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) }),
		def("max_conns", "The pool's size (--pg-max-conns).", gauge, func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) }),
		def("acquires_total", "Connections acquired from the pool.", counter, func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) }),
		def("acquire_duration_seconds_total", "Time spent acquiring connections, summed.", counter, func(s *pgxpool.Stat) float64 { return s.AcquireDuration().Seconds() }),
		def("empty_acquires_total", "Acquires that found no idle connection and had to wait for one or open one.", counter, func(s *pgxpool.Stat) float64 { return float64(s.EmptyAcquireCount()) }),
		def("empty_acquire_wait_seconds_total", "Time those empty acquires waited, summed.", counter, func(s *pgxpool.Stat) float64 { return s.EmptyAcquireWaitTime().Seconds() }),
		def("canceled_acquires_total", "Acquires given up because their context ended.", counter, func(s *pgxpool.Stat) float64 { return float64(s.CanceledAcquireCount()) }),
	}}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.desc
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.p.PoolStat()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.desc, d.typ, d.value(s))
	}
}
