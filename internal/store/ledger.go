package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
)

// LedgerEntry is one movement of money (see migration 00010 for the sign
// rules): on an invoice's account when InvoiceID is set, else on the
// suspense account of the receipt PaymentID.
type LedgerEntry struct {
	ID          int64     `json:"id"`
	Key         string    `json:"key"`
	Kind        string    `json:"kind"`
	InvoiceID   string    `json:"invoice_id,omitempty"`
	DebtorID    string    `json:"debtor_id,omitempty"`
	PaymentID   string    `json:"payment_id,omitempty"`
	Source      string    `json:"source,omitempty"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	OccurredAt  time.Time `json:"occurred_at"`
	CreatedAt   time.Time `json:"created_at"`
}

const ledgerColumns = `id, entry_key, kind, coalesce(invoice_id, ''), coalesce(debtor_id, ''), coalesce(payment_id, ''),
	source, amount_cents, currency, occurred_at, created_at`

func scanLedgerEntry(row pgx.Row) (LedgerEntry, error) {
	var e LedgerEntry
	err := row.Scan(&e.ID, &e.Key, &e.Kind, &e.InvoiceID, &e.DebtorID, &e.PaymentID, &e.Source, &e.AmountCents,
		&e.Currency, &e.OccurredAt, &e.CreatedAt)
	return e, err
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// InsertLedgerEntry books e once per key: an entry with its key already
// booked is left as it is and created is false.
func InsertLedgerEntry(ctx context.Context, q Querier, e LedgerEntry) (created bool, err error) {
	if e.OccurredAt.IsZero() {
		e.OccurredAt = time.Now()
	}
	tag, err := q.Exec(ctx, `INSERT INTO ledger_entries (entry_key, kind, invoice_id, debtor_id, payment_id, source,
			amount_cents, currency, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (entry_key) DO NOTHING`,
		e.Key, e.Kind, nullIfEmpty(e.InvoiceID), nullIfEmpty(e.DebtorID), nullIfEmpty(e.PaymentID), e.Source,
		e.AmountCents, e.Currency, e.OccurredAt)
	if err != nil {
		return false, fmt.Errorf("book %s %s: %w", e.Kind, e.Key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// LedgerEntriesWithPrefix returns the entries whose key starts with
// prefix, in booking order (the rows one fact booked).
func LedgerEntriesWithPrefix(ctx context.Context, q Querier, prefix string) ([]LedgerEntry, error) {
	rows, err := q.Query(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries
		WHERE entry_key >= $1 AND entry_key < $1 || chr(1114111) ORDER BY id`, prefix)
	if err != nil {
		return nil, fmt.Errorf("ledger entries %s*: %w", prefix, err)
	}
	return collectLedger(rows, prefix)
}

