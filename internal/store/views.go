package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The read side of the collector API: case lists, a case's detail and a
// debtor's 360° view, all from the Postgres projections the workflow's
// activities write (never from Temporal visibility).

// CasesStarted returns which of the invoices have a case projection.
func CasesStarted(ctx context.Context, q Querier, invoiceIDs []string) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT invoice_id FROM cases WHERE invoice_id = ANY($1)`, invoiceIDs)
	if err != nil {
		return nil, fmt.Errorf("cases started: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cases started: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// CaseRow is a case with its invoice and debtor, as listed to collectors.
type CaseRow struct {
	InvoiceID     string     `json:"invoice_id"`
	InvoiceNumber string     `json:"invoice_number"`
	DebtorID      string     `json:"debtor_id"`
	DebtorName    string     `json:"debtor_name"`
	Segment       string     `json:"segment"`
	CollectorID   string     `json:"collector_id,omitempty"`
	Status        string     `json:"status"`
	Stage         string     `json:"stage"`
	PolicyName    string     `json:"policy_name"`
	PolicyVersion int        `json:"policy_version"`
	AmountCents   int64      `json:"amount_cents"`
	BalanceCents  int64      `json:"balance_cents"`
	Currency      string     `json:"currency"`
	DueDate       string     `json:"due_date"`
	DaysOverdue   int        `json:"days_overdue"`
	NextActionAt  *time.Time `json:"next_action_at,omitempty"`
	// PrescriptionAt is the last day the claim can be acted on (C. com.
	// L110-4, C. consom. L218-2, interrupted under C. civ. 2240-2241),
	// YYYY-MM-DD.
	PrescriptionAt string     `json:"prescription_at,omitempty"`
	PauseReason    string     `json:"pause_reason,omitempty"`
	StartedAt      time.Time  `json:"started_at"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// caseSelect reads CaseRow; $1 is today's date (for days overdue).
const caseSelect = `SELECT c.invoice_id, i.number, c.debtor_id, d.name, d.segment,
	coalesce(c.collector_id, d.collector_id, ''), c.status, c.stage, c.policy_name, c.policy_version,
	i.amount_cents, c.balance_cents, c.currency, to_char(i.due_date, 'YYYY-MM-DD'), ($1::date - i.due_date),
	c.next_action_at, coalesce(to_char(c.prescription_at, 'YYYY-MM-DD'), ''), c.pause_reason, c.started_at, c.closed_at, c.updated_at
	FROM cases c JOIN invoices i ON i.id = c.invoice_id JOIN debtors d ON d.id = c.debtor_id`

func scanCaseRow(row pgx.Row) (CaseRow, error) {
	var c CaseRow
	err := row.Scan(&c.InvoiceID, &c.InvoiceNumber, &c.DebtorID, &c.DebtorName, &c.Segment, &c.CollectorID,
		&c.Status, &c.Stage, &c.PolicyName, &c.PolicyVersion, &c.AmountCents, &c.BalanceCents, &c.Currency,
		&c.DueDate, &c.DaysOverdue, &c.NextActionAt, &c.PrescriptionAt, &c.PauseReason, &c.StartedAt, &c.ClosedAt, &c.UpdatedAt)
	return c, err
}

// CaseCursor is the position after which a page starts: the list is
// ordered by due date then invoice ID, a stable order.
type CaseCursor struct {
	DueDate   string `json:"d"`
	InvoiceID string `json:"i"`
}

// CaseFilter selects cases. Zero values do not filter.
type CaseFilter struct {
	Today          time.Time // the date days overdue count to
	Portfolio      string    // a collector's ID: only the cases of their debtors
	Status         string
	Stage          string
	CollectorID    string
	Segment        string
	DebtorID       string
	MinBalance     *int64
	MaxBalance     *int64
	MinDaysOverdue *int
	After          *CaseCursor
	Limit          int
}

