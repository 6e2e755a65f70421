package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// InvoiceImport answers a single-invoice import.
type InvoiceImport struct {
	intake.LineResult
	Invoice store.Invoice `json:"invoice"`
}

func (a *API) createInvoice(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		a.fail(c, err)
		return
	}
	in, fe := intake.DecodeInvoice(body)
	if fe != nil {
		if fe.Field == "body" {
			problem(c, httpx.NewProblem(http.StatusBadRequest, "malformed JSON: "+fe.Reason))
			return
		}
		invalid(c, fe.Field, fe.Reason)
		return
	}
	rep, err := a.Intake.ImportInvoices(c.Request.Context(), tokenauth.Actor(c), []intake.Line{{Line: 1, Input: in}})
	if err != nil {
		a.fail(c, err)
		return
	}
	res := rep.Lines[0]
	if res.Outcome == intake.Rejected {
		status := http.StatusUnprocessableEntity
		if res.InvoiceID != "" {
			status = http.StatusConflict // the number exists and this change is not allowed
		}
		fieldProblem(c, status, res.Field, res.Reason)
		return
	}
	inv, err := store.GetInvoice(c.Request.Context(), a.Store.Pool, res.InvoiceID)
	if err != nil {
		a.fail(c, err)
		return
	}
	status := http.StatusOK
	if res.Outcome == intake.Created {
		status = http.StatusCreated
	}
	c.JSON(status, InvoiceImport{LineResult: res, Invoice: inv})
}

