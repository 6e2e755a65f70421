package main

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// createDebtor is POST /v1/debtors: the body carries the ID.
func (a *API) createDebtor(c *gin.Context) {
	var in intake.DebtorInput
	if !decode(c, &in) {
		return
	}
	a.upsertDebtor(c, in)
}

// putDebtor is PUT /v1/debtors/{id}: create or replace.
func (a *API) putDebtor(c *gin.Context) {
	var in intake.DebtorInput
	if !decode(c, &in) {
		return
	}
	if in.ID != "" && in.ID != c.Param("id") {
		invalid(c, "id", "differs from the ID in the path")
		return
	}
	in.ID = c.Param("id")
	a.upsertDebtor(c, in)
}

func (a *API) upsertDebtor(c *gin.Context, in intake.DebtorInput) {
	d, created, err := a.Intake.UpsertDebtor(c.Request.Context(), tokenauth.Actor(c), in)
	if err != nil {
		a.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, d)
}

// DebtorResponse is a debtor with its channel consents.
type DebtorResponse struct {
	store.Debtor
	Consents map[string]bool `json:"consents"`
}

func (a *API) getDebtor(c *gin.Context) {
	d, ok := a.debtorInScope(c, c.Param("id"))
	if !ok {
		return
	}
	consents, err := store.Consents(c.Request.Context(), a.Store.Pool, d.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, DebtorResponse{Debtor: d, Consents: consents})
}

// InvoiceWithCase is an invoice and, once it runs, its case.
type InvoiceWithCase struct {
	store.Invoice
	Case *store.CaseRow `json:"case,omitempty"`
}

// Balance sums a debtor's open invoices in one currency.
type Balance struct {
	Currency         string `json:"currency"`
	OutstandingCents int64  `json:"outstanding_cents"`
	OverdueCents     int64  `json:"overdue_cents"`
	OpenInvoices     int    `json:"open_invoices"`
}

// InteractionView is a message or call with its content, or a link to
// its file, and its delivery status. The server path of the file stays
// internal.
type InteractionView struct {
	ID             string     `json:"id"`
	InvoiceID      string     `json:"invoice_id"`
	Channel        string     `json:"channel"`
	Direction      string     `json:"direction"`
	Rung           string     `json:"rung"`
	Template       string     `json:"template"`
	Language       string     `json:"language"`
	Provider       string     `json:"provider"`
	Status         string     `json:"status"`
	AmountCents    int64      `json:"amount_cents"`
	Currency       string     `json:"currency"`
	Subject        string     `json:"subject,omitempty"`
	BodyText       string     `json:"body_text,omitempty"`
	BodyHTML       string     `json:"body_html,omitempty"`
	DocumentID     string     `json:"document_id,omitempty"`
	FileURL        string     `json:"file_url,omitempty"`
	TrackingNumber string     `json:"tracking_number,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	Error          string     `json:"error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
}

func interactionView(i store.Interaction) InteractionView {
	v := InteractionView{
		ID: i.ID, InvoiceID: i.InvoiceID, Channel: i.Channel, Direction: i.Direction, Rung: i.Rung,
		Template: i.Template, Language: i.Language, Provider: i.Provider, Status: i.Status,
		AmountCents: i.AmountCents, Currency: i.Currency, Subject: i.Subject, BodyText: i.BodyText,
		BodyHTML: i.BodyHTML, TrackingNumber: i.TrackingNumber, AcknowledgedAt: i.AcknowledgedAt, Error: i.Error,
		CreatedAt: i.CreatedAt, SentAt: i.SentAt,
	}
	if i.DocumentID != "" {
		v.DocumentID, v.FileURL = i.DocumentID, documentURL(i.DocumentID)
	}
	return v
}

// TimelineItem is one entry of the debtor's timeline: a case event or an
// interaction.
type TimelineItem struct {
	At          time.Time            `json:"at"`
	Type        string               `json:"type"` // event or interaction
	InvoiceID   string               `json:"invoice_id"`
	Event       *store.TimelineEntry `json:"event,omitempty"`
	Interaction *InteractionView     `json:"interaction,omitempty"`
}

// Debtor360 is everything about a debtor on one page.
type Debtor360 struct {
	Debtor      DebtorResponse      `json:"debtor"`
	Balances    []Balance           `json:"balances"`
	Invoices    []InvoiceWithCase   `json:"invoices"`
	CreditNotes []store.CreditNote  `json:"credit_notes"`
	Payments    []store.PaymentView `json:"payments"`
	Promises    []store.PromiseView `json:"promises"`
	Plans       []store.PlanView    `json:"plans"`
	Disputes    []store.DisputeView `json:"disputes"`
	Tasks       []store.WorkItem    `json:"tasks"`
	Timeline    []TimelineItem      `json:"timeline"`
}