// ListCases returns up to f.Limit cases in (due date, invoice ID) order.
func ListCases(ctx context.Context, q Querier, f CaseFilter) ([]CaseRow, error) {
	args := []any{f.Today.Format("2006-01-02")}
	var where []string
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Portfolio != "" {
		add("d.collector_id = ?", f.Portfolio)
	}
	if f.Status != "" {
		add("c.status = ?", f.Status)
	}
	if f.Stage != "" {
		add("c.stage = ?", f.Stage)
	}
	if f.CollectorID != "" {
		add("coalesce(c.collector_id, d.collector_id) = ?", f.CollectorID)
	}
	if f.Segment != "" {
		add("d.segment = ?", f.Segment)
	}
	if f.DebtorID != "" {
		add("c.debtor_id = ?", f.DebtorID)
	}
	if f.MinBalance != nil {
		add("c.balance_cents >= ?", *f.MinBalance)
	}
	if f.MaxBalance != nil {
		add("c.balance_cents <= ?", *f.MaxBalance)
	}
	if f.MinDaysOverdue != nil {
		add("($1::date - i.due_date) >= ?", *f.MinDaysOverdue)
	}
	if f.After != nil {
		args = append(args, f.After.DueDate, f.After.InvoiceID)
		where = append(where, fmt.Sprintf("(i.due_date, c.invoice_id) > ($%d::date, $%d)", len(args)-1, len(args)))
	}
	sql := caseSelect
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	sql += fmt.Sprintf(" ORDER BY i.due_date, c.invoice_id LIMIT $%d", len(args))
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseRow, error) { return scanCaseRow(r) })
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return out, nil
}

// GetCaseRow loads one case; ErrNotFound when the invoice has no case yet.
func GetCaseRow(ctx context.Context, q Querier, invoiceID string, today time.Time) (CaseRow, error) {
	c, err := scanCaseRow(q.QueryRow(ctx, caseSelect+` WHERE c.invoice_id = $2`, today.Format("2006-01-02"), invoiceID))
	if errors.Is(err, pgx.ErrNoRows) {
		return CaseRow{}, fmt.Errorf("case %s: %w", invoiceID, ErrNotFound)
	}
	if err != nil {
		return CaseRow{}, fmt.Errorf("load case %s: %w", invoiceID, err)
	}
	return c, nil
}

// TimelineEntry is an event on a case's timeline.
type TimelineEntry struct {
	ID         int64           `json:"id"`
	InvoiceID  string          `json:"invoice_id"`
	Kind       string          `json:"kind"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data,omitempty"`
	OccurredAt time.Time       `json:"occurred_at"`
}

func timeline(ctx context.Context, q Querier, where string, arg any) ([]TimelineEntry, error) {
	rows, err := q.Query(ctx, `SELECT id, invoice_id, kind, message, data, occurred_at FROM case_events
		WHERE `+where+` ORDER BY occurred_at, id`, arg)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TimelineEntry])
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return out, nil
}

// CaseTimeline returns an invoice's case events, oldest first.
func CaseTimeline(ctx context.Context, q Querier, invoiceID string) ([]TimelineEntry, error) {
	return timeline(ctx, q, "invoice_id = $1", invoiceID)
}

// DebtorTimeline returns the case events of all a debtor's invoices.
func DebtorTimeline(ctx context.Context, q Querier, debtorID string) ([]TimelineEntry, error) {
	return timeline(ctx, q, "debtor_id = $1", debtorID)
}

