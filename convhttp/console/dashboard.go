package console

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Causes of a deletion, as the dashboard groups them.
const (
	causeRequest   = "request"
	causeRetention = "retention"
	causeErasure   = "erasure job"
)

func causeOf(d *convstore.Deletion) string {
	switch {
	case !d.ErasureID.IsZero():
		return causeErasure
	case d.Policy != "":
		return causeRetention
	}
	return causeRequest
}

type dashboardView struct {
	Days        int
	Deletions   int
	Truncated   bool
	Backlog     int // receipts of the window whose rows are not purged yet
	Overdue     int
	OverdueMore bool
	Pending     int
	PendingMore bool
	ByDoor      template.HTML
	ByCause     template.HTML
}

// dashboard shows deletions per day by door and by cause over the last
// dashboardDays, the purge backlog and the confirmations waiting.
func (d *Door) dashboard(w http.ResponseWriter, r *http.Request) error {
	key := convhttp.Key(r.Context())
	v := &dashboardView{Days: dashboardDays}
	if !key.Has(convstore.ScopeRead) {
		return d.render(w, r, http.StatusOK, "dashboard", d.page(r, "Dashboard", "dashboard", v))
	}
	tenant := convhttp.Tenant(r)
	now := d.now().UTC()
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1-dashboardDays)
	byDoor, byCause := map[string][]int{}, map[string][]int{}
	var f convstore.DeletionFilter
	f.Limit = convstore.MaxPageLimit
	f.Order = convstore.OrderDesc
scan:
	for {
		list, more, err := d.store.FindDeletions(r.Context(), tenant, f)
		if err != nil {
			return err
		}
		for _, del := range list {
			if del.CreatedAt.Before(start) {
				break scan
			}
			day := int(del.CreatedAt.UTC().Sub(start) / (24 * time.Hour))
			if day >= dashboardDays {
				day = dashboardDays - 1
			}
			v.Deletions++
			if del.PurgedAt == nil {
				v.Backlog++
			}
			for _, m := range []struct {
				m map[string][]int
				k string
			}{{byDoor, del.Door}, {byCause, causeOf(del)}} {
				if m.m[m.k] == nil {
					m.m[m.k] = make([]int, dashboardDays)
				}
				m.m[m.k][day]++
			}
		}
		if !more || len(list) == 0 {
			break
		}
		if v.Deletions >= maxDashboardDeletions {
			v.Truncated = true
			break
		}
		f.After = list[len(list)-1].ID
	}
	var err error
	if v.Overdue, v.OverdueMore, err = d.countDeletions(r, tenant, convstore.DeletionOverdue); err != nil {
		return err
	}
	if v.Pending, v.PendingMore, err = d.countDeletions(r, tenant, convstore.DeletionPending); err != nil {
		return err
	}
	labels := make([]string, dashboardDays)
	for i := range labels {
		labels[i] = start.AddDate(0, 0, i).Format("01-02")
	}
	v.ByDoor = barChart("Deletions per day by door", labels, byDoor)
	v.ByCause = barChart("Deletions per day by cause", labels, byCause)
	return d.render(w, r, http.StatusOK, "dashboard", d.page(r, "Dashboard", "dashboard", v))
}

// countDeletions counts the receipts in a confirmation state, up to a cap.
func (d *Door) countDeletions(r *http.Request, tenant convstore.ID, state string) (int, bool, error) {
	f := convstore.DeletionFilter{State: state}
	f.Limit = convstore.MaxPageLimit
	n := 0
	for range 10 {
		list, more, err := d.store.FindDeletions(r.Context(), tenant, f)
		if err != nil {
			return 0, false, err
		}
		n += len(list)
		if !more || len(list) == 0 {
			return n, false, nil
		}
		f.After = list[len(list)-1].ID
	}
	return n, true, nil
}

