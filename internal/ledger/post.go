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

// Receipt is money received, as a webhook, a statement line, a person or
// an agency reports it.
type Receipt struct {
	// Namespace and EventID are the payment's identity: the namespace is
	// the webhook endpoint's name (stripe, bank…) for webhooks, and
	// ManualNamespace(source) or AgencyNamespace for the others, so a
	// manual "bank" line and the bank's signed webhook never share an ID.
	// Empty Namespace means Provider.
	Namespace string
	// Provider is where the money came from (stripe, bank, manual,
	// agency…), recorded as the payment's source.
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
	// invoices to settle oldest first. Neither, an unknown one or another
	// currency keeps the money unallocated for a person to allocate.
	InvoiceNumber string
	DebtorID      string
}

// ManualNamespace is the namespace of payments entered through the API
// with a source (manual, bank, agency). A webhook endpoint's name cannot
// contain a dot, so the two never meet.
func ManualNamespace(source string) string { return "manual." + source }

// AgencyNamespace is the namespace of the collections an agency reports.
// No payment webhook endpoint may take this name.
const AgencyNamespace = "agency"

// PaymentID is the ID of the payment a receipt books: "<namespace>:<event id>".
func (r Receipt) PaymentID() string {
	ns := r.Namespace
	if ns == "" {
		ns = r.Provider
	}
	return ns + ":" + r.EventID
}

// PaymentUpdateID is the case update ID of the part of a payment booked
// on an invoice: "<payment id>:<invoice id>".
func PaymentUpdateID(paymentID, invoiceID string) string { return paymentID + ":" + invoiceID }

// Posting is what Post booked.
type Posting struct {
	Payment     store.Payment `json:"payment"`
	Allocations []Allocation  `json:"allocations"`
	// Duplicate is true when the payment was already booked with the same
	// terms: nothing was written.
	Duplicate bool `json:"duplicate"`
	// Conflict, when set, says how the payment already booked under this
	// identity differs (amount, currency, invoice): nothing was written.
	Conflict string `json:"conflict,omitempty"`
}

