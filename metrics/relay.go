package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/convstore/convstore/service"
)

// relayed is a store whose outbox a relay publishes (the service tier).
type relayed interface {
	ObserveRelay(fn func(service.RelayReport))
	EventBacklog(ctx context.Context) (int64, time.Time, error)
}

var (
	eventBacklogDesc = prometheus.NewDesc(namespace+"_events_undelivered",
		"Events in the outbox not published yet (numbered or not), all tenants.", nil, nil)
	eventOldestDesc = prometheus.NewDesc(namespace+"_events_oldest_undelivered_age_seconds",
		"Age of the oldest event not published yet (0 when none is waiting).", nil, nil)
)

// InstrumentRelay adds the metrics of the event relay of s (a server
// started with --nats-url): events published, failed publications, events
// pruned past their retention before they were published, and at scrape
// time the backlog and the age of its oldest event. It does nothing for a
// store without an outbox.
func (m *Metrics) InstrumentRelay(s any) {
	r, ok := s.(relayed)
	if !ok {
		return
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	}
	published := counter("events_published_total", "Events published to the message system (NATS JetStream) and marked delivered.")
	failures := counter("event_publish_failures_total", "Publications that failed (each retried with backoff, here or on another node).")
	pruned := counter("events_pruned_undelivered_total", "Events pruned past --event-retention before any relay published them.")
	m.reg.MustRegister(published, failures, pruned, &backlogCollector{r: r, m: m})
	r.ObserveRelay(func(rep service.RelayReport) {
		published.Add(float64(rep.Published))
		failures.Add(float64(rep.Failures))
		pruned.Add(float64(rep.PrunedUndelivered))
	})
}

// backlogCollector reads the outbox's backlog at scrape time.
type backlogCollector struct {
	r relayed
	m *Metrics
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- eventBacklogDesc
	ch <- eventOldestDesc
}

// Collect reads the backlog; on failure it reports nothing and logs why,
// as the other scrape-time collectors do.
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n, oldest, err := c.r.EventBacklog(ctx)
	if err != nil {
		c.m.logger.Warn("metrics: reading the event backlog failed", "error", err)
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, time.Since(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(eventBacklogDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(eventOldestDesc, prometheus.GaugeValue, age)
}
