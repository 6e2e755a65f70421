package ui

import (
	"net/http"

	"github.com/relance/relance/services/console/apiclient"
)

// CasesPage is a page of the case list, each case with its Temporal UI link.
type CasesPage struct {
	Items      []CaseLink
	Status     string
	Stage      string
	Collector  string
	NextCursor string
	Statuses   []string
}

// CaseLink is a case and where the Temporal UI shows it.
type CaseLink struct {
	apiclient.CaseRow
	TemporalURL string
}

// casesList is GET /cases: the API's case list and its filters.
func (c *Console) casesList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := CasesPage{Status: q.Get("status"), Stage: q.Get("stage"), Collector: q.Get("collector"),
		Statuses: []string{"active", "paused", "needs_attention", "closed"}}
	var list apiclient.CaseList
	err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodGet, "/v1/cases"+apiclient.Query(
		"status", page.Status, "stage", page.Stage, "collector", page.Collector, "cursor", q.Get("cursor"), "limit", "50"), nil, &list)
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	for _, row := range list.Items {
		link := CaseLink{CaseRow: row}
		if c.cfg.TemporalUI != "" {
			link.TemporalURL = temporalLink(c.cfg.TemporalUI, c.cfg.Namespace, row.InvoiceID)
		}
		page.Items = append(page.Items, link)
	}
	page.NextCursor = list.NextCursor
	v := c.view(w, r, "cases.title")
	v.Nav, v.Data = "cases", page
	c.render(w, r, http.StatusOK, "cases", v)
}