// Post books r in tx: it checks the payment's identity, finds whom it is
// for and locks the invoices it may settle, allocates, books the payment,
// its ledger entries (one per invoice settled, one for what is kept in
// suspense), refreshes the balances from the ledger, queues one payment
// command per invoice for the door, and writes the audit line.
//
// Only input no one could book is an error (a domain.FieldError): money
// naming no known invoice or debtor, or in another currency than the
// invoice named, is booked unallocated with the reason.
func Post(ctx context.Context, tx pgx.Tx, r Receipt, actor store.Actor) (Posting, error) {
	if err := r.validate(); err != nil {
		return Posting{}, err
	}
	if existing, err := store.FindPayment(ctx, tx, r.PaymentID(), r.Provider, r.ProviderRef); err == nil {
		return same(existing, r), nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return Posting{}, err
	}
	t, err := target(ctx, tx, r)
	if err != nil {
		return Posting{}, err
	}
	res := Result{UnallocatedCents: r.AmountCents}
	if t.reason == "" {
		if res, err = Allocate(r.AmountCents, r.Currency, r.InvoiceNumber, toOpen(t.open)); err != nil {
			return Posting{}, fmt.Errorf("allocate %s: %w", r.PaymentID(), err)
		}
		if res.UnallocatedCents > 0 {
			t.reason = "overpaid: nothing left owed on the invoices it may settle"
		}
	}
	pay, created, err := store.InsertPayment(ctx, tx, store.Payment{
		ID: r.PaymentID(), DebtorID: t.debtorID, Provider: r.Provider, ProviderRef: r.ProviderRef,
		AmountCents: r.AmountCents, Currency: r.Currency, UnallocatedCents: res.UnallocatedCents,
		Method: r.Method, ReceivedAt: r.ReceivedAt, Reference: r.InvoiceNumber, UnallocatedReason: t.reason,
	})
	if err != nil {
		return Posting{}, err
	}
	if !created { // booked meanwhile by a concurrent request
		existing, err := store.FindPayment(ctx, tx, r.PaymentID(), r.Provider, r.ProviderRef)
		if err != nil {
			return Posting{}, err
		}
		return same(existing, r), nil
	}
	for _, a := range res.Allocations {
		if err := store.InsertAllocation(ctx, tx, store.PaymentAllocation{PaymentID: pay.ID, InvoiceID: a.InvoiceID, AmountCents: a.AmountCents}); err != nil {
			return Posting{}, err
		}
		if err := book(ctx, tx, store.LedgerEntry{
			Key: "payment:" + PaymentUpdateID(pay.ID, a.InvoiceID), Kind: domain.EntryPayment, InvoiceID: a.InvoiceID,
			DebtorID: t.debtorID, PaymentID: pay.ID, Source: r.Provider, AmountCents: -a.AmountCents,
			Currency: r.Currency, OccurredAt: r.ReceivedAt,
		}); err != nil {
			return Posting{}, err
		}
		if _, _, err := store.RefreshInvoiceBalance(ctx, tx, a.InvoiceID); err != nil {
			return Posting{}, err
		}
		updateID := PaymentUpdateID(pay.ID, a.InvoiceID)
		if _, err := store.EnqueueCaseCommand(ctx, tx, a.InvoiceID, domain.UpdatePayment, updateID, domain.PaymentUpdate{
			ID: updateID, AmountCents: a.AmountCents, Currency: r.Currency, ReceivedAt: r.ReceivedAt, Source: r.Provider,
		}); err != nil {
			return Posting{}, err
		}
	}
	if res.UnallocatedCents > 0 {
		if err := book(ctx, tx, store.LedgerEntry{
			Key: "unallocated:" + pay.ID, Kind: domain.EntryUnallocated, DebtorID: t.debtorID, PaymentID: pay.ID,
			Source: r.Provider, AmountCents: res.UnallocatedCents, Currency: r.Currency, OccurredAt: r.ReceivedAt,
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

// book inserts a ledger entry that must be new: its key is derived from
// an identity checked just before, so a second booking is a bug.
func book(ctx context.Context, tx pgx.Tx, e store.LedgerEntry) error {
	created, err := store.InsertLedgerEntry(ctx, tx, e)
	if err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("ledger entry %s already booked", e.Key)
	}
	return nil
}

// same compares a receipt with the payment already booked under its
// identity: the same amount, currency and invoice are a duplicate, others
// a conflict. The debtor is not compared: a receipt kept in suspense gets
// its debtor when a person allocates it.
func same(p store.Payment, r Receipt) Posting {
	out := Posting{Payment: p, Duplicate: true}
	switch {
	case p.AmountCents != r.AmountCents:
		out.Conflict = fmt.Sprintf("already booked with amount %d, reported %d", p.AmountCents, r.AmountCents)
	case p.Currency != r.Currency:
		out.Conflict = fmt.Sprintf("already booked in %s, reported %s", p.Currency, r.Currency)
	case p.Reference != r.InvoiceNumber:
		out.Conflict = fmt.Sprintf("already booked for invoice %q, reported %q", p.Reference, r.InvoiceNumber)
	}
	if out.Conflict != "" {
		out.Duplicate = false
	}
	return out
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
	}
	return nil
}

// targeted is whose payment a receipt is and what it may settle; reason,
// when set, is why all of it is kept unallocated.
type targeted struct {
	debtorID string
	open     []store.Invoice
	reason   string
}

// target finds whose payment this is and locks the invoices it may settle.
func target(ctx context.Context, tx pgx.Tx, r Receipt) (targeted, error) {
	if r.InvoiceNumber != "" {
		inv, err := store.GetInvoiceByNumberForUpdate(ctx, tx, r.InvoiceNumber)
		if errors.Is(err, store.ErrNotFound) {
			t := targeted{reason: fmt.Sprintf("unknown invoice %q", r.InvoiceNumber)}
			if r.DebtorID != "" {
				if _, err := store.GetDebtor(ctx, tx, r.DebtorID); err == nil {
					t.debtorID = r.DebtorID
				}
			}
			return t, nil
		}
		if err != nil {
			return targeted{}, err
		}
		switch {
		case r.DebtorID != "" && r.DebtorID != inv.DebtorID:
			return targeted{reason: fmt.Sprintf("invoice %s belongs to another debtor than %q", r.InvoiceNumber, r.DebtorID)}, nil
		case inv.Currency != r.Currency:
			return targeted{debtorID: inv.DebtorID, reason: fmt.Sprintf("invoice %s is in %s, not %s", r.InvoiceNumber, inv.Currency, r.Currency)}, nil
		}
		if inv.Status != "open" && inv.Status != "agency" {
			// Settled, credited or cancelled: the money is kept unallocated.
			inv.BalanceCents = 0
		}
		return targeted{debtorID: inv.DebtorID, open: []store.Invoice{inv}}, nil
	}
	if r.DebtorID == "" {
		return targeted{reason: "names no invoice and no debtor"}, nil
	}
	if _, err := store.GetDebtor(ctx, tx, r.DebtorID); errors.Is(err, store.ErrNotFound) {
		return targeted{reason: fmt.Sprintf("unknown debtor %q", r.DebtorID)}, nil
	} else if err != nil {
		return targeted{}, err
	}
	open, err := store.LockOpenInvoices(ctx, tx, r.DebtorID)
	return targeted{debtorID: r.DebtorID, open: open}, err
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
