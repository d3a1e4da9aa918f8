package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/convstore/convstore/service"
)

// sealUpgrader is a store whose sealing upgrade reports its progress (the
// service tier).
type sealUpgrader interface {
	ObserveSealUpgrade(fn func(service.SealUpgradeProgress))
}

// sealUpgradeGauges follow the sealing upgrade of content stored before
// sealing: conversations checked and sealed by the current run, and
// whether every conversation is sealed.
type sealUpgradeGauges struct {
	checked, sealed, done prometheus.Gauge
}

func newSealUpgradeGauges() *sealUpgradeGauges {
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help})
	}
	return &sealUpgradeGauges{
		checked: gauge("seal_upgrade_conversations_checked", "Conversations the sealing upgrade checked in this process's run."),
		sealed:  gauge("seal_upgrade_conversations_sealed", "Conversations the sealing upgrade found content stored before sealing in, and sealed, in this process's run."),
		done:    gauge("seal_upgrade_done", "1 once every row stored before sealing is sealed (by this run or an earlier one), else 0."),
	}
}

func (g *sealUpgradeGauges) observe(p service.SealUpgradeProgress) {
	g.checked.Set(float64(p.Conversations))
	g.sealed.Set(float64(p.Sealed))
	if p.Done {
		g.done.Set(1)
	}
}
