package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/ledger"
	"github.com/relance/relance/internal/pgtext"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
	"github.com/relance/relance/internal/webhook"
)

// maxBody bounds what a webhook or a payment request may send.
const maxBody = 1 << 20

// Provider is one webhook endpoint: how its requests are signed and how
// its events read.
type Provider struct {
	Name     string
	Verifier webhook.Verifier
	Parse    func([]byte) (PaymentEvent, error)
}

// Handlers serves the payments API.
type Handlers struct {
	Store     *store.Store
	Providers map[string]Provider
	Logger    *slog.Logger
	Now       func() time.Time
	// Webhooks counts webhook requests by provider and result; may be nil.
	Webhooks *prometheus.CounterVec
}

// NewWebhookCounter registers the webhook counter on reg.
func NewWebhookCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "relance_payment_webhooks_total",
		Help: "Payment webhook requests by provider and result (processed, duplicate, ignored, conflict, unauthenticated, stale, malformed, rejected, error).",
	}, []string{"provider", "result"})
	reg.MustRegister(c)
	return c
}

// Router returns the service's routes.
func (h *Handlers) Router() http.Handler {
	r := gin.New()
	r.Use(gin.Recovery(), httpx.AnswerUnwritten(h.Logger))
	r.GET("/v1/openapi.yaml", serveOpenAPI)
	r.POST("/v1/webhooks/:provider", h.webhook)
	r.POST("/v1/payments", tokenauth.Require(tokenauth.NewVerifier(h.Store.Pool), store.RoleService, store.RoleAdmin), h.postPayment)
	r.NoRoute(func(c *gin.Context) { httpx.Write(c.Writer, httpx.NewProblem(http.StatusNotFound, "no such route")) })
	return r
}