// palette colours a chart's series; it is colour-blind safe (Okabe–Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// barChart draws stacked bars, one per label, of every series, as an SVG
// element with a title, a legend and a text alternative. Every text in it
// is escaped; colours come from palette, never from data.
func barChart(title string, labels []string, series map[string][]int) template.HTML {
	names := make([]string, 0, len(series))
	for n := range series {
		names = append(names, n)
	}
	slices.Sort(names)
	maxV := 1
	for i := range labels {
		t := 0
		for _, n := range names {
			t += series[n][i]
		}
		maxV = max(maxV, t)
	}
	const w, h, left, bottom, top = 640, 260, 40, 40, 16
	plotH := float64(h - bottom - top)
	barW := float64(w-left-10) / float64(len(labels))
	var b strings.Builder
	esc := html.EscapeString
	var alt strings.Builder
	alt.WriteString(title + ": ")
	if len(names) == 0 {
		alt.WriteString("no deletions in this period.")
	}
	for _, n := range names {
		sum := 0
		for _, c := range series[n] {
			sum += c
		}
		fmt.Fprintf(&alt, "%s %d; ", displayName(n), sum)
	}
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg" aria-label="%s">`, w, h+22*((len(names)+3)/4), esc(alt.String()))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	// Axis and grid: the maximum and half of it.
	for _, frac := range []float64{0, 0.5, 1} {
		y := float64(top) + plotH*(1-frac)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ccc" stroke-width="1"/>`, left, y, w-10, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#333">%d</text>`, left-4, y+4, int(frac*float64(maxV)+0.5))
	}
	for i, l := range labels {
		x := float64(left) + float64(i)*barW
		base := float64(h - bottom)
		for si, n := range names {
			c := series[n][i]
			if c == 0 {
				continue
			}
			bh := plotH * float64(c) / float64(maxV)
			base -= bh
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %d</title></rect>`,
				x+2, base, barW-4, bh, palette[si%len(palette)], esc(l), esc(displayName(n)), c)
		}
		if (len(labels)-1-i)%2 == 0 { // every other day, today included
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#333">%s</text>`, x+barW/2, h-bottom+16, esc(l))
		}
	}
	for si, n := range names {
		x, y := left+(si%4)*150, h+(si/4)*22
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`, x, y-10, palette[si%len(palette)])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#111">%s</text>`, x+18, y, esc(truncate(displayName(n), 20)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every datum above went through esc
}

func displayName(s string) string {
	if s == "" {
		return "(operator)"
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// retentionView is the retention page: the policies as editable rows and
// the preview of the next run.
type retentionView struct {
	Rows    []retentionRow
	Preview *convstore.RetentionPreview // of the saved policies
	Draft   *convstore.RetentionPreview // of the edited rows, when previewed before saving
	Error   string
}

type retentionRow struct {
	AgentID   string
	Default   bool
	ConvDays  string
	ConvSince string
	AttDays   string
	ArtDays   string
}

func rowsOf(policies []*convstore.RetentionPolicy) []retentionRow {
	var rows []retentionRow
	days := func(r *convstore.RetentionRule) string {
		if r == nil {
			return ""
		}
		return strconv.Itoa(r.Days)
	}
	for _, p := range policies {
		row := retentionRow{AgentID: p.AgentID, Default: p.AgentID == "", ConvDays: days(p.Conversations),
			AttDays: days(p.Attachments), ArtDays: days(p.Artifacts), ConvSince: string(convstore.SinceCreated)}
		if p.Conversations != nil {
			row.ConvSince = string(p.Conversations.Since)
		}
		rows = append(rows, row)
	}
	return rows
}

func (d *Door) retention(w http.ResponseWriter, r *http.Request) error {
	policies, err := d.store.FindRetention(r.Context(), convhttp.Tenant(r))
	if err != nil {
		return err
	}
	return d.showRetention(w, r, http.StatusOK, rowsOf(policies), "", nil)
}

func (d *Door) showRetention(w http.ResponseWriter, r *http.Request, status int, rows []retentionRow, msg string, draft *convstore.RetentionPreview) error {
	preview, err := d.store.PreviewRetention(r.Context(), convhttp.Tenant(r))
	if err != nil {
		return err
	}
	hasDefault := false
	for _, row := range rows {
		hasDefault = hasDefault || row.Default
	}
	if !hasDefault {
		rows = append([]retentionRow{{Default: true, ConvSince: string(convstore.SinceCreated)}}, rows...)
	}
	rows = append(rows, retentionRow{ConvSince: string(convstore.SinceCreated)}) // a blank row to add an agent's policy
	return d.render(w, r, status, "retention", d.page(r, "Retention", "retention", &retentionView{Rows: rows, Preview: preview, Draft: draft, Error: msg}))
}

// saveRetention replaces the tenant's policies with the form's rows: a
// row with no days is no policy.
func (d *Door) saveRetention(w http.ResponseWriter, r *http.Request) error {
	form := r.PostForm
	n, err := strconv.Atoi(form.Get("rows"))
	if err != nil || n < 0 || n > convstore.MaxRetentionPolicies+2 {
		return convstore.Invalidf("rows", "rows must be a small count")
	}
	var rows []retentionRow
	var policies []*convstore.RetentionPolicy
	var bad string
	for i := range n {
		p := strconv.Itoa(i)
		row := retentionRow{AgentID: strings.TrimSpace(form.Get("agent_" + p)), Default: form.Get("default_"+p) == "1",
			ConvDays: strings.TrimSpace(form.Get("conv_days_" + p)), ConvSince: form.Get("conv_since_" + p),
			AttDays: strings.TrimSpace(form.Get("att_days_" + p)), ArtDays: strings.TrimSpace(form.Get("art_days_" + p))}
		if row.Default {
			row.AgentID = ""
		}
		rows = append(rows, row)
		if row.ConvDays == "" && row.AttDays == "" && row.ArtDays == "" {
			continue
		}
		if !row.Default && row.AgentID == "" {
			bad = "Row " + strconv.Itoa(i+1) + ": give the agent id the policy is for."
			continue
		}
		pol := &convstore.RetentionPolicy{AgentID: row.AgentID}
		rule := func(field, s string) *convstore.RetentionRule {
			if s == "" {
				return nil
			}
			v, err := strconv.Atoi(s)
			if err != nil {
				bad = "Row " + strconv.Itoa(i+1) + ": " + field + " must be a whole number of days."
				return nil
			}
			return &convstore.RetentionRule{Days: v}
		}
		pol.Conversations = rule("conversations", row.ConvDays)
		if pol.Conversations != nil {
			pol.Conversations.Since = convstore.RetentionSince(row.ConvSince)
		}
		pol.Attachments = rule("attachments", row.AttDays)
		pol.Artifacts = rule("artifacts", row.ArtDays)
		policies = append(policies, pol)
	}
	if bad == "" {
		if err := convstore.ValidateRetention(policies); err != nil {
			bad = convstore.ErrorMessage(err)
		}
	}
	kept := func() []retentionRow {
		var kept []retentionRow
		for _, row := range rows {
			if row.Default || row.AgentID != "" || row.ConvDays != "" || row.AttDays != "" || row.ArtDays != "" {
				kept = append(kept, row)
			}
		}
		return kept
	}
	// "Preview" shows what the edited rows would erase, saving nothing,
	// with the rows as edited so they can be changed again or saved.
	if bad == "" && form.Get("mode") == "preview" {
		draft, err := d.store.PreviewRetentionDraft(r.Context(), convhttp.Tenant(r), policies)
		if convstore.ErrorCode(err) == convstore.EINVALID {
			bad = convstore.ErrorMessage(err)
		} else if err != nil {
			return err
		} else {
			return d.showRetention(w, r, http.StatusOK, kept(), "", draft)
		}
	}
	if bad == "" {
		_, err := d.store.ReplaceRetention(r.Context(), convhttp.Tenant(r), policies, convhttp.DeleteParams(r, DoorName))
		if convstore.ErrorCode(err) == convstore.EINVALID {
			bad = convstore.ErrorMessage(err)
		} else if err != nil {
			return err
		}
	}
	if bad != "" {
		return d.showRetention(w, r, http.StatusUnprocessableEntity, kept(), bad, nil)
	}
	return seeOther(w, r, "/retention?saved=1")
}
