package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
)

// Invoice is an invoice under collection. Dates are calendar dates in
// ISO form (2026-01-31); money is minor units of Currency.
type Invoice struct {
	ID           string    `json:"id"`
	DebtorID     string    `json:"debtor_id"`
	Number       string    `json:"number"`
	IssueDate    string    `json:"issue_date"`
	DueDate      string    `json:"due_date"`
	Currency     string    `json:"currency"`
	AmountCents  int64     `json:"amount_cents"`
	BalanceCents int64     `json:"balance_cents"`
	Status       string    `json:"status"`
	Description  string    `json:"description"`
	PaymentLink  string    `json:"payment_link"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

const invoiceColumns = `id, debtor_id, number, to_char(issue_date, 'YYYY-MM-DD'), to_char(due_date, 'YYYY-MM-DD'),
	currency, amount_cents, balance_cents, status, description, payment_link, created_at, updated_at`

func scanInvoice(row pgx.Row) (Invoice, error) {
	var i Invoice
	err := row.Scan(&i.ID, &i.DebtorID, &i.Number, &i.IssueDate, &i.DueDate, &i.Currency, &i.AmountCents,
		&i.BalanceCents, &i.Status, &i.Description, &i.PaymentLink, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

func oneInvoice(row pgx.Row, what string) (Invoice, error) {
	inv, err := scanInvoice(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return Invoice{}, fmt.Errorf("invoice %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Invoice{}, fmt.Errorf("load invoice %s: %w", what, err)
	}
	return inv, nil
}

// GetInvoice loads an invoice by ID; ErrNotFound when there is none.
func GetInvoice(ctx context.Context, q Querier, id string) (Invoice, error) {
	return oneInvoice(q.QueryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1`, id), id)
}

// GetInvoiceForUpdate loads an invoice by ID and locks it until the transaction ends.
func GetInvoiceForUpdate(ctx context.Context, tx pgx.Tx, id string) (Invoice, error) {
	return oneInvoice(tx.QueryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1 FOR UPDATE`, id), id)
}

// GetInvoiceByNumberForUpdate loads an invoice by its number and locks it.
func GetInvoiceByNumberForUpdate(ctx context.Context, tx pgx.Tx, number string) (Invoice, error) {
	return oneInvoice(tx.QueryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE number = $1 FOR UPDATE`, number), "number "+number)
}

// ListDebtorInvoices returns a debtor's invoices, oldest due first.
func ListDebtorInvoices(ctx context.Context, q Querier, debtorID string) ([]Invoice, error) {
	rows, err := q.Query(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE debtor_id = $1 ORDER BY due_date, number`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("invoices of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Invoice, error) { return scanInvoice(r) })
	if err != nil {
		return nil, fmt.Errorf("invoices of %s: %w", debtorID, err)
	}
	return out, nil
}

// InsertInvoice creates an invoice whose balance is its amount. A taken
// number returns ErrConflict.
func InsertInvoice(ctx context.Context, q Querier, inv Invoice) (Invoice, error) {
	out, err := scanInvoice(q.QueryRow(ctx, `
		INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents,
			description, payment_link)
		VALUES ($1, $2, $3, $4::date, $5::date, $6, $7, $7, $8, $9)
		RETURNING `+invoiceColumns,
		inv.ID, inv.DebtorID, inv.Number, inv.IssueDate, inv.DueDate, inv.Currency, inv.AmountCents,
		inv.Description, inv.PaymentLink))
	if IsUniqueViolation(err) {
		return Invoice{}, fmt.Errorf("invoice number %s: %w", inv.Number, ErrConflict)
	}
	if err != nil {
		return Invoice{}, fmt.Errorf("insert invoice %s: %w", inv.Number, err)
	}
	return out, nil
}

// UpdateInvoiceTerms rewrites the terms an ERP may correct: dates, currency,
// amount, description and payment link. A changed amount is booked on the
// ledger as an adjustment and the balance is the ledger's, whatever
// inv.BalanceCents says.
func UpdateInvoiceTerms(ctx context.Context, q Querier, inv Invoice) (Invoice, error) {
	before, err := oneInvoice(q.QueryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1 FOR UPDATE`, inv.ID), inv.ID)
	if err != nil {
		return Invoice{}, err
	}
	if _, err := q.Exec(ctx, `
		UPDATE invoices SET issue_date = $2::date, due_date = $3::date, currency = $4, amount_cents = $5,
			description = $6, payment_link = $7, updated_at = now()
		WHERE id = $1`,
		inv.ID, inv.IssueDate, inv.DueDate, inv.Currency, inv.AmountCents, inv.Description, inv.PaymentLink); err != nil {
		return Invoice{}, fmt.Errorf("update invoice %s: %w", inv.ID, err)
	}
	if _, err := q.Exec(ctx, `UPDATE ledger_entries SET currency = $2 WHERE invoice_id = $1 AND currency <> $2`, inv.ID, inv.Currency); err != nil {
		return Invoice{}, fmt.Errorf("recurrency ledger of %s: %w", inv.ID, err)
	}
	if delta := inv.AmountCents - before.AmountCents; delta != 0 {
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM ledger_entries WHERE invoice_id = $1 AND kind = 'adjustment'`, inv.ID).Scan(&n); err != nil {
			return Invoice{}, fmt.Errorf("adjustments of %s: %w", inv.ID, err)
		}
		if _, err := InsertLedgerEntry(ctx, q, LedgerEntry{
			Key: fmt.Sprintf("adjustment:%s:%d", inv.ID, n+1), Kind: domain.EntryAdjustment, InvoiceID: inv.ID,
			DebtorID: before.DebtorID, Source: "intake", AmountCents: delta, Currency: inv.Currency,
		}); err != nil {
			return Invoice{}, err
		}
	}
	out, _, err := RefreshInvoiceBalance(ctx, q, inv.ID)
	return out, err
}

// SetInvoiceStatus records a terminal decision on the invoice (cancelled…).
func SetInvoiceStatus(ctx context.Context, q Querier, id, status string) error {
	if _, err := q.Exec(ctx, `UPDATE invoices SET status = $2, updated_at = now() WHERE id = $1`, id, status); err != nil {
		return fmt.Errorf("set invoice %s %s: %w", id, status, err)
	}
	return nil
}

// InvoiceHasPayments reports whether any payment was allocated to the invoice.
func InvoiceHasPayments(ctx context.Context, q Querier, id string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payment_allocations WHERE invoice_id = $1)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("payments of invoice %s: %w", id, err)
	}
	return ok, nil
}

// CreditNote (avoir) lowers what is owed on an invoice.
type CreditNote struct {
	ID          string    `json:"id"`
	InvoiceID   string    `json:"invoice_id"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
}