func (a *API) debtor360(c *gin.Context) {
	ctx, q := c.Request.Context(), a.Store.Pool
	d, ok := a.debtorInScope(c, c.Param("id"))
	if !ok {
		return
	}
	today := a.today()
	var v Debtor360
	var err error
	fail := func(e error) bool {
		if e != nil && err == nil {
			err = e
		}
		return err != nil
	}
	consents, e := store.Consents(ctx, q, d.ID)
	fail(e)
	v.Debtor = DebtorResponse{Debtor: d, Consents: consents}
	invoices, e := store.ListDebtorInvoices(ctx, q, d.ID)
	fail(e)
	cases, e := store.ListCases(ctx, q, store.CaseFilter{Today: today, DebtorID: d.ID, Limit: 10_000})
	fail(e)
	byInvoice := map[string]*store.CaseRow{}
	for i := range cases {
		byInvoice[cases[i].InvoiceID] = &cases[i]
	}
	ids := make([]string, 0, len(invoices))
	v.Invoices = make([]InvoiceWithCase, 0, len(invoices))
	balances := map[string]*Balance{}
	var currencies []string
	for _, inv := range invoices {
		ids = append(ids, inv.ID)
		v.Invoices = append(v.Invoices, InvoiceWithCase{Invoice: inv, Case: byInvoice[inv.ID]})
		if inv.Status != "open" {
			continue
		}
		b, ok := balances[inv.Currency]
		if !ok {
			b = &Balance{Currency: inv.Currency}
			balances[inv.Currency] = b
			currencies = append(currencies, inv.Currency)
		}
		b.OutstandingCents += inv.BalanceCents
		b.OpenInvoices++
		if inv.DueDate < today.Format(intake.DateLayout) {
			b.OverdueCents += inv.BalanceCents
		}
	}
	slices.Sort(currencies)
	v.Balances = []Balance{}
	for _, cur := range currencies {
		v.Balances = append(v.Balances, *balances[cur])
	}
	v.CreditNotes, e = store.ListCreditNotes(ctx, q, ids)
	fail(e)
	v.Payments, e = store.PaymentsOfDebtor(ctx, q, d.ID)
	fail(e)
	v.Promises, e = store.PromisesOfDebtor(ctx, q, d.ID)
	fail(e)
	v.Plans, e = store.PlansOfDebtor(ctx, q, d.ID)
	fail(e)
	v.Disputes, e = store.DisputesOfDebtor(ctx, q, d.ID)
	fail(e)
	v.Tasks, e = store.TasksOfDebtor(ctx, q, d.ID, today)
	fail(e)
	events, e := store.DebtorTimeline(ctx, q, d.ID)
	fail(e)
	interactions, e := store.InteractionsOfDebtor(ctx, q, d.ID)
	if fail(e) {
		a.fail(c, err)
		return
	}
	v.Timeline = make([]TimelineItem, 0, len(events)+len(interactions))
	for i := range events {
		v.Timeline = append(v.Timeline, TimelineItem{At: events[i].OccurredAt, Type: "event", InvoiceID: events[i].InvoiceID, Event: &events[i]})
	}
	for _, in := range interactions {
		iv := interactionView(in)
		at := in.CreatedAt
		if in.SentAt != nil {
			at = *in.SentAt
		}
		v.Timeline = append(v.Timeline, TimelineItem{At: at, Type: "interaction", InvoiceID: in.InvoiceID, Interaction: &iv})
	}
	slices.SortStableFunc(v.Timeline, func(x, y TimelineItem) int { return x.At.Compare(y.At) })
	c.JSON(http.StatusOK, v)
}

// interactionFile serves the stored document (letter PDF, statement,
// agency pack) of an interaction.
func (a *API) interactionFile(c *gin.Context) {
	in, err := store.GetInteraction(c.Request.Context(), a.Store.Pool, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "interaction")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if _, _, ok := a.invoiceInScopeAs(c, in.InvoiceID, "interaction"); !ok {
		return
	}
	if in.DocumentID == "" {
		notFound(c, "file of this interaction")
		return
	}
	a.serveDocument(c, in.DocumentID)
}
