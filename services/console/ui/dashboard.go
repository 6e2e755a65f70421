package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/relance/relance/services/console/apiclient"
)

// DashboardPage is the manager's dashboard: charts drawn on the server
// as SVG from the API's reports.
type DashboardPage struct {
	KPIs     apiclient.KPIs
	Aging    template.HTML
	Promises template.HTML
	Workload template.HTML
	Waiting  []CaseLink
	KeptRate string
	DSO      string
	CEI      string
	Period   string
}

// dashboardShow is GET /dashboard. The reports are the API's (managers
// only: a collector gets the API's 403).
func (c *Console) dashboardShow(w http.ResponseWriter, r *http.Request) {
	ctx, token := r.Context(), tokenOf(r)
	var page DashboardPage
	var report apiclient.KPIReport
	if err := c.cfg.API.Call(ctx, token, http.MethodGet, "/v1/reports/kpis?currency=EUR", nil, &report); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	page.KPIs = apiclient.KPIs{Currency: "EUR"}
	if len(report.Currencies) > 0 {
		page.KPIs = report.Currencies[0]
	}
	v := c.view(w, r, "dash.title")
	l := v.L
	page.Period = l.Date(report.From) + " – " + l.Date(report.To)
	var bars []bar
	for _, b := range page.KPIs.Aging {
		bars = append(bars, bar{Label: l.Code("aging." + b.Bucket), Value: float64(b.BalanceCents), Text: l.Money(b.BalanceCents, page.KPIs.Currency)})
	}
	page.Aging = barChart(l.T("dash.aging"), bars)
	page.Promises = barChart(l.T("dash.promises"), []bar{
		{Label: l.Code("kept"), Value: float64(page.KPIs.PromisesKept), Text: fmt.Sprint(page.KPIs.PromisesKept)},
		{Label: l.Code("broken"), Value: float64(page.KPIs.PromisesBroken), Text: fmt.Sprint(page.KPIs.PromisesBroken)},
	})
	page.KeptRate = figure(page.KPIs.PromiseKeptRate, 100, "%.0f %%")
	page.DSO = figure(page.KPIs.DSOCountbackDays, 1, "%.1f")
	if page.KPIs.DSOCountbackDays == nil {
		page.DSO = figure(page.KPIs.DSOSimpleDays, 1, "%.1f")
	}
	page.CEI = figure(page.KPIs.CEIPercent, 1, "%.0f %%")

	// Workload: the open tasks due now, per collector.
	var list apiclient.Worklist
	if err := c.cfg.API.Call(ctx, token, http.MethodGet, "/v1/worklist?limit=500", nil, &list); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	load := map[string]int{}
	for _, it := range list.Items {
		who := it.CollectorID
		if who == "" {
			who = "—"
		}
		load[who]++
	}
	names := make([]string, 0, len(load))
	for n := range load {
		names = append(names, n)
	}
	sort.Strings(names)
	var wl []bar
	for _, n := range names {
		wl = append(wl, bar{Label: n, Value: float64(load[n]), Text: fmt.Sprint(load[n])})
	}
	page.Workload = barChart(l.T("dash.workload"), wl)

	// Waiting for a human: cases that need attention, then disputed ones.
	for _, filter := range []string{"status=needs_attention", "status=paused&limit=200"} {
		var cases apiclient.CaseList
		if err := c.cfg.API.Call(ctx, token, http.MethodGet, "/v1/cases?"+filter, nil, &cases); err != nil {
			c.apiFailed(w, r, err)
			return
		}
		for _, row := range cases.Items {
			if row.Status == "paused" && row.PauseReason != "dispute" {
				continue
			}
			link := CaseLink{CaseRow: row}
			if c.cfg.TemporalUI != "" {
				link.TemporalURL = temporalLink(c.cfg.TemporalUI, c.cfg.Namespace, row.InvoiceID)
			}
			page.Waiting = append(page.Waiting, link)
		}
	}
	v.Nav, v.Data = "dashboard", page
	c.render(w, r, http.StatusOK, "dashboard", v)
}

// figure formats a KPI the API may leave undefined (no data): "—".
func figure(v *float64, scale float64, format string) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf(format, *v*scale)
}

// bar is one bar of a chart.
type bar struct {
	Label string
	Value float64
	Text  string
}

// barChart draws horizontal bars as an accessible SVG (role img, a title,
// and each value written beside its bar).
func barChart(title string, bars []bar) template.HTML {
	const width, rowH, labelW, textW = 560, 28, 150, 120
	max := 0.0
	for _, b := range bars {
		if b.Value > max {
			max = b.Value
		}
	}
	h := rowH*len(bars) + 8
	if len(bars) == 0 {
		h = rowH
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		template.HTMLEscapeString(title), width, h, width, h, template.HTMLEscapeString(title))
	for i, b := range bars {
		y := 4 + i*rowH
		bw := 0.0
		if max > 0 {
			bw = b.Value / max * float64(width-labelW-textW)
		}
		fmt.Fprintf(&s, `<text x="0" y="%d" class="label">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" class="bar"></rect><text x="%.1f" y="%d" class="value">%s</text>`,
			y+18, template.HTMLEscapeString(b.Label), labelW, y+4, bw, rowH-10, float64(labelW)+bw+6, y+18, template.HTMLEscapeString(b.Text))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}