// ListLedgerEntries returns an invoice's entries, or a receipt's (both its
// suspense account and what it booked on invoices), in booking order.
func ListLedgerEntries(ctx context.Context, q Querier, invoiceID, paymentID string) ([]LedgerEntry, error) {
	rows, err := q.Query(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries
		WHERE ($1 <> '' AND invoice_id = $1) OR ($2 <> '' AND payment_id = $2) ORDER BY id`, invoiceID, paymentID)
	if err != nil {
		return nil, fmt.Errorf("ledger of %s%s: %w", invoiceID, paymentID, err)
	}
	return collectLedger(rows, invoiceID+paymentID)
}

func collectLedger(rows pgx.Rows, what string) ([]LedgerEntry, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LedgerEntry, error) { return scanLedgerEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", what, err)
	}
	return out, nil
}

// invoiceLedgerSQL is the one computation of an invoice's balances from
// its entries; every reader of a balance goes through it or through the
// invoices.balance_cents it caches.
const invoiceLedgerSQL = `SELECT
	coalesce(sum(amount_cents) FILTER (WHERE kind IN ('invoice', 'adjustment', 'interest', 'fee')), 0)::bigint,
	coalesce(-sum(amount_cents) FILTER (WHERE kind IN ('payment', 'allocation', 'refund', 'chargeback', 'chargeback_reversal')), 0)::bigint,
	coalesce(-sum(amount_cents) FILTER (WHERE kind = 'credit_note'), 0)::bigint,
	coalesce(-sum(amount_cents) FILTER (WHERE kind = 'write_off'), 0)::bigint,
	coalesce(sum(amount_cents), 0)::bigint,
	coalesce((SELECT sum(s.amount_cents) FROM ledger_entries s
	          WHERE s.invoice_id IS NULL AND s.payment_id IN (
	              SELECT a.payment_id FROM payment_allocations a WHERE a.invoice_id = $1
	              UNION SELECT p.id FROM payments p JOIN invoices i ON i.number = p.reference WHERE i.id = $1)), 0)::bigint
	FROM ledger_entries WHERE invoice_id = $1`

// InvoiceLedger computes an invoice's balances from its ledger entries.
func InvoiceLedger(ctx context.Context, q Querier, invoiceID string) (domain.LedgerBalance, error) {
	var b domain.LedgerBalance
	var sum int64
	if err := q.QueryRow(ctx, invoiceLedgerSQL, invoiceID).Scan(&b.OwedCents, &b.PaidCents, &b.CreditedCents,
		&b.WrittenOffCents, &sum, &b.OverpaidCents); err != nil {
		return b, fmt.Errorf("ledger of invoice %s: %w", invoiceID, err)
	}
	b.BalanceCents = max(0, sum)
	b.OverpaidCents += max(0, -sum)
	return b, nil
}

// RefreshInvoiceBalance writes the ledger's balance of an invoice into its
// cached balance_cents, and its status where money decides it: an open (or
// agency) invoice with nothing owed is paid; a paid invoice owed again (a
// refund, a chargeback) is open. Decisions of people (credited, written
// off, cancelled) are not undone by money.
func RefreshInvoiceBalance(ctx context.Context, q Querier, invoiceID string) (Invoice, domain.LedgerBalance, error) {
	return refreshInvoice(ctx, q, invoiceID, "paid")
}

// refreshInvoice is RefreshInvoiceBalance with the status an open invoice
// takes when nothing is owed: paid after money; empty keeps the status
// (a credit note: its case decides the invoice is credited).
func refreshInvoice(ctx context.Context, q Querier, invoiceID, settled string) (Invoice, domain.LedgerBalance, error) {
	b, err := InvoiceLedger(ctx, q, invoiceID)
	if err != nil {
		return Invoice{}, b, err
	}
	inv, err := scanInvoice(q.QueryRow(ctx, `
		UPDATE invoices SET balance_cents = $2::bigint,
			status = CASE WHEN $2::bigint = 0 AND status IN ('open', 'agency') AND $3 <> '' THEN $3
			              WHEN $2::bigint > 0 AND status = 'paid' THEN 'open'
			              ELSE status END,
			updated_at = now()
		WHERE id = $1
		RETURNING `+invoiceColumns, invoiceID, b.BalanceCents, settled))
	if errors.Is(err, pgx.ErrNoRows) {
		return Invoice{}, b, fmt.Errorf("invoice %s: %w", invoiceID, ErrNotFound)
	}
	if err != nil {
		return Invoice{}, b, fmt.Errorf("refresh balance of %s: %w", invoiceID, err)
	}
	return inv, b, nil
}

// SuspenseCents is what a receipt still holds unallocated.
func SuspenseCents(ctx context.Context, q Querier, paymentID string) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, `SELECT coalesce(sum(amount_cents), 0)::bigint FROM ledger_entries
		WHERE payment_id = $1 AND invoice_id IS NULL`, paymentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("suspense of %s: %w", paymentID, err)
	}
	return n, nil
}

// SetPaymentUnallocated writes the ledger's suspense of a receipt into
// its cached unallocated_cents.
func SetPaymentUnallocated(ctx context.Context, q Querier, paymentID string) (Payment, error) {
	p, err := scanPayment(q.QueryRow(ctx, `UPDATE payments SET unallocated_cents =
			(SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE payment_id = $1 AND invoice_id IS NULL)
		WHERE id = $1 RETURNING `+paymentColumns, paymentID))
	if err != nil {
		return Payment{}, fmt.Errorf("refresh suspense of %s: %w", paymentID, err)
	}
	return p, nil
}

// PaymentConflict is a report of a payment identity already booked with
// another amount, currency or invoice.
type PaymentConflict struct {
	ID        int64           `json:"id"`
	PaymentID string          `json:"payment_id"`
	Provider  string          `json:"provider"`
	EventID   string          `json:"event_id"`
	Reason    string          `json:"reason"`
	Reported  json.RawMessage `json:"reported"`
	CreatedAt time.Time       `json:"created_at"`
}

// RecordPaymentConflict keeps a conflict once per key; created is false
// when the same report was recorded before (a provider's retry).
func RecordPaymentConflict(ctx context.Context, q Querier, key string, c PaymentConflict, reported any) (created bool, err error) {
	body, err := json.Marshal(reported)
	if err != nil {
		return false, fmt.Errorf("encode conflict %s: %w", key, err)
	}
	tag, err := q.Exec(ctx, `INSERT INTO payment_conflicts (conflict_key, payment_id, provider, event_id, reason, reported)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conflict_key) DO NOTHING`,
		key, c.PaymentID, c.Provider, c.EventID, c.Reason, body)
	if err != nil {
		return false, fmt.Errorf("record conflict %s: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ListPaymentConflicts returns the recorded conflicts, newest first.
func ListPaymentConflicts(ctx context.Context, q Querier, limit int) ([]PaymentConflict, error) {
	rows, err := q.Query(ctx, `SELECT id, payment_id, provider, event_id, reason, reported, created_at
		FROM payment_conflicts ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("payment conflicts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PaymentConflict])
	if err != nil {
		return nil, fmt.Errorf("payment conflicts: %w", err)
	}
	return out, nil
}

// ListUnallocatedPayments returns the receipts holding money in suspense,
// oldest first.
func ListUnallocatedPayments(ctx context.Context, q Querier, limit int) ([]Payment, error) {
	rows, err := q.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE unallocated_cents > 0
		ORDER BY received_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("unallocated payments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) { return scanPayment(r) })
	if err != nil {
		return nil, fmt.Errorf("unallocated payments: %w", err)
	}
	return out, nil
}

// GetPaymentForUpdate loads a receipt and locks it; ErrNotFound when none.
func GetPaymentForUpdate(ctx context.Context, tx pgx.Tx, id string) (Payment, error) {
	p, err := scanPayment(tx.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("load payment %s: %w", id, err)
	}
	return p, nil
}
