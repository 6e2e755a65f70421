package ui

import (
	"net/http"

	"github.com/relance/relance/services/console/apiclient"
	"github.com/relance/relance/services/console/ui/form"
)

// WorklistPage is the worklist: tasks in the API's score order.
type WorklistPage struct {
	Items     []apiclient.WorkItem
	Collector string
	Kind      string
	MinAmount string
	Kinds     []string
}

// worklistShow is GET /worklist: the API ranks the tasks (a manager may
// ask for one collector's); the kind and minimum balance filters narrow
// what is shown without changing the order.
func (c *Console) worklistShow(w http.ResponseWriter, r *http.Request) {
	c.renderWorklist(w, r, http.StatusOK, c.view(w, r, "worklist.title"))
}

func (c *Console) renderWorklist(w http.ResponseWriter, r *http.Request, status int, v *View) {
	q := r.URL.Query()
	page := WorklistPage{Collector: q.Get("collector"), Kind: q.Get("kind"), MinAmount: q.Get("min_amount")}
	var list apiclient.Worklist
	err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodGet, "/v1/worklist"+apiclient.Query("collector", page.Collector, "limit", "200"), nil, &list)
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	min, hasMin := form.Amount(page.MinAmount)
	seen := map[string]bool{}
	for _, it := range list.Items {
		if !seen[it.Kind] {
			seen[it.Kind] = true
			page.Kinds = append(page.Kinds, it.Kind)
		}
		if page.Kind != "" && it.Kind != page.Kind {
			continue
		}
		if hasMin && it.BalanceCents < min {
			continue
		}
		page.Items = append(page.Items, it)
	}
	if done := q.Get("done"); done != "" && v.Flash == "" {
		v.Flash = v.L.T(done)
	}
	v.Nav, v.Data = "worklist", page
	c.render(w, r, status, "worklist", v)
}

// taskComplete is POST /tasks/{id}/complete: one click records the call's
// outcome; a promise, a dispute or a call-back carries its details.
func (c *Console) taskComplete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	req, errs := form.ParseCompletion(r.PostForm)
	formName := "task:" + id
	if len(errs) > 0 {
		v := c.view(w, r, "worklist.title")
		v.withRefusal(formName, r, &apiclient.Problem{Status: http.StatusUnprocessableEntity, Errors: fieldErrors(errs)})
		c.renderWorklist(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	var out apiclient.CompleteResponse
	err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodPost, "/v1/tasks/"+apiclient.PathEscape(id)+"/complete", req, &out)
	if p, ok := refused(err); ok {
		v := c.view(w, r, "worklist.title")
		v.withRefusal(formName, r, p)
		c.renderWorklist(w, r, p.Status, v)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	if next := r.PostFormValue("next"); next == "case" {
		back(w, r, "/cases/"+apiclient.PathEscape(out.Task.InvoiceID), "case.done")
		return
	}
	back(w, r, "/worklist", "case.done")
}

func fieldErrors(errs form.Errors) []apiclient.FieldError {
	var out []apiclient.FieldError
	for f, reason := range errs {
		out = append(out, apiclient.FieldError{Field: f, Reason: reason})
	}
	return out
}
