package ui

import (
	"net/http"

	"github.com/relance/relance/services/console/apiclient"
)

// ImportPage is the CSV upload and, after one, the API's per-line report.
type ImportPage struct {
	Report   *apiclient.ImportReport
	Rejected []apiclient.ImportLine
}

// importShow is GET /admin/import.
func (c *Console) importShow(w http.ResponseWriter, r *http.Request) {
	v := c.view(w, r, "import.title")
	v.Nav, v.Data = "import", ImportPage{}
	c.render(w, r, http.StatusOK, "import", v)
}

// importSubmit is POST /admin/import: the file goes to POST
// /v1/invoices:bulk as it is; the API's report is shown line by line.
func (c *Console) importSubmit(w http.ResponseWriter, r *http.Request) {
	v := c.view(w, r, "import.title")
	v.Nav = "import"
	file, fh, err := r.FormFile("file")
	if err != nil {
		v.withRefusal("import", r, &apiclient.Problem{Status: http.StatusBadRequest,
			Errors: []apiclient.FieldError{{Field: "file", Reason: "attach a CSV file"}}})
		v.Data = ImportPage{}
		c.render(w, r, http.StatusBadRequest, "import", v)
		return
	}
	defer file.Close()
	var rep apiclient.ImportReport
	err = c.cfg.API.Upload(r.Context(), tokenOf(r), "/v1/invoices:bulk", fh.Filename, file, &rep)
	if p, ok := refused(err); ok {
		v.withRefusal("import", r, p)
		v.Data = ImportPage{}
		c.render(w, r, p.Status, "import", v)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	page := ImportPage{Report: &rep}
	for _, l := range rep.Lines {
		if l.Outcome == "rejected" {
			page.Rejected = append(page.Rejected, l)
		}
	}
	v.Data = page
	c.render(w, r, http.StatusOK, "import", v)
}