// bulkInvoices imports a JSON array, a CSV body or a CSV file in a
// multipart form (field "file"). A malformed file is 400 and nothing is
// written; otherwise the report has one entry per line.
func (a *API) bulkInvoices(c *gin.Context) {
	mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		problem(c, httpx.NewProblem(http.StatusUnsupportedMediaType, "send application/json, text/csv or multipart/form-data"))
		return
	}
	var lines []intake.Line
	switch mediaType {
	case "application/json":
		body, rerr := io.ReadAll(c.Request.Body)
		if rerr != nil {
			a.fail(c, rerr)
			return
		}
		lines, err = intake.ParseInvoicesJSON(body)
	case "text/csv", "application/csv":
		lines, err = intake.ParseInvoicesCSV(c.Request.Body)
	case "multipart/form-data":
		fh, ferr := c.FormFile("file")
		if ferr != nil {
			fieldProblem(c, http.StatusBadRequest, "file", "attach the CSV as the form field \"file\"")
			return
		}
		f, ferr := fh.Open()
		if ferr != nil {
			a.fail(c, ferr)
			return
		}
		defer f.Close()
		lines, err = intake.ParseInvoicesCSV(f)
	default:
		problem(c, httpx.NewProblem(http.StatusUnsupportedMediaType, "send application/json, text/csv or multipart/form-data"))
		return
	}
	var fileErr *intake.FileError
	if errors.As(err, &fileErr) {
		p := httpx.NewProblem(http.StatusBadRequest, "malformed file, nothing imported: "+fileErr.Error())
		p.Field = fileErr.Field
		problem(c, p)
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	rep, err := a.Intake.ImportInvoices(c.Request.Context(), tokenauth.Actor(c), lines)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

func (a *API) getInvoice(c *gin.Context) {
	inv, _, ok := a.invoiceInScope(c, c.Param("id"))
	if !ok {
		return
	}
	out := InvoiceWithCase{Invoice: inv}
	row, err := store.GetCaseRow(c.Request.Context(), a.Store.Pool, inv.ID, a.today())
	switch {
	case err == nil:
		out.Case = &row
	case !errors.Is(err, store.ErrNotFound):
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// CreditNoteRequest is the body of POST /v1/invoices/{id}/credit-notes.
type CreditNoteRequest struct {
	ID          string `json:"id,omitempty"`
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason,omitempty"`
}

// CreditNoteResponse is the credit note and the case after it.
type CreditNoteResponse struct {
	CreditNote store.CreditNote  `json:"credit_note"`
	Case       *domain.CaseState `json:"case,omitempty"`
}

// creditNote applies a credit note: first to the case (which validates
// it), then to Postgres with its audit line. The note's ID is stable for a
// given Idempotency-Key, so a retry after a failure completes the job
// without crediting twice.
func (a *API) creditNote(c *gin.Context) {
	inv, _, ok := a.invoiceInScope(c, c.Param("id"))
	if !ok {
		return
	}
	var req CreditNoteRequest
	if !decode(c, &req) {
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	if !reasonOK(c, "reason", req.Reason, false) {
		return
	}
	if len(req.ID) > 200 {
		invalid(c, "id", "is longer than 200 bytes")
		return
	}
	if req.ID == "" {
		req.ID = derivedID("cn_", inv.ID, key)
	}
	// The case's update ID is the note's ID, not scoped to the invoice: a
	// note ID taken by another invoice or amount must stop here, before a
	// case is credited for a note Postgres will refuse. The same note sent
	// again is a retry, checked against the balance before it.
	retry := false
	if prev, err := store.GetCreditNote(c.Request.Context(), a.Store.Pool, req.ID); err == nil {
		if prev.InvoiceID != inv.ID || prev.AmountCents != req.AmountCents {
			fieldProblem(c, http.StatusConflict, "id", "a different credit note already has this ID")
			return
		}
		retry = true
	} else if !errors.Is(err, store.ErrNotFound) {
		a.fail(c, err)
		return
	}
	switch {
	case len(req.ID) > 64:
		invalid(c, "id", "is longer than 64 bytes")
		return
	case req.AmountCents <= 0:
		invalid(c, "amount_cents", "must be greater than zero")
		return
	case !retry && req.AmountCents > inv.BalanceCents:
		invalid(c, "amount_cents", fmt.Sprintf("exceeds the balance of %d", inv.BalanceCents))
		return
	case inv.Status != "open":
		problem(c, httpx.NewProblem(http.StatusConflict, "the invoice is "+inv.Status+": nothing was changed"))
		return
	}
	ctx := c.Request.Context()
	var st *domain.CaseState
	state, err := a.Cases.Update(ctx, inv.ID, domain.UpdateCredit, "credit:"+req.ID,
		domain.CreditUpdate{ID: req.ID, AmountCents: req.AmountCents, Reason: req.Reason})
	switch {
	case err == nil:
		st = &state
	case errors.Is(err, caseclient.ErrCaseNotFound) && !errors.Is(err, caseclient.ErrCaseClosed):
		// Not due yet: no case runs, the credit only lowers the invoice.
	default:
		a.caseFailed(c, err)
		return
	}
	var cn store.CreditNote
	err = a.Store.InTx(ctx, func(tx pgx.Tx) error {
		var created bool
		var err error
		cn, created, err = store.InsertCreditNote(ctx, tx, store.CreditNote{
			ID: req.ID, InvoiceID: inv.ID, AmountCents: req.AmountCents, Currency: inv.Currency, Reason: req.Reason,
		})
		if err != nil || !created {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "invoice.credit", Entity: "invoice",
			EntityID: inv.ID, Before: inv, After: map[string]any{"credit_note": cn, "case": caseSummary(st)}})
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	if cn.InvoiceID != inv.ID || cn.AmountCents != req.AmountCents {
		fieldProblem(c, http.StatusConflict, "id", "a different credit note already has this ID")
		return
	}
	c.JSON(http.StatusCreated, CreditNoteResponse{CreditNote: cn, Case: st})
}

// ReasonRequest carries a reason (cancel, resume, write-off).
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// cancelInvoice cancels the invoice and ends its case.
func (a *API) cancelInvoice(c *gin.Context) {
	inv, _, ok := a.invoiceInScope(c, c.Param("id"))
	if !ok {
		return
	}
	var req ReasonRequest
	if !decode(c, &req) {
		return
	}
	if !reasonOK(c, "reason", req.Reason, true) {
		return
	}
	if inv.Status != "open" && inv.Status != "cancelled" {
		problem(c, httpx.NewProblem(http.StatusConflict, "the invoice is "+inv.Status+": nothing was changed"))
		return
	}
	ctx := c.Request.Context()
	var st *domain.CaseState
	state, err := a.Cases.Update(ctx, inv.ID, domain.UpdateCancel, "cancel:"+inv.ID, domain.ReasonUpdate{Reason: req.Reason})
	switch {
	case err == nil:
		st = &state
	case errors.Is(err, caseclient.ErrCaseNotFound) && !errors.Is(err, caseclient.ErrCaseClosed):
	case errors.Is(err, caseclient.ErrCaseClosed) && inv.Status == "cancelled":
		// A retry after the case ended: finish the Postgres side.
	default:
		a.caseFailed(c, err)
		return
	}
	err = a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.SetInvoiceStatus(ctx, tx, inv.ID, "cancelled"); err != nil {
			return err
		}
		return auditCase(ctx, tx, tokenauth.Actor(c), "invoice.cancel", inv.ID, inv, req, st)
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	inv.Status = "cancelled"
	c.JSON(http.StatusOK, InvoiceWithCaseState{Invoice: inv, Case: st})
}

// InvoiceWithCaseState is an invoice and the case state after an action.
type InvoiceWithCaseState struct {
	Invoice store.Invoice     `json:"invoice"`
	Case    *domain.CaseState `json:"case,omitempty"`
}

// caseSummary is what the audit keeps of a case state.
func caseSummary(st *domain.CaseState) any {
	if st == nil {
		return nil
	}
	return map[string]any{"status": st.Status, "stage": st.Stage, "balance_cents": st.BalanceCents, "pause": st.Pause}
}

// auditCase records an action on a case: the request and the case after it.
func auditCase(ctx context.Context, q store.Querier, who store.Actor, action, invoiceID string, before, request any, st *domain.CaseState) error {
	return store.Audit(ctx, q, store.AuditEntry{Actor: who, Action: action, Entity: "case", EntityID: invoiceID,
		Before: before, After: map[string]any{"request": request, "case": caseSummary(st)}})
}
