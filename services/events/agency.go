package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/ledger"
	"github.com/relance/relance/internal/store"
)

// AgencyEvent is what a collection agency reports about a claim handed to
// it, signed like the packs we send it (X-Relance-Signature with the
// shared AGENCY_SECRET).
type AgencyEvent struct {
	EventID   string `json:"event_id"`
	Reference string `json:"reference"` // the handoff ID, the pack's reference
	// Status: accepted (file opened), payment (money collected, PaidCents),
	// paid (claim settled, file closed), closed (unrecoverable, file closed).
	Status    string    `json:"status"`
	PaidCents int64     `json:"paid_cents"`
	Note      string    `json:"note"`
	At        time.Time `json:"at"`
}

func (h *Handlers) agency(w http.ResponseWriter, r *http.Request) {
	if len(h.AgencySecrets) == 0 {
		httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "agency reports are not configured (AGENCY_SECRET)"))
		return
	}
	body, ok := h.readSigned(w, r, h.AgencySecrets)
	if !ok {
		return
	}
	var ev AgencyEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: "want a JSON report"}))
		return
	}
	// The money goes through the ledger (below); the signal carries the
	// report's status and note only.
	report := domain.AgencyReport{EventID: "agency:" + ev.EventID, Note: ev.Note, At: ev.At}
	handoffStatus := ""
	switch ev.Status {
	case "accepted":
		handoffStatus = "accepted"
	case "payment":
	case "paid":
		handoffStatus, report.Status = "closed", domain.StatusPaid
	case "closed":
		handoffStatus, report.Status = "closed", domain.StatusWrittenOff
	default:
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "status",
			Reason: "must be accepted, payment, paid or closed"}))
		return
	}
	switch {
	case ev.EventID == "":
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "event_id", Reason: "is required"}))
		return
	case ev.Reference == "":
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "reference", Reason: "is required"}))
		return
	case ev.PaidCents < 0:
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "paid_cents", Reason: "must not be negative"}))
		return
	case ev.At.IsZero():
		report.At = h.now().UTC()
	}
	var handoff store.Handoff
	err := h.Store.InTx(r.Context(), func(tx pgx.Tx) error {
		var err error
		if handoff, err = store.GetHandoff(r.Context(), tx, ev.Reference); err != nil {
			return err
		}
		fresh, err := store.RecordWebhookEvent(r.Context(), tx, "agency", ev.EventID, ev.Status, body)
		if err != nil || !fresh {
			return err
		}
		if ev.PaidCents > 0 {
			// The agency's collection is money received: booked on the
			// ledger with source agency, in this transaction, and told to
			// the case by the door as a payment carrying the ledger.
			inv, err := store.GetInvoice(r.Context(), tx, handoff.InvoiceID)
			if err != nil {
				return err
			}
			posting, err := ledger.Post(r.Context(), tx, ledger.Receipt{
				Namespace: ledger.AgencyNamespace, Provider: "agency", EventID: ev.EventID,
				AmountCents: ev.PaidCents, Currency: inv.Currency, ReceivedAt: report.At,
				InvoiceNumber: inv.Number,
			}, store.Actor{ID: "webhook:agency", Role: "system"})
			if err != nil {
				return err
			}
			if posting.Conflict != "" {
				return fmt.Errorf("agency report %s: %s", ev.EventID, posting.Conflict)
			}
		}
		if handoffStatus == "" {
			return nil
		}
		return store.SetHandoffStatus(r.Context(), tx, handoff.ID, handoffStatus)
	})
	if errors.Is(err, store.ErrNotFound) {
		httpx.Write(w, httpx.FieldProblem(http.StatusUnprocessableEntity, domain.FieldError{Field: "reference", Reason: "no such handoff"}))
		return
	}
	if err != nil {
		h.Logger.Error("record agency report", "event_id", ev.EventID, "error", err)
		httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "could not record the report; retry"))
		return
	}
	// Signalled again on a duplicate: the case ignores an event ID it has seen.
	if err := h.Cases.Signal(r.Context(), handoff.InvoiceID, domain.SignalAgencyReport, report); err != nil {
		h.Logger.Error("signal case", "invoice_id", handoff.InvoiceID, "event_id", ev.EventID, "error", err)
		httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "recorded, but the case could not be told; retry"))
		return
	}
	w.WriteHeader(http.StatusOK)
}
