package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OpenInvoiceRef is what starting a missing case needs of an open invoice.
type OpenInvoiceRef struct {
	ID, Number, DebtorID, Segment, CollectorID, Currency string
	BalanceCents                                         int64
}

// OpenInvoiceRefs lists the invoices that must have a running case: open,
// with something left to pay.
func OpenInvoiceRefs(ctx context.Context, q Querier) ([]OpenInvoiceRef, error) {
	rows, err := q.Query(ctx, `
		SELECT i.id, i.number, i.debtor_id, d.segment, coalesce(d.collector_id, ''), i.currency, i.balance_cents
		FROM invoices i JOIN debtors d ON d.id = i.debtor_id
		WHERE i.status = 'open' AND i.balance_cents > 0 ORDER BY i.id`)
	if err != nil {
		return nil, fmt.Errorf("open invoices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OpenInvoiceRef, error) {
		var r OpenInvoiceRef
		err := row.Scan(&r.ID, &r.Number, &r.DebtorID, &r.Segment, &r.CollectorID, &r.Currency, &r.BalanceCents)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("open invoices: %w", err)
	}
	return out, nil
}

// InvoiceStatuses returns the status of each known invoice among ids.
func InvoiceStatuses(ctx context.Context, q Querier, ids []string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT id, status FROM invoices WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("invoice statuses: %w", err)
	}
	out := map[string]string{}
	var id, status string
	if _, err := pgx.ForEachRow(rows, []any{&id, &status}, func() error { out[id] = status; return nil }); err != nil {
		return nil, fmt.Errorf("invoice statuses: %w", err)
	}
	return out, nil
}

// ReconciliationFinding is one invoice a reconciliation run names.
type ReconciliationFinding struct {
	InvoiceID string `json:"invoice_id"`
	// Status is the invoice's status (orphans: "unknown" when it does not
	// exist) or the case's (ended cases).
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ReconciliationRun is what one run of the reconciliation found and did.
type ReconciliationRun struct {
	ID           int64                   `json:"id"`
	StartedAt    time.Time               `json:"started_at"`
	FinishedAt   time.Time               `json:"finished_at"`
	OpenInvoices int                     `json:"open_invoices"`
	RunningCases int                     `json:"running_cases"`
	Restarted    []ReconciliationFinding `json:"restarted"`
	EndedCases   []ReconciliationFinding `json:"ended_cases"`
	Orphans      []ReconciliationFinding `json:"orphans"`
	Failed       []ReconciliationFinding `json:"failed"`
}

// RecordReconciliation stores a run and returns its ID.
func RecordReconciliation(ctx context.Context, q Querier, r ReconciliationRun) (int64, error) {
	enc := func(f []ReconciliationFinding) ([]byte, error) {
		if f == nil {
			f = []ReconciliationFinding{}
		}
		return json.Marshal(f)
	}
	var parts [4][]byte
	for i, f := range [][]ReconciliationFinding{r.Restarted, r.EndedCases, r.Orphans, r.Failed} {
		b, err := enc(f)
		if err != nil {
			return 0, fmt.Errorf("encode reconciliation: %w", err)
		}
		parts[i] = b
	}
	var id int64
	err := q.QueryRow(ctx, `
		INSERT INTO reconciliation_runs (started_at, open_invoices, running_cases, restarted, ended_cases, orphans, failed)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		r.StartedAt, r.OpenInvoices, r.RunningCases, parts[0], parts[1], parts[2], parts[3]).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record reconciliation: %w", err)
	}
	return id, nil
}

// LatestReconciliation returns the last run; ErrNotFound before the first.
func LatestReconciliation(ctx context.Context, q Querier) (ReconciliationRun, error) {
	var r ReconciliationRun
	var parts [4][]byte
	err := q.QueryRow(ctx, `
		SELECT id, started_at, finished_at, open_invoices, running_cases, restarted, ended_cases, orphans, failed
		FROM reconciliation_runs ORDER BY started_at DESC, id DESC LIMIT 1`).
		Scan(&r.ID, &r.StartedAt, &r.FinishedAt, &r.OpenInvoices, &r.RunningCases, &parts[0], &parts[1], &parts[2], &parts[3])
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("reconciliation: %w", ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("latest reconciliation: %w", err)
	}
	for i, dst := range []*[]ReconciliationFinding{&r.Restarted, &r.EndedCases, &r.Orphans, &r.Failed} {
		if err := json.Unmarshal(parts[i], dst); err != nil {
			return r, fmt.Errorf("decode reconciliation %d: %w", r.ID, err)
		}
	}
	return r, nil
}
