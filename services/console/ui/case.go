package ui

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/relance/relance/services/console/apiclient"
	"github.com/relance/relance/services/console/ui/form"
)

// CasePage is a case with its debtor's 360 narrowed to its invoice.
type CasePage struct {
	Case      apiclient.CaseDetail
	Debtor    apiclient.Debtor
	Payments  []apiclient.Payment
	Promises  []apiclient.Promise
	Plans     []apiclient.Plan
	Disputes  []apiclient.Dispute
	Documents []apiclient.Interaction
	Timeline  []apiclient.TimelineItem
	// TemporalURL opens the case's workflow in the Temporal UI.
	TemporalURL string
}

// caseShow is GET /cases/{id} (the invoice id).
func (c *Console) caseShow(w http.ResponseWriter, r *http.Request) {
	c.renderCase(w, r, http.StatusOK, c.view(w, r, "case.title"))
}

func (c *Console) renderCase(w http.ResponseWriter, r *http.Request, status int, v *View) {
	id := r.PathValue("id")
	var page CasePage
	ctx, token := r.Context(), tokenOf(r)
	if err := c.cfg.API.Call(ctx, token, http.MethodGet, "/v1/cases/"+apiclient.PathEscape(id), nil, &page.Case); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	var d360 apiclient.Debtor360
	if err := c.cfg.API.Call(ctx, token, http.MethodGet, "/v1/debtors/"+apiclient.PathEscape(page.Case.Invoice.DebtorID)+"/360", nil, &d360); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	page.Debtor = d360.Debtor
	page.Payments = d360.Payments
	for _, p := range d360.Promises {
		if p.InvoiceID == id {
			page.Promises = append(page.Promises, p)
		}
	}
	for _, p := range d360.Plans {
		if p.InvoiceID == id {
			page.Plans = append(page.Plans, p)
		}
	}
	for _, d := range d360.Disputes {
		if d.InvoiceID == id {
			page.Disputes = append(page.Disputes, d)
		}
	}
	for _, t := range d360.Timeline {
		if t.InvoiceID != id {
			continue
		}
		page.Timeline = append(page.Timeline, t)
		if t.Interaction != nil && (t.Interaction.FileURL != "" || t.Interaction.BodyText != "") {
			page.Documents = append(page.Documents, *t.Interaction)
		}
	}
	if c.cfg.TemporalUI != "" {
		page.TemporalURL = temporalLink(c.cfg.TemporalUI, c.cfg.Namespace, id)
	}
	if done := r.URL.Query().Get("done"); done != "" && v.Flash == "" {
		v.Flash = v.L.T(done)
	}
	v.Title = v.L.T("case.title", page.Case.Invoice.Number)
	v.Nav, v.Data = "cases", page
	c.render(w, r, status, "case", v)
}

// temporalLink is the Temporal UI page of a case's workflow.
func temporalLink(base, namespace, invoiceID string) string {
	if namespace == "" {
		namespace = "default"
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", base, url.PathEscape(namespace), url.PathEscape("invoice:"+invoiceID))
}

// caseActions maps a form of the case page to its API call and the
// fields it sends; the API validates them.
var caseActions = map[string]string{
	"promise": "promise", "plan": "plan", "hold": "hold", "resume": "resume",
	"notes": "notes", "reassign": "reassign", "write-off": "write-off",
}

// caseAction is POST /cases/{id}/{action}.
func (c *Console) caseAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	apiAction, ok := caseActions[action]
	if !ok {
		http.NotFound(w, r)
		return
	}
	var body any
	var errs form.Errors
	switch action {
	case "promise":
		body, errs = form.Promise(r.PostForm)
	case "plan":
		body, errs = form.Plan(r.PostForm)
	case "hold":
		body = form.Text(r.PostForm, "reason", "until")
	case "resume", "write-off":
		body = form.Text(r.PostForm, "reason")
	case "notes":
		body = form.Text(r.PostForm, "text")
	case "reassign":
		body = form.Text(r.PostForm, "collector_id")
	}
	if len(errs) > 0 {
		v := c.view(w, r, "case.title")
		v.withRefusal(action, r, &apiclient.Problem{Status: http.StatusUnprocessableEntity, Errors: fieldErrors(errs)})
		c.renderCase(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodPost, "/v1/cases/"+apiclient.PathEscape(id)+"/"+apiAction, body, nil)
	if p, ok := refused(err); ok {
		v := c.view(w, r, "case.title")
		v.withRefusal(action, r, p)
		c.renderCase(w, r, p.Status, v)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	back(w, r, "/cases/"+apiclient.PathEscape(id), "case.done")
}

// debtorShow is GET /debtors/{id}: the debtor 360.
func (c *Console) debtorShow(w http.ResponseWriter, r *http.Request) {
	var d360 apiclient.Debtor360
	if err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodGet, "/v1/debtors/"+apiclient.PathEscape(r.PathValue("id"))+"/360", nil, &d360); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	v := c.view(w, r, "case.debtor")
	v.Title = d360.Debtor.Name
	v.Nav, v.Data = "cases", d360
	c.render(w, r, http.StatusOK, "debtor", v)
}

// documentShow is GET /documents/{id}: a letter's PDF, shown inline.
func (c *Console) documentShow(w http.ResponseWriter, r *http.Request) {
	raw, err := c.cfg.API.Fetch(r.Context(), tokenOf(r), "/v1/interactions/"+apiclient.PathEscape(r.PathValue("id"))+"/file")
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	ct := raw.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "inline")
	w.Header().Set("Cache-Control", "private, no-store")
	if ct == "application/pdf" {
		// The browser's PDF viewer runs no script of the document's.
		w.Header().Del("Content-Security-Policy")
	} else {
		// Anything else is shown as it is: no script of its own runs with the console's origin.
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	}
	_, _ = w.Write(raw.Body)
}
