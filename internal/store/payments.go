package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Payment is money received from a debtor. ID is "<provider>:<event or
// statement-line id>"; what could not be allocated stays in UnallocatedCents.
type Payment struct {
	ID       string `json:"id"`
	DebtorID string `json:"debtor_id"`
	Provider string `json:"provider"`
	// ProviderRef is the provider's object (payment intent, bank line):
	// unique per provider when set, so twin events book once.
	ProviderRef      string    `json:"provider_ref,omitempty"`
	AmountCents      int64     `json:"amount_cents"`
	Currency         string    `json:"currency"`
	UnallocatedCents int64     `json:"unallocated_cents"`
	Method           string    `json:"method,omitempty"`
	ReceivedAt       time.Time `json:"received_at"`
	CreatedAt        time.Time `json:"created_at"`
	// Reference is the invoice number the payer named, if any.
	Reference string `json:"reference,omitempty"`
	// UnallocatedReason says why money was kept in suspense (unknown
	// invoice, another currency, a settled invoice, an overpayment).
	UnallocatedReason string `json:"unallocated_reason,omitempty"`
}

// PaymentAllocation is the part of a payment booked on one invoice.
// AppliedAt is set when the invoice's case acknowledged it.
type PaymentAllocation struct {
	PaymentID   string     `json:"payment_id"`
	InvoiceID   string     `json:"invoice_id"`
	AmountCents int64      `json:"amount_cents"`
	AppliedAt   *time.Time `json:"applied_at,omitempty"`
}

const paymentColumns = `id, coalesce(debtor_id, ''), provider, provider_ref, amount_cents, currency, unallocated_cents, method,
	received_at, created_at, reference, unallocated_reason`

func scanPayment(row pgx.Row) (Payment, error) {
	var p Payment
	err := row.Scan(&p.ID, &p.DebtorID, &p.Provider, &p.ProviderRef, &p.AmountCents, &p.Currency,
		&p.UnallocatedCents, &p.Method, &p.ReceivedAt, &p.CreatedAt, &p.Reference, &p.UnallocatedReason)
	return p, err
}

// InsertPayment stores p unless a payment with its ID, or with its
// provider and provider reference, exists: then created is false and
// nothing is written (the caller's transaction stays usable).
func InsertPayment(ctx context.Context, q Querier, p Payment) (out Payment, created bool, err error) {
	out, err = scanPayment(q.QueryRow(ctx, `
		INSERT INTO payments (id, debtor_id, provider, provider_ref, amount_cents, currency, unallocated_cents, method, received_at,
			reference, unallocated_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING
		RETURNING `+paymentColumns,
		p.ID, nullIfEmpty(p.DebtorID), p.Provider, p.ProviderRef, p.AmountCents, p.Currency, p.UnallocatedCents, p.Method,
		p.ReceivedAt, p.Reference, p.UnallocatedReason))
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, false, fmt.Errorf("insert payment %s: %w", p.ID, err)
	}
	return out, true, nil
}

// FindPayment returns the payment with id, or the one of provider with
// providerRef (when not empty); ErrNotFound when neither exists.
func FindPayment(ctx context.Context, q Querier, id, provider, providerRef string) (Payment, error) {
	p, err := scanPayment(q.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE id = $1 OR ($3 <> '' AND provider = $2 AND provider_ref = $3)
		ORDER BY id = $1 DESC LIMIT 1`, id, provider, providerRef))
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("load payment %s: %w", id, err)
	}
	return p, nil
}

// ListDebtorPayments returns a debtor's payments, newest first.
func ListDebtorPayments(ctx context.Context, q Querier, debtorID string) ([]Payment, error) {
	rows, err := q.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE debtor_id = $1 ORDER BY received_at DESC, id`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scanPayment(r) })
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", debtorID, err)
	}
	return out, nil
}

// InsertAllocation books part of a payment on an invoice.
func InsertAllocation(ctx context.Context, q Querier, a PaymentAllocation) error {
	if _, err := q.Exec(ctx, `INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)`,
		a.PaymentID, a.InvoiceID, a.AmountCents); err != nil {
		return fmt.Errorf("allocate %s to %s: %w", a.PaymentID, a.InvoiceID, err)
	}
	return nil
}

// ListAllocations returns the allocations of the given payments, or of
// the given invoices, in booking order.
func ListAllocations(ctx context.Context, q Querier, paymentIDs, invoiceIDs []string) ([]PaymentAllocation, error) {
	rows, err := q.Query(ctx, `SELECT payment_id, invoice_id, amount_cents, applied_at FROM payment_allocations
		WHERE payment_id = ANY($1) OR invoice_id = ANY($2) ORDER BY payment_id, invoice_id`, paymentIDs, invoiceIDs)
	if err != nil {
		return nil, fmt.Errorf("allocations: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PaymentAllocation])
	if err != nil {
		return nil, fmt.Errorf("allocations: %w", err)
	}
	return out, nil
}

// LockOpenInvoices returns and locks the debtor's invoices that still owe
// money (open, or with an agency), oldest due first. Locking in one order
// keeps concurrent payments of one debtor from deadlocking.
func LockOpenInvoices(ctx context.Context, tx pgx.Tx, debtorID string) ([]Invoice, error) {
	rows, err := tx.Query(ctx, `SELECT `+invoiceColumns+` FROM invoices
		WHERE debtor_id = $1 AND status IN ('open', 'agency') AND balance_cents > 0
		ORDER BY due_date, issue_date, number, id FOR UPDATE`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("lock open invoices of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Invoice, error) { return scanInvoice(r) })
	if err != nil {
		return nil, fmt.Errorf("lock open invoices of %s: %w", debtorID, err)
	}
	return out, nil
}

// AddAllocation adds to the part of a payment booked on an invoice (an
// allocation out of suspense may follow an earlier one). The case has not
// acknowledged the addition yet, so applied_at is cleared.
func AddAllocation(ctx context.Context, q Querier, a PaymentAllocation) error {
	if _, err := q.Exec(ctx, `INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)
		ON CONFLICT (payment_id, invoice_id) DO UPDATE SET amount_cents = payment_allocations.amount_cents + EXCLUDED.amount_cents,
			applied_at = NULL`,
		a.PaymentID, a.InvoiceID, a.AmountCents); err != nil {
		return fmt.Errorf("allocate %s to %s: %w", a.PaymentID, a.InvoiceID, err)
	}
	return nil
}

// AssignPayment gives a receipt its debtor (once allocated) and refreshes
// its cached unallocated amount from the ledger.
func AssignPayment(ctx context.Context, q Querier, id, debtorID string) (Payment, error) {
	if _, err := q.Exec(ctx, `UPDATE payments SET debtor_id = coalesce(debtor_id, $2) WHERE id = $1`, id, debtorID); err != nil {
		return Payment{}, fmt.Errorf("assign payment %s: %w", id, err)
	}
	return SetPaymentUnallocated(ctx, q, id)
}
