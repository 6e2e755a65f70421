package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// InterruptionInput records what interrupted an invoice's prescription:
// the debtor's acknowledgement of the debt (Code civil 2240) or a legal
// action (2241). Part payments are recorded as payments.
type InterruptionInput struct {
	Kind string `json:"kind"`
	On   string `json:"on"` // YYYY-MM-DD
	Note string `json:"note"`
}

// PrescriptionAnswer is an invoice's prescription date after a change.
type PrescriptionAnswer struct {
	InvoiceID      string `json:"invoice_id"`
	PrescriptionAt string `json:"prescription_at"`
	Basis          string `json:"basis"`
}

// PrescriptionReport lists the open claims near their prescription date.
type PrescriptionReport struct {
	Within int                     `json:"within_days"`
	Items  []store.PrescriptionDue `json:"items"`
	// Within30 counts the items 30 days or less from their date (those
	// already prescribed included).
	Within30 int `json:"within_30"`
}

// recordInterruption is POST /v1/invoices/{id}/interruptions.
func (a *API) recordInterruption(c *gin.Context) {
	inv, d, ok := a.invoiceInScope(c, c.Param("id"))
	if !ok {
		return
	}
	var in InterruptionInput
	if !decode(c, &in) {
		return
	}
	kind := domain.InterruptionKind(in.Kind)
	if kind != domain.InterruptionAcknowledgement && kind != domain.InterruptionLegalAction {
		invalid(c, "kind", "must be acknowledgement or legal_action (a part payment is recorded as a payment)")
		return
	}
	on, err := time.Parse(time.DateOnly, in.On)
	if err != nil {
		invalid(c, "on", "must be a date YYYY-MM-DD")
		return
	}
	due, err := time.Parse(time.DateOnly, inv.DueDate)
	if err != nil {
		a.fail(c, err)
		return
	}
	if on.After(a.today()) || !on.After(due) {
		invalid(c, "on", "must be after the invoice's due date and not after today")
		return
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 2000 {
		invalid(c, "note", "at most 2000 characters")
		return
	}
	ctx := c.Request.Context()
	actor := tokenauth.Actor(c)
	var at time.Time
	err = a.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if at, err = store.RecordInterruption(ctx, tx, inv.ID, kind, on, in.Note, actor.ID); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: actor, Action: "prescription." + string(kind),
			Entity: "invoice", EntityID: inv.ID, After: map[string]any{"kind": kind, "on": in.On, "prescription_at": at.Format(time.DateOnly)}})
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, PrescriptionAnswer{InvoiceID: inv.ID, PrescriptionAt: at.Format(time.DateOnly),
		Basis: domain.PrescriptionBasis(d.IsBusiness)})
}

// prescriptionReport is GET /v1/reports/prescription?within=90: the open
// claims whose prescription date is within that many days (90 by
// default), already prescribed ones first; a collector sees its portfolio.
func (a *API) prescriptionReport(c *gin.Context) {
	within := 90
	if s := c.Query("within"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 3650 {
			invalid(c, "within", "must be a number of days between 0 and 3650")
			return
		}
		within = n
	}
	collector := c.Query("collector")
	if tok := tokenauth.Token(c); tok.Role == store.RoleCollector {
		collector = tok.CollectorID
	}
	items, err := store.PrescriptionReport(c.Request.Context(), a.Store.Pool, a.today(), within, collector)
	if err != nil {
		a.fail(c, err)
		return
	}
	r := PrescriptionReport{Within: within, Items: items}
	if r.Items == nil {
		r.Items = []store.PrescriptionDue{}
	}
	for _, it := range items {
		if it.DaysLeft <= 30 {
			r.Within30++
		}
	}
	c.JSON(http.StatusOK, r)
}
