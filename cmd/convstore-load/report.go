package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// mib formats bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// percentile returns the p-th percentile of ds (0 when empty).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// printReport writes the tables of one attack.
func printReport(w io.Writer, r *report, o options) {
	fmt.Fprintf(w, "\n== %s ==\n", r.label)
	fmt.Fprintf(w, "RSS at rest %s; peak (VmHWM) over the whole run %s\n\n", mib(r.restRSS), mib(r.hwm))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tlength\tpeak RSS\tgood client ok\tfailed\tp50\tp99\t")
	lengths := []time.Duration{o.rest, o.attack, o.after}
	for i, p := range r.phases {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t\n", phaseNames[i], lengths[i], mib(p.peakRSS), p.ok, p.fail,
			ms(percentile(p.lat, 0.50)), ms(percentile(p.lat, 0.99)))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tfrom\tconns\tcut by server\tcut <1s\tfirst cut\tmedian cut\tlast cut\tanswers seen\t")
	for _, st := range r.scenarios {
		quick := 0
		for _, d := range st.cut {
			if d < time.Second {
				quick++
			}
		}
		dialed := fmt.Sprint(st.dialed)
		if st.dialed < st.conns {
			dialed = fmt.Sprintf("%d (+%d refused while dialing)", st.dialed, st.conns-st.dialed)
		}
		first, median, last := "-", "-", "-"
		if len(st.cut) > 0 {
			first, median, last = secs(percentile(st.cut, 0)), secs(percentile(st.cut, 0.5)), secs(percentile(st.cut, 1))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", st.sc.name, st.sc.from, dialed, len(st.cut), quick,
			first, median, last, statuses(st.statuses))
	}
	tw.Flush()
	fmt.Fprintln(w, "\n(cut: the server's end of the connection was no longer established before the attack ended;")
	fmt.Fprintln(w, " cut <1s: refused at once, by a connection cap or an early answer)")
	for _, st := range r.scenarios {
		fmt.Fprintf(w, "  %-8s %s\n", st.sc.name, st.sc.what)
	}
}

// statuses formats the answers seen ("413×32"), or "-".
func statuses(m map[int]int) string {
	if len(m) == 0 {
		return "-"
	}
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d×%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// printRatios compares the attack on the baseline with the one on the
// server under test.
func printRatios(w io.Writer, base, r *report) {
	fmt.Fprintf(w, "\n== %s vs %s ==\n", r.label, base.label)
	growth := func(x *report) float64 { return float64(x.phases[1].peakRSS) / float64(x.restRSS) }
	fmt.Fprintf(w, "peak RSS during the attack / at rest: %.2fx vs %.2fx\n", growth(r), growth(base))
	fmt.Fprintf(w, "peak RSS during the attack: %s vs %s (%.2fx)\n", mib(r.phases[1].peakRSS), mib(base.phases[1].peakRSS),
		float64(r.phases[1].peakRSS)/float64(base.phases[1].peakRSS))
	rate := func(p phaseStats) float64 { return float64(p.ok) / float64(max(1, p.ok+p.fail)) }
	fmt.Fprintf(w, "good client served during the attack: %.1f%% vs %.1f%%\n", 100*rate(r.phases[1]), 100*rate(base.phases[1]))
	p99 := func(x *report, i int) time.Duration { return percentile(x.phases[i].lat, 0.99) }
	fmt.Fprintf(w, "good client p99 during the attack / at rest: %.2fx vs %.2fx\n",
		float64(p99(r, 1))/float64(max(1, p99(r, 0))), float64(p99(base, 1))/float64(max(1, p99(base, 0))))
}