// webhook verifies, dedupes and books one provider event. Status codes:
// 200 processed / duplicate / ignored / conflict; 400 malformed JSON or a
// stale timestamp on an authentic signature; 401 no or bad signature; 404
// unknown provider; 413 body too large; 422 an amount or currency no one
// could book. Money naming an unknown invoice or debtor, or in another
// currency than its invoice, is acknowledged (200) and kept unallocated
// for a person; the same payment reported with other terms is a recorded
// conflict (200, so the provider stops retrying; counted and logged). On
// every 4xx nothing is written, so the provider's retry after a fix books it.
func (h *Handlers) webhook(c *gin.Context) {
	name := c.Param("provider")
	p, ok := h.Providers[name]
	if !ok {
		httpx.Write(c.Writer, httpx.NewProblem(http.StatusNotFound, "no webhook provider "+name))
		return
	}
	result := "error"
	defer func() {
		if h.Webhooks != nil {
			h.Webhooks.WithLabelValues(name, result).Inc()
		}
	}()
	body, err := readBody(c)
	if err != nil {
		result = "malformed"
		httpx.Write(c.Writer, bodyProblem(err))
		return
	}
	if err := p.Verifier.Verify(c.Request.Header, body, h.now()); err != nil {
		switch {
		case errors.Is(err, webhook.ErrStale):
			result = "stale"
			httpx.Write(c.Writer, httpx.NewProblem(http.StatusBadRequest, "signature timestamp outside the 300 s tolerance"))
		case errors.Is(err, webhook.ErrUnauthenticated):
			result = "unauthenticated"
			httpx.Write(c.Writer, httpx.NewProblem(http.StatusUnauthorized, "signature not verified"))
		default:
			h.Logger.Error("webhook verification", "provider", name, "err", err)
			httpx.Write(c.Writer, httpx.NewProblem(http.StatusInternalServerError, "internal error"))
		}
		return
	}
	// Authentic but not storable: the provider's retry cannot succeed, so
	// say so with a 400 rather than fail the INSERT with a 500.
	if err := pgtext.CheckJSON(body); err != nil {
		result = "malformed"
		httpx.Write(c.Writer, storableProblem(err))
		return
	}
	ev, err := p.Parse(body)
	if err != nil {
		result = "malformed"
		var fe domain.FieldError
		errors.As(err, &fe)
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusBadRequest, fe))
		return
	}
	var (
		status   = "ignored"
		posting  ledger.Posting
		reversed ledger.Reversed
		conflict string
	)
	ctx := c.Request.Context()
	err = h.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := resolveReference(ctx, tx, &ev); err != nil {
			return err
		}
		fresh, err := store.RecordWebhookEvent(ctx, tx, name, ev.ID, ev.Type, body)
		if err != nil {
			return err
		}
		if !fresh {
			status = "duplicate"
		}
		actor := store.Actor{ID: "webhook:" + name, Role: "system"}
		switch {
		case ev.Payment:
			// Booked again on a duplicate delivery: the ledger answers
			// duplicate for the same terms and conflict for others.
			posting, err = ledger.Post(ctx, tx, ledger.Receipt{
				Provider: name, EventID: ev.ID, ProviderRef: ev.ProviderRef,
				AmountCents: ev.AmountCents, Currency: ev.Currency, ReceivedAt: ev.ReceivedAt, Method: ev.Method,
				InvoiceNumber: ev.InvoiceNumber, DebtorID: ev.DebtorID,
			}, actor)
			if err != nil {
				return err
			}
			conflict = posting.Conflict
			if posting.Duplicate {
				status = "duplicate"
			} else if conflict == "" {
				status = "processed"
			}
		case ev.Reversal != "":
			rev := ledger.Reversal{Kind: ev.Reversal, Provider: name, EventID: ev.ReversalID, ProviderRef: ev.ProviderRef,
				AmountCents: ev.AmountCents, Currency: ev.Currency, At: ev.ReceivedAt}
			if ev.PaymentEventID != "" {
				rev.PaymentID = ledger.Receipt{Provider: name, EventID: ev.PaymentEventID}.PaymentID()
			}
			reversed, err = ledger.Reverse(ctx, tx, rev, actor)
			if err != nil {
				return err
			}
			conflict = reversed.Conflict
			if reversed.Duplicate {
				status = "duplicate"
			} else if conflict == "" {
				status = "processed"
			}
		default:
			return nil
		}
		if conflict == "" {
			return nil
		}
		status = "conflict"
		sum := sha256.Sum256(body)
		paymentID := posting.Payment.ID
		if paymentID == "" {
			paymentID = ledger.Receipt{Provider: name, EventID: ev.ID}.PaymentID()
		}
		fresh, err = store.RecordPaymentConflict(ctx, tx, paymentID+":"+hex.EncodeToString(sum[:8]), store.PaymentConflict{
			PaymentID: paymentID, Provider: name, EventID: ev.ID, Reason: conflict,
		}, map[string]any{"type": ev.Type, "amount_cents": ev.AmountCents, "currency": ev.Currency,
			"invoice_number": ev.InvoiceNumber, "debtor_id": ev.DebtorID, "provider_ref": ev.ProviderRef})
		if err == nil && fresh {
			h.Logger.Error("payment conflict recorded: the same payment reported with other terms",
				"provider", name, "event_id", ev.ID, "payment_id", paymentID, "reason", conflict)
		}
		return err
	})
	if err != nil {
		result = h.writeError(c, err, "webhook", "provider", name, "event_id", ev.ID)
		return
	}
	result = status
	resp := gin.H{"status": status, "event_id": ev.ID}
	switch {
	case conflict != "":
		resp["conflict"] = conflict
	case ev.Payment:
		resp["payment_id"] = posting.Payment.ID
		if status == "processed" {
			resp["allocations"] = nonNil(posting.Allocations)
			resp["unallocated_cents"] = posting.Payment.UnallocatedCents
			if posting.Payment.UnallocatedReason != "" {
				resp["unallocated_reason"] = posting.Payment.UnallocatedReason
			}
		}
	case ev.Reversal != "":
		resp["entries"] = reversed.Entries
	}
	c.JSON(http.StatusOK, resp)
}

// manualPayment is a payment recorded by hand or a bank-statement line.
type manualPayment struct {
	// Source is manual (default), bank or agency.
	Source string `json:"source"`
	// Reference is unique per source (the statement line ID, a cheque
	// number): posting the same reference again books nothing.
	Reference     string    `json:"reference"`
	AmountCents   int64     `json:"amount_cents"`
	Currency      string    `json:"currency"`
	ReceivedAt    time.Time `json:"received_at"`
	InvoiceNumber string    `json:"invoice_number"`
	DebtorID      string    `json:"debtor_id"`
	Method        string    `json:"method"`
}

