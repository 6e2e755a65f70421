// Package seed loads bench data straight into Postgres with COPY: debtors,
// invoices, policies and open tasks in the shapes of the schema, fast
// enough for 100,000 rows.
package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relance/relance/internal/domain"
)

// Segment of every bench debtor; the bench policy selects it.
const Segment = "bench"

// InvoiceID of the i-th bench invoice of a batch.
func InvoiceID(batch string, i int) string { return fmt.Sprintf("%s-inv-%06d", batch, i) }

// DebtorID of the i-th bench debtor of a batch.
func DebtorID(batch string, i int) string { return fmt.Sprintf("%s-deb-%05d", batch, i) }

// CollectorID of the bench collector.
const CollectorID = "bench-collector"

// Collector makes the bench collector (idempotent).
func Collector(ctx context.Context, db *pgxpool.Pool) error {
	_, err := db.Exec(ctx, `INSERT INTO collectors (id, name, email) VALUES ($1, 'Bench Collector', 'bench@example.test') ON CONFLICT (id) DO NOTHING`, CollectorID)
	return err
}

// Debtors makes n debtors reachable at any hour (contact window 0–1440) so
// a compressed ladder never waits for office hours.
func Debtors(ctx context.Context, db *pgxpool.Pool, batch string, n int) error {
	if err := Collector(ctx, db); err != nil {
		return err
	}
	rows := make([][]any, n)
	for i := range n {
		rows[i] = []any{DebtorID(batch, i), fmt.Sprintf("Débiteur %d", i), true,
			fmt.Sprintf("debtor%d@example.test", i), fmt.Sprintf("+3361%07d", i),
			[]string{fmt.Sprintf("%d rue de la Paix", i+1)}, "75002", "Paris",
			Segment, "medium", CollectorID, int16(0), int16(1440)}
	}
	_, err := db.CopyFrom(ctx, pgx.Identifier{"debtors"},
		[]string{"id", "name", "is_business", "email", "phone", "address_lines", "postal_code", "city",
			"segment", "risk_rating", "collector_id", "contact_window_start", "contact_window_end"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy debtors: %w", err)
	}
	return nil
}

// Invoice is one seeded invoice.
type Invoice struct {
	ID, DebtorID, Number string
	AmountCents          int64
}

// Invoices makes n open invoices of 1,200.00 € due ten days ago, spread over
// debtors debtors of the batch.
func Invoices(ctx context.Context, db *pgxpool.Pool, batch string, n, debtors int) ([]Invoice, error) {
	due := time.Now().UTC().AddDate(0, 0, -10).Truncate(24 * time.Hour)
	out := make([]Invoice, n)
	rows := make([][]any, n)
	for i := range n {
		inv := Invoice{ID: InvoiceID(batch, i), DebtorID: DebtorID(batch, i%debtors), Number: fmt.Sprintf("F-%s-%06d", batch, i), AmountCents: 120000}
		out[i] = inv
		rows[i] = []any{inv.ID, inv.DebtorID, inv.Number, due.AddDate(0, -1, 0), due, "EUR", inv.AmountCents, inv.AmountCents}
	}
	_, err := db.CopyFrom(ctx, pgx.Identifier{"invoices"},
		[]string{"id", "debtor_id", "number", "issue_date", "due_date", "currency", "amount_cents", "balance_cents"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return nil, fmt.Errorf("copy invoices: %w", err)
	}
	return out, nil
}

// Policy stores p as the active version of its name.
func Policy(ctx context.Context, db *pgxpool.Pool, p domain.Policy) error {
	def, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `INSERT INTO policies (name, version, definition, active, created_by) VALUES ($1, $2, $3, true, 'bench')
		ON CONFLICT (name, version) DO UPDATE SET definition = EXCLUDED.definition, active = true`, p.Name, p.Version, def)
	return err
}

// CompressedLadder is the default ladder with every rung a few milliseconds
// after the previous one: all the work of a case, none of the waiting.
func CompressedLadder(step time.Duration) domain.Policy {
	p := domain.DefaultPolicy()
	p.Name, p.Version, p.Segments = "bench-compressed", 1, []string{Segment}
	for i := range p.Steps {
		p.Steps[i].From = domain.FromPrevious
		p.Steps[i].Offset = domain.Duration(step)
		p.Steps[i].TaskDeadline = domain.Duration(step)
	}
	p.Steps[0].Offset = 0
	p.PromiseGrace = domain.Duration(step)
	p.InstallmentGrace = domain.Duration(step)
	p.InstallmentReminder = domain.Duration(step)
	p.DefaultTaskDeadline = domain.Duration(step)
	return p
}

// SleepingLadder is the real default ladder shifted so the first rung is
// far away: a case starts, records itself and sleeps on a timer.
func SleepingLadder() domain.Policy {
	p := domain.DefaultPolicy()
	p.Name, p.Version, p.Segments = "bench-sleeping", 1, []string{Segment}
	for i := range p.Steps {
		p.Steps[i].From = domain.FromPrevious
		p.Steps[i].Offset = domain.Duration(30 * 24 * time.Hour)
	}
	return p
}

// Tasks makes n open call tasks for the bench collector over the batch's
// invoices (which must exist), due over the past and next days.
func Tasks(ctx context.Context, db *pgxpool.Pool, batch string, n int, invoices []Invoice) error {
	now := time.Now().UTC()
	rows := make([][]any, n)
	for i := range n {
		inv := invoices[i%len(invoices)]
		due := now.Add(time.Duration(i%(14*24)-7*24) * time.Hour)
		rows[i] = []any{fmt.Sprintf("%s-task-%06d", batch, i), fmt.Sprintf("%s-task-key-%06d", batch, i),
			inv.ID, inv.DebtorID, "call", CollectorID, "open", int64(i % 1000), due, due.Add(48 * time.Hour)}
	}
	_, err := db.CopyFrom(ctx, pgx.Identifier{"tasks"},
		[]string{"id", "idempotency_key", "invoice_id", "debtor_id", "kind", "collector_id", "status", "priority", "due_at", "deadline_at"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy tasks: %w", err)
	}
	return nil
}
