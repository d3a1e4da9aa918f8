package metrics

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/convstore/convstore/convhttp"
)

// namespace prefixes every convstore metric.
const namespace = "convstore"

// Label values used when the real value is empty.
const (
	routeUnmatched = "unmatched" // no route matched the request
	doorNone       = "none"      // a delete without a door (an operator's)
)

// Metrics is one process's metrics. Create it with New; it is safe for
// concurrent use.
type Metrics struct {
	reg    *prometheus.Registry
	logger *slog.Logger

	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	rateLimited *prometheus.CounterVec

	conversationDeletes *prometheus.CounterVec
	deletedMessages     *prometheus.CounterVec
	deletedArtifacts    *prometheus.CounterVec
	deletedAttachments  *prometheus.CounterVec
	deletedBytes        *prometheus.CounterVec
	deleteSize          *prometheus.HistogramVec
	recordDeletes       *prometheus.CounterVec

	sweeps        prometheus.Counter
	sweepFailures prometheus.Counter
	blobsSwept    prometheus.Counter

	writerWait prometheus.Histogram
}

// New returns metrics on a fresh registry that also holds the Go runtime
// and process collectors. logger (nil: discard) receives failures to read
// a gauge at scrape time.
func New(logger *slog.Logger) *Metrics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), logger: logger}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	m.requests = counter("http_requests_total", "HTTP requests served, by door, route pattern, method and status.", "door", "route", "method", "status")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help:    "Time from reading a request to the handler's return, by door, route pattern and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"door", "route", "method"})
	m.rateLimited = counter("rate_limited_total", "Requests refused with 429 by a rate limit, by kind: key, address, public or auth_failure.", "kind")
	for _, kind := range []string{convhttp.LimitKey, convhttp.LimitAddress, convhttp.LimitPublic, convhttp.LimitAuthFailure} {
		m.rateLimited.WithLabelValues(kind) // present at 0 from the start, so rates work
	}

	m.conversationDeletes = counter("conversation_deletes_total", "Conversations permanently deleted, by door.", "door")
	m.deletedMessages = counter("conversation_deleted_messages_total", "Messages removed by conversation deletes, by door.", "door")
	m.deletedArtifacts = counter("conversation_deleted_artifacts_total", "Artifacts removed by conversation deletes, by door.", "door")
	m.deletedAttachments = counter("conversation_deleted_attachments_total", "Attachments removed by conversation deletes, by door.", "door")
	m.deletedBytes = counter("conversation_deleted_attachment_bytes_total", "Attachment bytes removed by conversation deletes, by door.", "door")
	m.deleteSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "conversation_delete_messages",
		Help:    "Messages per conversation delete, by door.",
		Buckets: prometheus.ExponentialBuckets(1, 4, 9), // 1 … 65536
	}, []string{"door"})
	m.recordDeletes = counter("record_deletes_total", "Single messages, artifacts and attachments deleted on their own, by door and kind.", "door", "kind")

	m.sweeps = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "blob_sweeps_total", Help: "Runs of the blob sweeper."})
	m.sweepFailures = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "blob_sweep_failures_total", Help: "Runs of the blob sweeper that failed (and will be retried at the next interval)."})
	m.blobsSwept = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "blob_sweep_removals_total", Help: "Blobs the sweeper removed."})

	m.writerWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "sqlite_writer_wait_seconds",
		Help:    "Time a SQLite write waited for the single writer connection and the write lock.",
		Buckets: []float64{.00001, .00005, .0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5, 10},
	})

	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.rateLimited,
		m.conversationDeletes, m.deletedMessages, m.deletedArtifacts, m.deletedAttachments, m.deletedBytes, m.deleteSize, m.recordDeletes,
		m.sweeps, m.sweepFailures, m.blobsSwept,
	)
	return m
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }
