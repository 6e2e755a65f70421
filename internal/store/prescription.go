package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
)

// PrescriptionFacts are what an invoice's prescription date depends on.
type PrescriptionFacts struct {
	Business      bool
	DueDate       time.Time
	Interruptions []domain.Interruption
}

// At is the invoice's last day for action (domain.PrescriptionAt).
func (f PrescriptionFacts) At() time.Time {
	return domain.PrescriptionAt(f.Business, f.DueDate, f.Interruptions)
}

// PrescriptionFactsOf loads an invoice's debtor type, due date and
// interruptions: every payment allocated to it (a part payment is an
// acknowledgement, Code civil 2240) and the recorded acknowledgements and
// legal actions.
func PrescriptionFactsOf(ctx context.Context, q Querier, invoiceID string) (PrescriptionFacts, error) {
	var f PrescriptionFacts
	err := q.QueryRow(ctx, `SELECT d.is_business, i.due_date FROM invoices i JOIN debtors d ON d.id = i.debtor_id
		WHERE i.id = $1`, invoiceID).Scan(&f.Business, &f.DueDate)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("invoice %s: %w", invoiceID, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("prescription facts of %s: %w", invoiceID, err)
	}
	rows, err := q.Query(ctx, `
		SELECT 'part_payment', (p.received_at AT TIME ZONE 'Europe/Paris')::date
		FROM payment_allocations a JOIN payments p ON p.id = a.payment_id WHERE a.invoice_id = $1
		UNION ALL
		SELECT kind, occurred_on FROM claim_interruptions WHERE invoice_id = $1`, invoiceID)
	if err != nil {
		return f, fmt.Errorf("interruptions of %s: %w", invoiceID, err)
	}
	f.Interruptions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Interruption, error) {
		var i domain.Interruption
		var kind string
		err := r.Scan(&kind, &i.At)
		i.Kind = domain.InterruptionKind(kind)
		return i, err
	})
	if err != nil {
		return f, fmt.Errorf("interruptions of %s: %w", invoiceID, err)
	}
	return f, nil
}

// RefreshPrescription recomputes the case projection's prescription date
// from the facts and returns it.
func RefreshPrescription(ctx context.Context, q Querier, invoiceID string) (time.Time, error) {
	f, err := PrescriptionFactsOf(ctx, q, invoiceID)
	if err != nil {
		return time.Time{}, err
	}
	at := f.At()
	if _, err := q.Exec(ctx, `UPDATE cases SET prescription_at = $2 WHERE invoice_id = $1 AND prescription_at IS DISTINCT FROM $2`,
		invoiceID, at); err != nil {
		return time.Time{}, fmt.Errorf("set prescription date of %s: %w", invoiceID, err)
	}
	return at, nil
}

// RecordInterruption records an acknowledgement or a legal action and
// refreshes the case's prescription date.
func RecordInterruption(ctx context.Context, q Querier, invoiceID string, kind domain.InterruptionKind, on time.Time, note, by string) (time.Time, error) {
	if kind != domain.InterruptionAcknowledgement && kind != domain.InterruptionLegalAction {
		return time.Time{}, domain.FieldError{Field: "kind", Reason: "must be acknowledgement or legal_action (a part payment is recorded as a payment)"}
	}
	if _, err := q.Exec(ctx, `INSERT INTO claim_interruptions (invoice_id, kind, occurred_on, note, created_by) VALUES ($1, $2, $3, $4, $5)`,
		invoiceID, string(kind), on, note, by); err != nil {
		return time.Time{}, fmt.Errorf("record %s of invoice %s: %w", kind, invoiceID, err)
	}
	return RefreshPrescription(ctx, q, invoiceID)
}

// PrescriptionDue is an open claim close to its prescription date.
type PrescriptionDue struct {
	InvoiceID      string    `json:"invoice_id"`
	InvoiceNumber  string    `json:"invoice_number"`
	DebtorID       string    `json:"debtor_id"`
	CollectorID    string    `json:"collector_id,omitempty"`
	Status         string    `json:"status"`
	BalanceCents   int64     `json:"balance_cents"`
	Currency       string    `json:"currency"`
	PrescriptionAt time.Time `json:"prescription_at"`
	DaysLeft       int       `json:"days_left"`
}

// PrescriptionReport lists the open cases whose prescription date falls
// within days of today (a civil date), the nearest first; already
// prescribed ones come first with negative days left. collectorID ""
// means everyone's.
func PrescriptionReport(ctx context.Context, q Querier, today time.Time, days int, collectorID string) ([]PrescriptionDue, error) {
	rows, err := q.Query(ctx, `
		SELECT c.invoice_id, i.number, c.debtor_id, coalesce(c.collector_id, ''), c.status, c.balance_cents, c.currency,
		       c.prescription_at, c.prescription_at - $3::date
		FROM cases c JOIN invoices i ON i.id = c.invoice_id
		WHERE c.closed_at IS NULL AND c.prescription_at IS NOT NULL
		  AND c.prescription_at <= $3::date + $1::int
		  AND ($2 = '' OR c.collector_id = $2)
		ORDER BY c.prescription_at, c.invoice_id`, days, collectorID, today.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("prescription report: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PrescriptionDue])
	if err != nil {
		return nil, fmt.Errorf("prescription report: %w", err)
	}
	return out, nil
}
