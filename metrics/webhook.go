package metrics

import (
	"context"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/convstore/convstore/service"
)

// webhookObserver is a store that delivers webhooks and reports each
// attempt, and counts the deliveries waiting (the service tier).
type webhookObserver interface {
	ObserveWebhooks(fn func(service.WebhookAttemptOutcome))
	WebhookBacklog(ctx context.Context) (int64, error)
}

// webhookMetrics count this node's webhook attempts.
type webhookMetrics struct {
	attempts *prometheus.CounterVec
	latency  prometheus.Histogram
	disabled prometheus.Counter
}

func newWebhookMetrics() *webhookMetrics {
	return &webhookMetrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "webhook_attempts_total",
			Help: "Webhook delivery attempts this node made, by outcome (succeeded; retrying: failed, retried later; failed: failed, retries spent) and status class (2xx … 5xx, or none when no response came)."},
			[]string{"outcome", "status"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "webhook_attempt_duration_seconds",
			Help:    "Time from sending a webhook request to reading its response's status and prefix (or giving up).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		disabled: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "webhooks_disabled_total",
			Help: "Webhooks this node disabled automatically after persistent failure."}),
	}
}

func (w *webhookMetrics) observe(o service.WebhookAttemptOutcome) {
	w.attempts.WithLabelValues(o.Outcome, statusClass(o.Status)).Inc()
	w.latency.Observe(o.Latency.Seconds())
	if o.Disabled {
		w.disabled.Inc()
	}
}

// statusClass is "2xx" … "5xx", or "none" when no response came.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "none"
	}
	return strconv.Itoa(status/100) + "xx"
}

var webhookBacklogDesc = prometheus.NewDesc(namespace+"_webhook_deliveries_pending",
	"Webhook deliveries not finished yet, of every node and tenant: pending (due or waiting to be retried) or being delivered.", nil, nil)

// webhookBacklogCollector reads the delivery backlog at scrape time.
type webhookBacklogCollector struct {
	w webhookObserver
	m *Metrics
}

func (c *webhookBacklogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- webhookBacklogDesc }

// Collect counts the unfinished deliveries; on failure it reports nothing
// and logs why, as the other backlogs do.
func (c *webhookBacklogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n, err := c.w.WebhookBacklog(ctx)
	if err != nil {
		c.m.logger.Warn("metrics: reading the webhook backlog failed", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(webhookBacklogDesc, prometheus.GaugeValue, float64(n))
}

// instrumentWebhooks registers the webhook metrics of a store that
// delivers them.
func (m *Metrics) instrumentWebhooks(w webhookObserver) {
	wm := newWebhookMetrics()
	wm.attempts.WithLabelValues("succeeded", statusClass(http.StatusOK)) // present at 0, so rates work
	m.reg.MustRegister(wm.attempts, wm.latency, wm.disabled, &webhookBacklogCollector{w: w, m: m})
	w.ObserveWebhooks(wm.observe)
}
