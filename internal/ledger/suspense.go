package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// SuspenseAllocation is a person's decision to put money held unallocated
// on an invoice.
type SuspenseAllocation struct {
	PaymentID string
	InvoiceID string
	// AmountCents 0 means as much as both allow (the suspense, the balance).
	AmountCents int64
}

// Allocated is what AllocateSuspense booked.
type Allocated struct {
	Payment     store.Payment `json:"payment"`
	InvoiceID   string        `json:"invoice_id"`
	AmountCents int64         `json:"amount_cents"`
	// UpdateID is the payment command's ID, the case update carrying it.
	UpdateID string `json:"update_id"`
}

// AllocateSuspense moves money from a receipt's suspense onto an invoice:
// two ledger entries (out of suspense, onto the invoice), the allocation
// row, the refreshed balance and a payment command for the invoice's case.
// What no one can do is a domain.FieldError (nothing held, another
// currency, an invoice that owes nothing).
func AllocateSuspense(ctx context.Context, tx pgx.Tx, a SuspenseAllocation, actor store.Actor) (Allocated, error) {
	if a.AmountCents < 0 {
		return Allocated{}, domain.FieldError{Field: "amount_cents", Reason: "must not be negative"}
	}
	pay, err := store.GetPaymentForUpdate(ctx, tx, a.PaymentID)
	if errors.Is(err, store.ErrNotFound) {
		return Allocated{}, domain.FieldError{Field: "payment_id", Reason: fmt.Sprintf("no payment %q", a.PaymentID)}
	}
	if err != nil {
		return Allocated{}, err
	}
	held, err := store.SuspenseCents(ctx, tx, pay.ID)
	if err != nil {
		return Allocated{}, err
	}
	if held <= 0 {
		return Allocated{}, domain.FieldError{Field: "payment_id", Reason: "holds nothing unallocated"}
	}
	inv, err := store.GetInvoiceForUpdate(ctx, tx, a.InvoiceID)
	if errors.Is(err, store.ErrNotFound) {
		return Allocated{}, domain.FieldError{Field: "invoice_id", Reason: fmt.Sprintf("no invoice %q", a.InvoiceID)}
	}
	if err != nil {
		return Allocated{}, err
	}
	switch {
	case inv.Currency != pay.Currency:
		return Allocated{}, domain.FieldError{Field: "invoice_id", Reason: fmt.Sprintf("invoice is in %s, the payment in %s", inv.Currency, pay.Currency)}
	case pay.DebtorID != "" && pay.DebtorID != inv.DebtorID:
		return Allocated{}, domain.FieldError{Field: "invoice_id", Reason: "belongs to another debtor than the payment's"}
	case (inv.Status != "open" && inv.Status != "agency") || inv.BalanceCents == 0:
		return Allocated{}, domain.FieldError{Field: "invoice_id", Reason: "owes nothing (status " + inv.Status + ")"}
	case a.AmountCents > held:
		return Allocated{}, domain.FieldError{Field: "amount_cents", Reason: fmt.Sprintf("exceeds the %d held unallocated", held)}
	case a.AmountCents > inv.BalanceCents:
		return Allocated{}, domain.FieldError{Field: "amount_cents", Reason: fmt.Sprintf("exceeds the invoice's balance of %d", inv.BalanceCents)}
	}
	take := a.AmountCents
	if take == 0 {
		take = min(held, inv.BalanceCents)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM ledger_entries WHERE payment_id = $1 AND kind = 'allocation' AND invoice_id IS NULL`,
		pay.ID).Scan(&n); err != nil {
		return Allocated{}, fmt.Errorf("allocations of %s: %w", pay.ID, err)
	}
	key := fmt.Sprintf("allocation:%s:%d", pay.ID, n+1)
	for _, e := range []store.LedgerEntry{
		{Key: key + ":suspense", Kind: domain.EntryAllocation, DebtorID: inv.DebtorID, PaymentID: pay.ID,
			Source: pay.Provider, AmountCents: -take, Currency: pay.Currency},
		{Key: key + ":" + inv.ID, Kind: domain.EntryAllocation, InvoiceID: inv.ID, DebtorID: inv.DebtorID, PaymentID: pay.ID,
			Source: pay.Provider, AmountCents: -take, Currency: pay.Currency},
	} {
		if err := book(ctx, tx, e); err != nil {
			return Allocated{}, err
		}
	}
	if err := store.AddAllocation(ctx, tx, store.PaymentAllocation{PaymentID: pay.ID, InvoiceID: inv.ID, AmountCents: take}); err != nil {
		return Allocated{}, err
	}
	if _, _, err := store.RefreshInvoiceBalance(ctx, tx, inv.ID); err != nil {
		return Allocated{}, err
	}
	if pay, err = store.AssignPayment(ctx, tx, pay.ID, inv.DebtorID); err != nil {
		return Allocated{}, err
	}
	if _, err := store.EnqueueCaseCommand(ctx, tx, inv.ID, domain.UpdatePayment, key, domain.PaymentUpdate{
		ID: key, AmountCents: take, Currency: pay.Currency, ReceivedAt: pay.ReceivedAt, Source: pay.Provider,
	}); err != nil {
		return Allocated{}, err
	}
	out := Allocated{Payment: pay, InvoiceID: inv.ID, AmountCents: take, UpdateID: key}
	if err := store.Audit(ctx, tx, store.AuditEntry{
		Actor: actor, Action: "payment.allocate", Entity: "payment", EntityID: pay.ID, After: out,
	}); err != nil {
		return Allocated{}, err
	}
	return out, nil
}