// AddNote puts a collector's note on the case timeline. key makes it
// idempotent: a retried request adds nothing; added reports whether it did.
func AddNote(ctx context.Context, q Querier, key, invoiceID, debtorID, author, text string, at time.Time) (added bool, err error) {
	data, _ := json.Marshal(map[string]string{"author": author})
	tag, err := q.Exec(ctx, `INSERT INTO case_events (event_key, invoice_id, debtor_id, kind, message, data, occurred_at)
		VALUES ($1, $2, $3, 'note', $4, $5, $6) ON CONFLICT (event_key) DO NOTHING`, key, invoiceID, debtorID, text, data, at)
	if err != nil {
		return false, fmt.Errorf("add note to %s: %w", invoiceID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// PaymentView is a payment received from a debtor and where it went.
type PaymentView struct {
	ID               string           `json:"id"`
	Provider         string           `json:"provider"`
	ProviderRef      string           `json:"provider_ref"`
	AmountCents      int64            `json:"amount_cents"`
	Currency         string           `json:"currency"`
	UnallocatedCents int64            `json:"unallocated_cents"`
	Method           string           `json:"method"`
	ReceivedAt       time.Time        `json:"received_at"`
	Allocations      []AllocationView `json:"allocations"`
}

// AllocationView is the part of a payment applied to one invoice.
type AllocationView struct {
	InvoiceID   string     `json:"invoice_id"`
	AmountCents int64      `json:"amount_cents"`
	AppliedAt   *time.Time `json:"applied_at,omitempty"`
}

// PaymentsOfDebtor returns a debtor's payments with their allocations, newest first.
func PaymentsOfDebtor(ctx context.Context, q Querier, debtorID string) ([]PaymentView, error) {
	rows, err := q.Query(ctx, `SELECT p.id, p.provider, p.provider_ref, p.amount_cents, p.currency, p.unallocated_cents,
		p.method, p.received_at,
		coalesce((SELECT jsonb_agg(jsonb_build_object('invoice_id', a.invoice_id, 'amount_cents', a.amount_cents,
			'applied_at', a.applied_at) ORDER BY a.invoice_id) FROM payment_allocations a WHERE a.payment_id = p.id), '[]')
		FROM payments p WHERE p.debtor_id = $1 ORDER BY p.received_at DESC, p.id`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PaymentView, error) {
		var p PaymentView
		var allocs []byte
		if err := r.Scan(&p.ID, &p.Provider, &p.ProviderRef, &p.AmountCents, &p.Currency, &p.UnallocatedCents,
			&p.Method, &p.ReceivedAt, &allocs); err != nil {
			return p, err
		}
		return p, json.Unmarshal(allocs, &p.Allocations)
	})
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", debtorID, err)
	}
	return out, nil
}

// PromiseView is a promise to pay and what became of it.
type PromiseView struct {
	ID           string     `json:"id"`
	InvoiceID    string     `json:"invoice_id"`
	AmountCents  int64      `json:"amount_cents"`
	Currency     string     `json:"currency"`
	PromisedDate string     `json:"promised_date"`
	Status       string     `json:"status"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
}

// PromisesOfDebtor returns the promises on a debtor's invoices, newest first.
func PromisesOfDebtor(ctx context.Context, q Querier, debtorID string) ([]PromiseView, error) {
	rows, err := q.Query(ctx, `SELECT p.id, p.invoice_id, p.amount_cents, p.currency, to_char(p.promised_date, 'YYYY-MM-DD'),
		p.status, p.created_by, p.created_at, p.resolved_at
		FROM promises p JOIN invoices i ON i.id = p.invoice_id WHERE i.debtor_id = $1 ORDER BY p.created_at DESC, p.id`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("promises of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PromiseView])
	if err != nil {
		return nil, fmt.Errorf("promises of %s: %w", debtorID, err)
	}
	return out, nil
}

// PlanView is a payment plan with its installments.
type PlanView struct {
	ID           string            `json:"id"`
	InvoiceID    string            `json:"invoice_id"`
	Status       string            `json:"status"`
	CreatedBy    string            `json:"created_by"`
	CreatedAt    time.Time         `json:"created_at"`
	Installments []InstallmentView `json:"installments"`
}

// InstallmentView is one installment of a plan.
type InstallmentView struct {
	Seq         int    `json:"seq"`
	DueDate     string `json:"due_date"`
	AmountCents int64  `json:"amount_cents"`
	Status      string `json:"status"`
}

// PlansOfDebtor returns the payment plans on a debtor's invoices, newest first.
func PlansOfDebtor(ctx context.Context, q Querier, debtorID string) ([]PlanView, error) {
	rows, err := q.Query(ctx, `SELECT p.id, p.invoice_id, p.status, p.created_by, p.created_at,
		coalesce((SELECT jsonb_agg(jsonb_build_object('seq', s.seq, 'due_date', to_char(s.due_date, 'YYYY-MM-DD'),
			'amount_cents', s.amount_cents, 'status', s.status) ORDER BY s.seq) FROM plan_installments s WHERE s.plan_id = p.id), '[]')
		FROM payment_plans p JOIN invoices i ON i.id = p.invoice_id WHERE i.debtor_id = $1 ORDER BY p.created_at DESC, p.id`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("plans of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PlanView, error) {
		var p PlanView
		var inst []byte
		if err := r.Scan(&p.ID, &p.InvoiceID, &p.Status, &p.CreatedBy, &p.CreatedAt, &inst); err != nil {
			return p, err
		}
		return p, json.Unmarshal(inst, &p.Installments)
	})
	if err != nil {
		return nil, fmt.Errorf("plans of %s: %w", debtorID, err)
	}
	return out, nil
}

// DisputeView is a dispute on one of the debtor's invoices.
type DisputeView struct {
	ID          string          `json:"id"`
	InvoiceID   string          `json:"invoice_id"`
	AmountCents int64           `json:"amount_cents"`
	Reason      string          `json:"reason"`
	Status      string          `json:"status"`
	CreditCents int64           `json:"credit_cents"`
	Attachments json.RawMessage `json:"attachments"`
	OpenedBy    string          `json:"opened_by"`
	OpenedAt    time.Time       `json:"opened_at"`
	ResolvedAt  *time.Time      `json:"resolved_at,omitempty"`
}

// DisputesOfDebtor returns the disputes on a debtor's invoices, newest first.
func DisputesOfDebtor(ctx context.Context, q Querier, debtorID string) ([]DisputeView, error) {
	rows, err := q.Query(ctx, `SELECT d.id, d.invoice_id, d.amount_cents, d.reason, d.status, d.credit_cents, d.attachments,
		d.opened_by, d.opened_at, d.resolved_at
		FROM disputes d JOIN invoices i ON i.id = d.invoice_id WHERE i.debtor_id = $1 ORDER BY d.opened_at DESC, d.id`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("disputes of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DisputeView])
	if err != nil {
		return nil, fmt.Errorf("disputes of %s: %w", debtorID, err)
	}
	return out, nil
}

// RecordPromise stores a promise made through the API (its status is
// then kept current by the case).
func RecordPromise(ctx context.Context, q Querier, p PromiseView) error {
	_, err := q.Exec(ctx, `INSERT INTO promises (id, invoice_id, amount_cents, currency, promised_date, created_by)
		VALUES ($1, $2, $3, $4, $5::date, $6) ON CONFLICT (id) DO NOTHING`,
		p.ID, p.InvoiceID, p.AmountCents, p.Currency, p.PromisedDate, p.CreatedBy)
	if err != nil {
		return fmt.Errorf("record promise %s: %w", p.ID, err)
	}
	return nil
}

// RecordPlan stores a payment plan and its installments.
func RecordPlan(ctx context.Context, q Querier, p PlanView) error {
	tag, err := q.Exec(ctx, `INSERT INTO payment_plans (id, invoice_id, status, created_by) VALUES ($1, $2, 'active', $3)
		ON CONFLICT (id) DO NOTHING`, p.ID, p.InvoiceID, p.CreatedBy)
	if err != nil {
		return fmt.Errorf("record plan %s: %w", p.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	for _, in := range p.Installments {
		if _, err := q.Exec(ctx, `INSERT INTO plan_installments (plan_id, seq, due_date, amount_cents) VALUES ($1, $2, $3::date, $4)`,
			p.ID, in.Seq, in.DueDate, in.AmountCents); err != nil {
			return fmt.Errorf("record plan %s installment %d: %w", p.ID, in.Seq, err)
		}
	}
	return nil
}