// postPayment books a manual payment or a statement line: 201 with the
// payment and its allocations (money it cannot allocate is kept in
// suspense, with the reason), 200 with the payment when the reference was
// already booked with the same terms, 409 when it was booked with another
// amount, currency or invoice, 422 naming the field otherwise. A source's
// references live in their own namespace ("manual.<source>:<reference>"),
// apart from the webhooks' event IDs.
func (h *Handlers) postPayment(c *gin.Context) {
	body, err := readBody(c)
	if err != nil {
		httpx.Write(c.Writer, bodyProblem(err))
		return
	}
	if err := pgtext.CheckJSON(body); err != nil {
		httpx.Write(c.Writer, storableProblem(err))
		return
	}
	var in manualPayment
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		httpx.Write(c.Writer, jsonProblem(err))
		return
	}
	if in.Source == "" {
		in.Source = "manual"
	}
	if in.Source != "manual" && in.Source != "bank" && in.Source != "agency" {
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusUnprocessableEntity, domain.FieldError{Field: "source", Reason: "must be manual, bank or agency"}))
		return
	}
	if strings.TrimSpace(in.Reference) == "" {
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusUnprocessableEntity, domain.FieldError{Field: "reference", Reason: "is required (the statement line or cheque reference)"}))
		return
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = h.now()
	}
	if in.ReceivedAt.After(h.now().Add(24 * time.Hour)) {
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusUnprocessableEntity, domain.FieldError{Field: "received_at", Reason: "is in the future"}))
		return
	}
	r := ledger.Receipt{
		Namespace: ledger.ManualNamespace(in.Source),
		Provider:  in.Source, EventID: strings.TrimSpace(in.Reference), AmountCents: in.AmountCents,
		Currency: strings.ToUpper(in.Currency), ReceivedAt: in.ReceivedAt.UTC(), Method: in.Method,
		InvoiceNumber: strings.TrimSpace(in.InvoiceNumber), DebtorID: strings.TrimSpace(in.DebtorID),
	}
	var posting ledger.Posting
	err = h.Store.InTx(c.Request.Context(), func(tx pgx.Tx) error {
		var err error
		posting, err = ledger.Post(c.Request.Context(), tx, r, tokenauth.Actor(c))
		return err
	})
	if err != nil {
		h.writeError(c, err, "manual payment", "reference", r.PaymentID())
		return
	}
	if posting.Conflict != "" {
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusConflict, domain.FieldError{Field: "reference", Reason: posting.Conflict}))
		return
	}
	if posting.Duplicate {
		c.JSON(http.StatusOK, gin.H{"status": "duplicate", "payment": posting.Payment})
		return
	}
	c.JSON(http.StatusCreated, gin.H{"status": "processed", "payment": posting.Payment, "allocations": nonNil(posting.Allocations)})
}

// writeError answers a failed transaction: a FieldError is the input's
// fault (422), anything else is ours (500, logged). It returns the
// webhook result label.
func (h *Handlers) writeError(c *gin.Context, err error, what string, attrs ...any) string {
	var fe domain.FieldError
	if errors.As(err, &fe) {
		httpx.Write(c.Writer, httpx.FieldProblem(http.StatusUnprocessableEntity, fe))
		return "rejected"
	}
	if errors.Is(err, context.Canceled) {
		return "error"
	}
	h.Logger.Error(what+" failed", append(attrs, "err", err)...)
	httpx.Write(c.Writer, httpx.NewProblem(http.StatusInternalServerError, "internal error"))
	return "error"
}

func (h *Handlers) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

func readBody(c *gin.Context) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
}

func bodyProblem(err error) httpx.Problem {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return httpx.NewProblem(http.StatusRequestEntityTooLarge, "body larger than 1 MiB")
	}
	return httpx.NewProblem(http.StatusBadRequest, "cannot read body")
}

// storableProblem answers a body Postgres would refuse to store.
func storableProblem(err error) httpx.Problem {
	return httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: err.Error()})
}

// jsonProblem names the field a JSON body got wrong.
func jsonProblem(err error) httpx.Problem {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: typeErr.Field, Reason: "has the wrong type"})
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "received_at", Reason: "must be an RFC 3339 time"})
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: strings.Trim(field, `"`), Reason: "is not a known field"})
	}
	return httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: "is not valid JSON"})
}

func nonNil(a []ledger.Allocation) []ledger.Allocation {
	if a == nil {
		return []ledger.Allocation{}
	}
	return a
}
