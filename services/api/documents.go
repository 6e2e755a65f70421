package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// DocumentView is a stored document's record, with where to read it.
type DocumentView struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	ContentType string     `json:"content_type"`
	Filename    string     `json:"filename"`
	SizeBytes   int64      `json:"size_bytes"`
	SHA256      string     `json:"sha256"`
	InvoiceID   string     `json:"invoice_id,omitempty"`
	DebtorID    string     `json:"debtor_id,omitempty"`
	LegalHold   bool       `json:"legal_hold"`
	CreatedAt   time.Time  `json:"created_at"`
	RemovedAt   *time.Time `json:"removed_at,omitempty"`
	URL         string     `json:"url,omitempty"`
}

func documentView(d store.Document) DocumentView {
	v := DocumentView{ID: d.ID, Kind: d.Kind, ContentType: d.ContentType, Filename: d.Filename, SizeBytes: d.SizeBytes,
		SHA256: d.SHA256, InvoiceID: d.InvoiceID, DebtorID: d.DebtorID, LegalHold: d.LegalHold, CreatedAt: d.CreatedAt,
		RemovedAt: d.RemovedAt}
	if d.RemovedAt == nil && d.StoredAt != nil {
		v.URL = documentURL(d.ID)
	}
	return v
}

func documentURL(id string) string { return "/v1/documents/" + id }

// DocumentList is a case's documents, oldest first.
type DocumentList struct {
	Items []DocumentView `json:"items"`
}

// caseDocuments lists the documents of a case (its invoice).
func (a *API) caseDocuments(c *gin.Context) {
	inv, _, ok := a.invoiceInScope(c, c.Param("id"))
	if !ok {
		return
	}
	docs, err := store.DocumentsOfInvoice(c.Request.Context(), a.Store.Pool, inv.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := DocumentList{Items: []DocumentView{}}
	for _, d := range docs {
		if d.StoredAt != nil {
			out.Items = append(out.Items, documentView(d))
		}
	}
	c.JSON(http.StatusOK, out)
}

// getDocument serves a document to whoever may see its case (or, for a
// debtor's own document such as an export, its debtor); the bytes are
// checked against the recorded SHA-256 before they leave.
func (a *API) getDocument(c *gin.Context) {
	d, err := store.GetDocument(c.Request.Context(), a.Store.Pool, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "document")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if !a.documentInScope(c, d) {
		return
	}
	a.serveDocument(c, d.ID)
}

// documentInScope answers 404 (as for a document that does not exist) when
// the caller may not see the document's case or debtor.
func (a *API) documentInScope(c *gin.Context, d store.Document) bool {
	switch {
	case d.InvoiceID != "":
		if _, _, ok := a.invoiceInScopeAs(c, d.InvoiceID, "document"); !ok {
			return false
		}
	case d.DebtorID != "":
		if _, ok := a.debtorInScopeAs(c, d.DebtorID, "document"); !ok {
			return false
		}
	default:
		if role := tokenauth.Token(c).Role; role != store.RoleManager && role != store.RoleAdmin {
			notFound(c, "document")
			return false
		}
	}
	return true
}

// serveDocument writes a document's bytes, once the caller's scope is checked.
func (a *API) serveDocument(c *gin.Context, id string) {
	d, data, err := a.Documents.Open(c.Request.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		notFound(c, "document")
		return
	case errors.Is(err, documents.ErrRemoved):
		problem(c, httpx.NewProblem(http.StatusGone, "the document was erased (GDPR); its SHA-256 stays on record"))
		return
	case errors.Is(err, documents.ErrCorrupt):
		a.Logger.Error("document does not match its recorded SHA-256: not served", "document", id, "err", err)
		problem(c, httpx.NewProblem(http.StatusInternalServerError, "the stored document does not match its recorded SHA-256"))
		return
	case err != nil:
		a.fail(c, err)
		return
	}
	sum, _ := hex.DecodeString(d.SHA256)
	h := c.Writer.Header()
	h.Set("ETag", `"`+d.SHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	if d.Filename != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": d.Filename}))
	}
	if match := c.GetHeader("If-None-Match"); match == `"`+d.SHA256+`"` {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, d.ContentType, data)
}
