package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/convstore/convstore/driver"
)

// confirmationBacklogger is a store whose sweeper counts the open
// downstream confirmations (the service tier).
type confirmationBacklogger interface {
	ConfirmationBacklog() []driver.ProcessorBacklog
}

var confirmationsDesc = prometheus.NewDesc(namespace+"_confirmations",
	"Downstream confirmations of deletions not recorded yet, by processor name (all tenants) and state: pending counts every open one, overdue those past their due time. Counted by the sweeper each interval, not at scrape time.",
	[]string{"processor", "state"}, nil)

// confirmationCollector reports what the last sweep counted: reading
// memory, never the database, so a scrape costs nothing however many
// confirmations are open.
type confirmationCollector struct{ b confirmationBacklogger }

func (c *confirmationCollector) Describe(ch chan<- *prometheus.Desc) { ch <- confirmationsDesc }

func (c *confirmationCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c.b.ConfirmationBacklog() {
		ch <- prometheus.MustNewConstMetric(confirmationsDesc, prometheus.GaugeValue, float64(b.Pending), b.Processor, "pending")
		ch <- prometheus.MustNewConstMetric(confirmationsDesc, prometheus.GaugeValue, float64(b.Overdue), b.Processor, "overdue")
	}
}
