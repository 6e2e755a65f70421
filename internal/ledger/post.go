package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// Receipt is money received, as a webhook or a statement line reports it.
type Receipt struct {
	// Provider is stripe, bank, manual…; EventID is unique per provider
	// (the webhook event ID, the statement line reference). Together they
	// name the payment: "<provider>:<event id>".
	Provider string
	EventID  string
	// ProviderRef is the provider's object (a payment intent) when several
	// events can report the same money; empty otherwise.
	ProviderRef string
	AmountCents int64
	Currency    string
	ReceivedAt  time.Time
	Method      string
	// InvoiceNumber is the payer's reference; else DebtorID says whose
	// invoices to settle oldest first. One of them is required.
	InvoiceNumber string
	DebtorID      string
}

// PaymentID is the ID of the payment a receipt books.
func (r Receipt) PaymentID() string { return r.Provider + ":" + r.EventID }

// PaymentUpdateID is the case update ID of the part of a payment booked
// on an invoice: "<provider>:<event id>:<invoice id>".
func PaymentUpdateID(paymentID, invoiceID string) string { return paymentID + ":" + invoiceID }

// Posting is what Post booked.
type Posting struct {
	Payment     store.Payment `json:"payment"`
	Allocations []Allocation  `json:"allocations"`
	// Duplicate is true when the payment was already booked (same ID or
	// same provider object): nothing was written.
	Duplicate bool `json:"duplicate"`
}

// Post books r in tx: it checks whom the payment is for, locks the
// debtor's open invoices, allocates, stores the payment and its
// allocations, lowers the balances, queues one payment update per
// allocated invoice for the relay, and writes the audit line.
// Input the ledger cannot book (unknown invoice or debtor, wrong currency)
// is a domain.FieldError naming the receipt field; the caller rolls back.
func Post(ctx context.Context, tx pgx.Tx, r Receipt, actor store.Actor) (Posting, error) {
	if err := r.validate(); err != nil {
		return Posting{}, err
	}
	debtorID, open, err := target(ctx, tx, r)
	if err != nil {
		return Posting{}, err
	}
	res, err := Allocate(r.AmountCents, r.Currency, r.InvoiceNumber, toOpen(open))
	if errors.Is(err, ErrCurrencyMismatch) {
		return Posting{}, domain.FieldError{Field: "currency", Reason: fmt.Sprintf("invoice %s is not in %s", r.InvoiceNumber, r.Currency)}
	}
	if err != nil {
		return Posting{}, fmt.Errorf("allocate %s: %w", r.PaymentID(), err)
	}
	pay, created, err := store.InsertPayment(ctx, tx, store.Payment{
		ID: r.PaymentID(), DebtorID: debtorID, Provider: r.Provider, ProviderRef: r.ProviderRef,
		AmountCents: r.AmountCents, Currency: r.Currency, UnallocatedCents: res.UnallocatedCents,
		Method: r.Method, ReceivedAt: r.ReceivedAt,
	})
	if err != nil {
		return Posting{}, err
	}
	if !created {
		existing, err := store.FindPayment(ctx, tx, r.PaymentID(), r.Provider, r.ProviderRef)
		if err != nil {
			return Posting{}, err
		}
		return Posting{Payment: existing, Duplicate: true}, nil
	}
	for _, a := range res.Allocations {
		if err := store.InsertAllocation(ctx, tx, store.PaymentAllocation{PaymentID: pay.ID, InvoiceID: a.InvoiceID, AmountCents: a.AmountCents}); err != nil {
			return Posting{}, err
		}
		if _, err := store.LowerInvoiceBalance(ctx, tx, a.InvoiceID, a.AmountCents); err != nil {
			return Posting{}, err
		}
		updateID := PaymentUpdateID(pay.ID, a.InvoiceID)
		if _, err := store.EnqueueCaseCommand(ctx, tx, a.InvoiceID, domain.UpdatePayment, updateID, domain.PaymentUpdate{
			ID: updateID, AmountCents: a.AmountCents, Currency: r.Currency, ReceivedAt: r.ReceivedAt, Source: r.Provider,
		}); err != nil {
			return Posting{}, err
		}
	}
	posting := Posting{Payment: pay, Allocations: res.Allocations}
	if err := store.Audit(ctx, tx, store.AuditEntry{
		Actor: actor, Action: "payment.receive", Entity: "payment", EntityID: pay.ID, After: posting,
	}); err != nil {
		return Posting{}, err
	}
	return posting, nil
}

func (r Receipt) validate() error {
	switch {
	case r.Provider == "" || r.EventID == "":
		return domain.FieldError{Field: "id", Reason: "is required"}
	case r.AmountCents <= 0:
		return domain.FieldError{Field: "amount_cents", Reason: "must be positive"}
	case !domain.ValidCurrency(r.Currency):
		return domain.FieldError{Field: "currency", Reason: "must be an ISO 4217 code such as EUR"}
	case r.ReceivedAt.IsZero():
		return domain.FieldError{Field: "received_at", Reason: "is required"}
	case r.InvoiceNumber == "" && r.DebtorID == "":
		return domain.FieldError{Field: "invoice_number", Reason: "an invoice number or a debtor id is required"}
	}
	return nil
}

// target finds whose payment this is and locks the invoices it may settle.
func target(ctx context.Context, tx pgx.Tx, r Receipt) (debtorID string, open []store.Invoice, err error) {
	if r.InvoiceNumber != "" {
		inv, err := store.GetInvoiceByNumberForUpdate(ctx, tx, r.InvoiceNumber)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil, domain.FieldError{Field: "invoice_number", Reason: fmt.Sprintf("no invoice %q", r.InvoiceNumber)}
		}
		if err != nil {
			return "", nil, err
		}
		if r.DebtorID != "" && r.DebtorID != inv.DebtorID {
			return "", nil, domain.FieldError{Field: "debtor_id", Reason: fmt.Sprintf("invoice %s belongs to another debtor", r.InvoiceNumber)}
		}
		if inv.Status != "open" && inv.Status != "agency" {
			// Settled, credited or cancelled: the money is kept unallocated.
			inv.BalanceCents = 0
		}
		return inv.DebtorID, []store.Invoice{inv}, nil
	}
	if _, err := store.GetDebtor(ctx, tx, r.DebtorID); errors.Is(err, store.ErrNotFound) {
		return "", nil, domain.FieldError{Field: "debtor_id", Reason: fmt.Sprintf("no debtor %q", r.DebtorID)}
	} else if err != nil {
		return "", nil, err
	}
	open, err = store.LockOpenInvoices(ctx, tx, r.DebtorID)
	return r.DebtorID, open, err
}

func toOpen(invoices []store.Invoice) []OpenInvoice {
	out := make([]OpenInvoice, 0, len(invoices))
	for _, inv := range invoices {
		out = append(out, OpenInvoice{
			ID: inv.ID, Number: inv.Number, Currency: inv.Currency,
			IssueDate: inv.IssueDate, DueDate: inv.DueDate, BalanceCents: inv.BalanceCents,
		})
	}
	return out
}