// InsertCreditNote stores a credit note and lowers the invoice balance by
// its amount. When a note with the same ID exists it is returned with
// created=false and nothing changes, so a retried request is harmless.
func InsertCreditNote(ctx context.Context, tx pgx.Tx, cn CreditNote) (out CreditNote, created bool, err error) {
	err = tx.QueryRow(ctx, `
		INSERT INTO credit_notes (id, invoice_id, amount_cents, currency, reason) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING
		RETURNING id, invoice_id, amount_cents, currency, reason, created_at`,
		cn.ID, cn.InvoiceID, cn.AmountCents, cn.Currency, cn.Reason).
		Scan(&out.ID, &out.InvoiceID, &out.AmountCents, &out.Currency, &out.Reason, &out.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id, invoice_id, amount_cents, currency, reason, created_at FROM credit_notes WHERE id = $1`, cn.ID).
			Scan(&out.ID, &out.InvoiceID, &out.AmountCents, &out.Currency, &out.Reason, &out.CreatedAt)
		if err != nil {
			return CreditNote{}, false, fmt.Errorf("load credit note %s: %w", cn.ID, err)
		}
		return out, false, nil
	}
	if err != nil {
		return CreditNote{}, false, fmt.Errorf("insert credit note %s: %w", cn.ID, err)
	}
	var debtorID string
	if err := tx.QueryRow(ctx, `SELECT debtor_id FROM invoices WHERE id = $1`, cn.InvoiceID).Scan(&debtorID); err != nil {
		return CreditNote{}, false, fmt.Errorf("debtor of %s: %w", cn.InvoiceID, err)
	}
	if _, err := InsertLedgerEntry(ctx, tx, LedgerEntry{
		Key: "credit_note:" + out.ID, Kind: domain.EntryCreditNote, InvoiceID: cn.InvoiceID, DebtorID: debtorID,
		Source: "api", AmountCents: -out.AmountCents, Currency: out.Currency, OccurredAt: out.CreatedAt,
	}); err != nil {
		return CreditNote{}, false, err
	}
	if _, _, err := refreshInvoice(ctx, tx, cn.InvoiceID, ""); err != nil {
		return CreditNote{}, false, err
	}
	return out, true, nil
}

// GetCreditNote loads a credit note by ID; ErrNotFound when there is none.
func GetCreditNote(ctx context.Context, q Querier, id string) (CreditNote, error) {
	var cn CreditNote
	err := q.QueryRow(ctx, `SELECT id, invoice_id, amount_cents, currency, reason, created_at FROM credit_notes WHERE id = $1`, id).
		Scan(&cn.ID, &cn.InvoiceID, &cn.AmountCents, &cn.Currency, &cn.Reason, &cn.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return CreditNote{}, fmt.Errorf("credit note %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return CreditNote{}, fmt.Errorf("load credit note %s: %w", id, err)
	}
	return cn, nil
}

// ListCreditNotes returns an invoice's credit notes, oldest first.
func ListCreditNotes(ctx context.Context, q Querier, invoiceIDs []string) ([]CreditNote, error) {
	rows, err := q.Query(ctx, `SELECT id, invoice_id, amount_cents, currency, reason, created_at FROM credit_notes
		WHERE invoice_id = ANY($1) ORDER BY created_at, id`, invoiceIDs)
	if err != nil {
		return nil, fmt.Errorf("credit notes: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CreditNote])
	if err != nil {
		return nil, fmt.Errorf("credit notes: %w", err)
	}
	return out, nil
}
