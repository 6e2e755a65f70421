package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/pgtext"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// Limits on what a request may carry.
const (
	maxBody        = 256 << 10
	maxReason      = 2000
	maxComment     = 5000
	maxAttachments = 20
	maxRef         = 500
)

var disputeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// Handlers serves the disputes API.
type Handlers struct {
	Store  *store.Store
	Logger *slog.Logger
}

// Update IDs of a dispute's case commands: derived from the dispute ID, so
// a change is delivered to the case once however often it is retried.
func openUpdateID(disputeID string) string    { return "dispute:" + disputeID + ":open" }
func resolveUpdateID(disputeID string) string { return "dispute:" + disputeID + ":resolve" }

// Router returns the service's routes. Collectors open and comment on
// disputes of their own portfolio; deciding one (a credit is money given
// up) is for managers, admins and services.
func (h *Handlers) Router() http.Handler {
	r := gin.New()
	r.Use(gin.Recovery(), httpx.AnswerUnwritten(h.Logger))
	tokens := tokenauth.NewVerifier(h.Store.Pool)
	anyRole := tokenauth.Require(tokens, store.RoleCollector, store.RoleManager, store.RoleAdmin, store.RoleService)
	deciders := tokenauth.Require(tokens, store.RoleManager, store.RoleAdmin, store.RoleService)
	r.GET("/v1/openapi.yaml", serveOpenAPI)
	r.POST("/v1/disputes", anyRole, h.open)
	r.GET("/v1/disputes/:id", anyRole, h.get)
	r.POST("/v1/disputes/:id/comments", anyRole, h.comment)
	r.POST("/v1/disputes/:id/resolve", deciders, h.resolve)
	r.NoRoute(func(c *gin.Context) { httpx.Write(c.Writer, httpx.NewProblem(http.StatusNotFound, "no such route")) })
	return r
}

// problem is an error carrying its HTTP answer; returned from inside a
// transaction, it rolls it back.
type problem struct{ httpx.Problem }

func (p problem) Error() string { return p.Detail }

func fieldProblem(status int, field, reason string) problem {
	return problem{httpx.FieldProblem(status, domain.FieldError{Field: field, Reason: reason})}
}

// openRequest opens a dispute on an invoice (by ID or number).
type openRequest struct {
	// ID is optional: a client-chosen ID makes the request idempotent.
	ID            string `json:"id"`
	InvoiceID     string `json:"invoice_id"`
	InvoiceNumber string `json:"invoice_number"`
	// AmountCents 0 (or absent) disputes the whole undisputed balance.
	AmountCents int64              `json:"amount_cents"`
	Reason      string             `json:"reason"`
	Attachments []store.Attachment `json:"attachments"`
}

func (in *openRequest) validate() error {
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.ID != "" && !disputeIDPattern.MatchString(in.ID):
		return fieldProblem(http.StatusUnprocessableEntity, "id", "must be 1 to 64 letters, digits or _.:-")
	case in.InvoiceID == "" && in.InvoiceNumber == "":
		return fieldProblem(http.StatusUnprocessableEntity, "invoice_id", "an invoice id or number is required")
	case in.AmountCents < 0:
		return fieldProblem(http.StatusUnprocessableEntity, "amount_cents", "must not be negative (0 disputes the whole balance)")
	case in.Reason == "":
		return fieldProblem(http.StatusUnprocessableEntity, "reason", "is required")
	case utf8.RuneCountInString(in.Reason) > maxReason:
		return fieldProblem(http.StatusUnprocessableEntity, "reason", fmt.Sprintf("is longer than %d characters", maxReason))
	case len(in.Attachments) > maxAttachments:
		return fieldProblem(http.StatusUnprocessableEntity, "attachments", fmt.Sprintf("at most %d", maxAttachments))
	}
	for i, a := range in.Attachments {
		if strings.TrimSpace(a.Ref) == "" || len(a.Ref) > maxRef || len(a.Name) > maxRef {
			return fieldProblem(http.StatusUnprocessableEntity, fmt.Sprintf("attachments[%d].ref", i),
				fmt.Sprintf("is required, at most %d characters (a document reference or URL)", maxRef))
		}
	}
	return nil
}

// open: 201 with the dispute; 200 with it when the client-chosen ID was
// already used for the same invoice; 409 for a closed or fully disputed
// invoice; 422 naming the field otherwise. Nothing is written on a 4xx.
func (h *Handlers) open(c *gin.Context) {
	var in openRequest
	if !decodeBody(c, &in) {
		return
	}
	if err := in.validate(); err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	tok := tokenauth.Token(c)
	if in.ID == "" {
		in.ID = "dsp_" + strings.ToLower(rand.Text())
	}
	var (
		out     store.Dispute
		created bool
	)
	err := h.Store.InTx(ctx, func(tx pgx.Tx) error {
		inv, err := lockInvoice(ctx, tx, in.InvoiceID, in.InvoiceNumber)
		if err != nil {
			return err
		}
		if err := h.inPortfolio(ctx, tx, tok, inv.DebtorID); errors.Is(err, errNotInPortfolio) {
			return unknownInvoice(in.InvoiceID, in.InvoiceNumber)
		} else if err != nil {
			return err
		}
		if inv.Status != "open" && inv.Status != "agency" {
			return fieldProblem(http.StatusConflict, "invoice_id", "invoice is "+inv.Status+": nothing left to dispute")
		}
		if existing, err := store.GetDispute(ctx, tx, in.ID); err == nil {
			if existing.InvoiceID != inv.ID {
				return fieldProblem(http.StatusConflict, "id", "already used for another invoice's dispute")
			}
			out = existing // a retried request after the first one succeeded
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		disputed, err := store.OpenDisputedCents(ctx, tx, inv.ID)
		if err != nil {
			return err
		}
		undisputed := inv.BalanceCents - disputed
		if undisputed <= 0 {
			return fieldProblem(http.StatusConflict, "invoice_id", "the whole balance is already disputed")
		}
		amount := in.AmountCents
		if amount == 0 {
			amount = undisputed
		}
		if amount > undisputed {
			return fieldProblem(http.StatusUnprocessableEntity, "amount_cents",
				fmt.Sprintf("exceeds the undisputed balance of %d", undisputed))
		}
		out, created, err = store.InsertDispute(ctx, tx, store.Dispute{
			ID: in.ID, InvoiceID: inv.ID, AmountCents: amount, Reason: in.Reason,
			Attachments: in.Attachments, OpenedBy: tok.ID,
		})
		if err != nil {
			return err
		}
		if !created {
			// Another request with this ID committed meanwhile.
			return fieldProblem(http.StatusConflict, "id", "a dispute with this id was opened concurrently")
		}
		money := domain.NewMoney(amount, inv.Currency).FormatFR()
		if err := store.AddDisputeEvent(ctx, tx, store.DisputeEvent{
			Key: "dispute:" + out.ID + ":filed", InvoiceID: inv.ID, DebtorID: inv.DebtorID, Kind: "dispute_filed",
			Message: fmt.Sprintf("dispute filed on %s: %s", money, out.Reason),
			Data:    map[string]any{"dispute_id": out.ID, "amount_cents": amount, "attachments": len(out.Attachments), "by": tok.ID},
			At:      out.OpenedAt,
		}); err != nil {
			return err
		}
		if _, err := store.EnqueueCaseCommand(ctx, tx, inv.ID, domain.UpdateOpenDispute, openUpdateID(out.ID),
			domain.DisputeUpdate{ID: out.ID, AmountCents: amount, Reason: out.Reason}); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{
			Actor: tokenauth.Actor(c), Action: "dispute.open", Entity: "dispute", EntityID: out.ID, After: out,
		})
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	c.JSON(status, gin.H{"dispute": out})
}

// unknownInvoice answers a request naming an invoice the caller cannot see,
// on the field it was named by.
func unknownInvoice(id, number string) error {
	if id != "" {
		return fieldProblem(http.StatusUnprocessableEntity, "invoice_id", "no such invoice")
	}
	return fieldProblem(http.StatusUnprocessableEntity, "invoice_number", "no such invoice")
}

// lockInvoice finds the invoice by ID or number and locks it.
func lockInvoice(ctx context.Context, tx pgx.Tx, id, number string) (store.Invoice, error) {
	var inv store.Invoice
	var err error
	if id != "" {
		inv, err = store.GetInvoiceForUpdate(ctx, tx, id)
	} else {
		inv, err = store.GetInvoiceByNumberForUpdate(ctx, tx, number)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Invoice{}, unknownInvoice(id, number)
	}
	if err != nil {
		return store.Invoice{}, err
	}
	if id != "" && number != "" && inv.Number != number {
		return store.Invoice{}, fieldProblem(http.StatusUnprocessableEntity, "invoice_number", "is not the number of invoice_id")
	}
	return inv, nil
}

// errNotInPortfolio is a collector reaching for another portfolio's debtor.
// Callers answer it exactly as for a missing invoice or dispute, so a
// collector cannot learn what exists outside their portfolio.
var errNotInPortfolio = errors.New("debtor not in the caller's portfolio")

// inPortfolio lets a collector act only on its own debtors.
func (h *Handlers) inPortfolio(ctx context.Context, q store.Querier, tok store.APIToken, debtorID string) error {
	if tok.Role != store.RoleCollector {
		return nil
	}
	d, err := store.GetDebtor(ctx, q, debtorID)
	if err != nil {
		return err
	}
	if d.CollectorID != tok.CollectorID {
		return errNotInPortfolio
	}
	return nil
}

// loadDispute loads a dispute, its invoice and checks the caller may see it.
func (h *Handlers) loadDispute(ctx context.Context, q store.Querier, tok store.APIToken, id string) (store.Dispute, store.Invoice, error) {
	d, err := store.GetDispute(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Dispute{}, store.Invoice{}, problem{httpx.NewProblem(http.StatusNotFound, "no dispute "+id)}
	}
	if err != nil {
		return store.Dispute{}, store.Invoice{}, err
	}
	inv, err := store.GetInvoice(ctx, q, d.InvoiceID)
	if err != nil {
		return store.Dispute{}, store.Invoice{}, err
	}
	if err := h.inPortfolio(ctx, q, tok, inv.DebtorID); errors.Is(err, errNotInPortfolio) {
		return store.Dispute{}, store.Invoice{}, problem{httpx.NewProblem(http.StatusNotFound, "no dispute "+id)}
	} else if err != nil {
		return store.Dispute{}, store.Invoice{}, err
	}
	return d, inv, nil
}

// get answers the dispute and its comments.
func (h *Handlers) get(c *gin.Context) {
	ctx := c.Request.Context()
	d, _, err := h.loadDispute(ctx, h.Store.Pool, tokenauth.Token(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	comments, err := store.ListDisputeComments(ctx, h.Store.Pool, d.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if comments == nil {
		comments = []store.DisputeComment{}
	}
	c.JSON(http.StatusOK, gin.H{"dispute": d, "comments": comments})
}

type commentRequest struct {
	Body string `json:"body"`
}

// comment adds to the dispute's thread and its case timeline: 201.
func (h *Handlers) comment(c *gin.Context) {
	var in commentRequest
	if !decodeBody(c, &in) {
		return
	}
	in.Body = strings.TrimSpace(in.Body)
	if in.Body == "" || utf8.RuneCountInString(in.Body) > maxComment {
		h.fail(c, fieldProblem(http.StatusUnprocessableEntity, "body", fmt.Sprintf("is required, at most %d characters", maxComment)))
		return
	}
	ctx := c.Request.Context()
	tok := tokenauth.Token(c)
	var out store.DisputeComment
	err := h.Store.InTx(ctx, func(tx pgx.Tx) error {
		d, inv, err := h.loadDispute(ctx, tx, tok, c.Param("id"))
		if err != nil {
			return err
		}
		author := tok.Name
		if author == "" {
			author = tok.ID
		}
		out, err = store.InsertDisputeComment(ctx, tx, store.DisputeComment{DisputeID: d.ID, Author: author, Body: in.Body})
		if err != nil {
			return err
		}
		if err := store.AddDisputeEvent(ctx, tx, store.DisputeEvent{
			Key: fmt.Sprintf("dispute:%s:comment:%d", d.ID, out.ID), InvoiceID: inv.ID, DebtorID: inv.DebtorID,
			Kind: "dispute_comment", Message: author + " on dispute " + d.ID + ": " + in.Body,
			Data: map[string]any{"dispute_id": d.ID, "comment_id": out.ID, "author": author}, At: out.CreatedAt,
		}); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{
			Actor: tokenauth.Actor(c), Action: "dispute.comment", Entity: "dispute", EntityID: d.ID, After: out,
		})
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"comment": out})
}

// Resolution outcomes.
const (
	outcomeForDebtor = "for_debtor"
	outcomeAgainst   = "against"
)

type resolveRequest struct {
	Outcome string `json:"outcome"`
	// CreditCents is granted when the outcome is for the debtor; 0 (or
	// absent) credits the disputed amount. Must be 0 when against.
	CreditCents int64  `json:"credit_cents"`
	Note        string `json:"note"`
}

// resolve decides a dispute: 200 with the dispute; the same decision sent
// again answers 200 unchanged; 409 when it was decided otherwise.
func (h *Handlers) resolve(c *gin.Context) {
	var in resolveRequest
	if !decodeBody(c, &in) {
		return
	}
	switch {
	case in.Outcome != outcomeForDebtor && in.Outcome != outcomeAgainst:
		h.fail(c, fieldProblem(http.StatusUnprocessableEntity, "outcome", "must be for_debtor or against"))
		return
	case in.CreditCents < 0:
		h.fail(c, fieldProblem(http.StatusUnprocessableEntity, "credit_cents", "must not be negative"))
		return
	case in.Outcome == outcomeAgainst && in.CreditCents != 0:
		h.fail(c, fieldProblem(http.StatusUnprocessableEntity, "credit_cents", "must be 0 when the dispute is resolved against the debtor"))
		return
	case utf8.RuneCountInString(in.Note) > maxComment:
		h.fail(c, fieldProblem(http.StatusUnprocessableEntity, "note", fmt.Sprintf("is longer than %d characters", maxComment)))
		return
	}
	ctx := c.Request.Context()
	tok := tokenauth.Token(c)
	var out store.Dispute
	err := h.Store.InTx(ctx, func(tx pgx.Tx) error {
		before, err := store.GetDisputeForUpdate(ctx, tx, c.Param("id"))
		if errors.Is(err, store.ErrNotFound) {
			return problem{httpx.NewProblem(http.StatusNotFound, "no dispute "+c.Param("id"))}
		}
		if err != nil {
			return err
		}
		inv, err := store.GetInvoiceForUpdate(ctx, tx, before.InvoiceID)
		if err != nil {
			return err
		}
		status := store.DisputeResolvedAgainst
		credit := int64(0)
		if in.Outcome == outcomeForDebtor {
			status = store.DisputeResolvedForDebtor
			credit = in.CreditCents
			if credit == 0 {
				credit = min(before.AmountCents, inv.BalanceCents)
			}
		}
		if before.Status != store.DisputeOpen {
			if before.Status == status && (in.CreditCents == 0 || before.CreditCents == credit) {
				out = before // the same decision retried
				return nil
			}
			return fieldProblem(http.StatusConflict, "outcome", "dispute already "+before.Status)
		}
		if credit > before.AmountCents || credit > inv.BalanceCents {
			return fieldProblem(http.StatusUnprocessableEntity, "credit_cents",
				fmt.Sprintf("must not exceed the disputed amount (%d) nor the balance (%d)", before.AmountCents, inv.BalanceCents))
		}
		out, err = store.ResolveDispute(ctx, tx, before.ID, status, credit)
		if err != nil {
			return err
		}
		if credit > 0 {
			if _, _, err := store.InsertCreditNote(ctx, tx, store.CreditNote{
				ID: "dispute:" + before.ID, InvoiceID: inv.ID, AmountCents: credit, Currency: inv.Currency,
				Reason: "dispute " + before.ID + " resolved for the debtor",
			}); err != nil {
				return err
			}
			if credit == inv.BalanceCents {
				if err := store.SetInvoiceStatus(ctx, tx, inv.ID, "credited"); err != nil {
					return err
				}
			}
		}
		msg := "dispute resolved against the debtor"
		if in.Outcome == outcomeForDebtor {
			msg = "dispute resolved for the debtor, credit of " + domain.NewMoney(credit, inv.Currency).FormatFR()
		}
		if note := strings.TrimSpace(in.Note); note != "" {
			msg += ": " + note
		}
		if err := store.AddDisputeEvent(ctx, tx, store.DisputeEvent{
			Key: "dispute:" + out.ID + ":decided", InvoiceID: inv.ID, DebtorID: inv.DebtorID, Kind: "dispute_decided",
			Message: msg, Data: map[string]any{"dispute_id": out.ID, "outcome": in.Outcome, "credit_cents": credit, "by": tok.ID},
			At: *out.ResolvedAt,
		}); err != nil {
			return err
		}
		if _, err := store.EnqueueCaseCommand(ctx, tx, inv.ID, domain.UpdateResolveDispute, resolveUpdateID(out.ID),
			domain.DisputeResolution{ID: out.ID, ForDebtor: in.Outcome == outcomeForDebtor, CreditCents: credit}); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{
			Actor: tokenauth.Actor(c), Action: "dispute.resolve", Entity: "dispute", EntityID: out.ID, Before: before, After: out,
		})
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"dispute": out})
}

// fail answers err: a problem as it says, anything else as a logged 500.
func (h *Handlers) fail(c *gin.Context, err error) {
	var p problem
	if errors.As(err, &p) {
		httpx.Write(c.Writer, p.Problem)
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	h.Logger.Error("dispute request failed", "path", c.FullPath(), "err", err)
	httpx.Write(c.Writer, httpx.NewProblem(http.StatusInternalServerError, "internal error"))
}

// decodeBody reads a JSON object strictly into v, answering 400/413 naming
// the field when it cannot.
func decodeBody(c *gin.Context, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			httpx.Write(c.Writer, httpx.NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBody)))
			return false
		}
		httpx.Write(c.Writer, httpx.NewProblem(http.StatusBadRequest, "cannot read body"))
		return false
	}
	if err := pgtext.CheckJSON(body); err != nil {
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: err.Error()}))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field, reason := "body", "is not a valid JSON object"
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			field, reason = typeErr.Field, "has the wrong type"
		} else if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field, reason = strings.Trim(name, `"`), "is not a known field"
		}
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: field, Reason: reason}))
		return false
	}
	if dec.More() {
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: "holds more than one JSON value"}))
		return false
	}
	return true
}
