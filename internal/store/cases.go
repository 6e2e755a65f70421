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

// CaseFactsOf loads the non-personal facts of an invoice and its debtor
// (the policy is chosen by the caller). ErrNotFound when the invoice is unknown.
//
// The balance is the ledger's (invoices.balance_cents caches it): a payment
// whose command is still pending is already counted, and its command
// carries the ledger's figures again rather than an amount to subtract.
func CaseFactsOf(ctx context.Context, q Querier, invoiceID string) (domain.CaseFacts, error) {
	var f domain.CaseFacts
	var cal domain.ContactCalendar
	var start, end int16
	err := q.QueryRow(ctx, `
		SELECT i.id, i.number, i.debtor_id, i.currency, i.amount_cents, i.balance_cents,
		       i.due_date, d.segment, d.risk_rating, coalesce(d.collector_id, ''),
		       d.timezone, d.contact_window_start, d.contact_window_end
		FROM invoices i JOIN debtors d ON d.id = i.debtor_id WHERE i.id = $1`, invoiceID).
		Scan(&f.InvoiceID, &f.InvoiceNumber, &f.DebtorID, &f.Currency, &f.AmountCents, &f.BalanceCents, &f.DueDate,
			&f.Segment, &f.RiskRating, &f.CollectorID, &cal.Timezone, &start, &end)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("invoice %s: %w", invoiceID, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("load facts of invoice %s: %w", invoiceID, err)
	}
	f.DueDate = f.DueDate.UTC()
	cal.WindowStart, cal.WindowEnd = int(start), int(end)
	f.Contact = &cal
	return f, nil
}

// RecordCase writes one transition: the case projection and, when the
// record has an event, its timeline entry, once per EventKey.
func RecordCase(ctx context.Context, s *Store, workflowID string, r domain.CaseRecord) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		var next *time.Time
		if !r.NextActionAt.IsZero() {
			next = &r.NextActionAt
		}
		var collector *string
		if r.CollectorID != "" {
			collector = &r.CollectorID
		}
		closed := r.Status.Terminal() && r.Status != domain.StatusAgency
		_, err := tx.Exec(ctx, `
			INSERT INTO cases (invoice_id, workflow_id, debtor_id, status, stage, policy_name, policy_version, collector_id,
			                   balance_cents, currency, next_action_at, pause_reason, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $13 THEN now() END)
			ON CONFLICT (invoice_id) DO UPDATE SET
			    status = EXCLUDED.status, stage = EXCLUDED.stage, policy_name = EXCLUDED.policy_name,
			    policy_version = EXCLUDED.policy_version, collector_id = EXCLUDED.collector_id,
			    balance_cents = EXCLUDED.balance_cents, currency = EXCLUDED.currency,
			    next_action_at = EXCLUDED.next_action_at, pause_reason = EXCLUDED.pause_reason,
			    closed_at = CASE WHEN $13 THEN coalesce(cases.closed_at, now()) END, updated_at = now()`,
			r.InvoiceID, workflowID, r.DebtorID, string(r.Status), r.Stage, r.PolicyName, r.PolicyVersion, collector,
			r.BalanceCents, r.Currency, next, r.PauseReason, closed)
		if err != nil {
			return fmt.Errorf("upsert case %s: %w", r.InvoiceID, err)
		}
		// Payments reach the case before its projection is written: the
		// prescription date follows them here (Code civil 2240).
		if _, err := RefreshPrescription(ctx, tx, r.InvoiceID); err != nil {
			return err
		}
		if r.Status.Terminal() {
			// An agency's file closes as paid or written off like any case.
			if _, err := tx.Exec(ctx, `UPDATE invoices SET status = $2, updated_at = now()
				WHERE id = $1 AND (status = 'open' OR (status = 'agency' AND $2 <> 'agency'))`,
				r.InvoiceID, string(r.Status)); err != nil {
				return fmt.Errorf("close invoice %s: %w", r.InvoiceID, err)
			}
			if r.Status == domain.StatusWrittenOff {
				if err := bookWriteOff(ctx, tx, r.InvoiceID); err != nil {
					return err
				}
			}
		}
		if r.CloseTasks != "" {
			if _, err := CloseOpenTasks(ctx, tx, r.InvoiceID, r.CloseTasks); err != nil {
				return err
			}
		}
		for _, c := range r.Commitments {
			if err := setCommitmentStatus(ctx, tx, r.InvoiceID, c); err != nil {
				return err
			}
		}
		if r.Event != nil {
			if err := insertCaseEvent(ctx, tx, r, r.EventKey, *r.Event); err != nil {
				return err
			}
		}
		for _, e := range r.More {
			if err := insertCaseEvent(ctx, tx, r, e.Key, e.Event); err != nil {
				return err
			}
		}
		return nil
	})
}

// bookWriteOff books what a written-off invoice still owed as a write-off,
// once, so the ledger's balance (and every "outstanding") drops it.
func bookWriteOff(ctx context.Context, tx pgx.Tx, invoiceID string) error {
	var status, debtorID, currency string
	if err := tx.QueryRow(ctx, `SELECT status, debtor_id, currency FROM invoices WHERE id = $1 FOR UPDATE`, invoiceID).
		Scan(&status, &debtorID, &currency); err != nil {
		return fmt.Errorf("invoice %s to write off: %w", invoiceID, err)
	}
	if status != string(domain.StatusWrittenOff) {
		return nil
	}
	b, err := InvoiceLedger(ctx, tx, invoiceID)
	if err != nil || b.BalanceCents == 0 {
		return err
	}
	if _, err := InsertLedgerEntry(ctx, tx, LedgerEntry{
		Key: "write_off:" + invoiceID, Kind: domain.EntryWriteOff, InvoiceID: invoiceID, DebtorID: debtorID,
		Source: "case", AmountCents: -b.BalanceCents, Currency: currency,
	}); err != nil {
		return err
	}
	_, _, err = RefreshInvoiceBalance(ctx, tx, invoiceID)
	return err
}

// setCommitmentStatus writes a promise's, a plan's or an installment's
// status. The rows are the API's: one not (yet) there is left alone. A
// completed plan has every installment paid.
func setCommitmentStatus(ctx context.Context, tx pgx.Tx, invoiceID string, c domain.CommitmentStatus) error {
	var err error
	switch {
	case c.PromiseID != "":
		_, err = tx.Exec(ctx, `UPDATE promises SET status = $3, resolved_at = coalesce(resolved_at, now())
			WHERE id = $1 AND invoice_id = $2`, c.PromiseID, invoiceID, c.Status)
	case c.PlanID != "" && c.Installment > 0:
		_, err = tx.Exec(ctx, `UPDATE plan_installments s SET status = $3 FROM payment_plans p
			WHERE s.plan_id = $1 AND s.seq = $2 AND p.id = s.plan_id AND p.invoice_id = $4`, c.PlanID, c.Installment, c.Status, invoiceID)
	case c.PlanID != "":
		_, err = tx.Exec(ctx, `UPDATE payment_plans SET status = $3, resolved_at = coalesce(resolved_at, now())
			WHERE id = $1 AND invoice_id = $2`, c.PlanID, invoiceID, c.Status)
		if err == nil && c.Status == domain.CommitmentCompleted {
			_, err = tx.Exec(ctx, `UPDATE plan_installments SET status = 'paid' WHERE plan_id = $1 AND status = 'pending'`, c.PlanID)
		}
	}
	if err != nil {
		return fmt.Errorf("status %s of %s%s on invoice %s: %w", c.Status, c.PromiseID, c.PlanID, invoiceID, err)
	}
	return nil
}

// insertCaseEvent adds a timeline entry once per key.
func insertCaseEvent(ctx context.Context, tx pgx.Tx, r domain.CaseRecord, key string, ev domain.TimelineEvent) error {
	data := []byte("{}")
	if ev.Data != nil {
		var err error
		if data, err = json.Marshal(ev.Data); err != nil {
			return fmt.Errorf("encode event %s: %w", key, err)
		}
	}
	var k *string
	if key != "" {
		k = &key
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO case_events (event_key, invoice_id, debtor_id, kind, message, data, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_key) DO NOTHING`,
		k, r.InvoiceID, r.DebtorID, ev.Kind, ev.Message, data, ev.At)
	if err != nil {
		return fmt.Errorf("insert event %s: %w", key, err)
	}
	return nil
}

// CaseProjection is the row the workflow keeps in `cases`.
type CaseProjection struct {
	InvoiceID    string
	Status       string
	Stage        string
	BalanceCents int64
	PolicyName   string
	NextActionAt *time.Time
	PauseReason  string
	ClosedAt     *time.Time
}

// GetCaseProjection reads one case row; ErrNotFound when none.
func GetCaseProjection(ctx context.Context, q Querier, invoiceID string) (CaseProjection, error) {
	var c CaseProjection
	err := q.QueryRow(ctx, `SELECT invoice_id, status, stage, balance_cents, policy_name, next_action_at, pause_reason, closed_at
		FROM cases WHERE invoice_id = $1`, invoiceID).
		Scan(&c.InvoiceID, &c.Status, &c.Stage, &c.BalanceCents, &c.PolicyName, &c.NextActionAt, &c.PauseReason, &c.ClosedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("case %s: %w", invoiceID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("case %s: %w", invoiceID, err)
	}
	return c, nil
}

// CaseEventKinds lists the kinds of a case's timeline in order.
func CaseEventKinds(ctx context.Context, q Querier, invoiceID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT kind FROM case_events WHERE invoice_id = $1 ORDER BY occurred_at, id`, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", invoiceID, err)
	}
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", invoiceID, err)
	}
	return kinds, nil
}

// ContactFactsOf gathers what the contact rules need about a debtor and a
// channel at a time: opt-out, address and its status, time zone, contact
// window, and the outbound contacts of the 7 days before at.
func ContactFactsOf(ctx context.Context, q Querier, debtorID string, ch domain.Channel, at time.Time) (domain.ContactFacts, error) {
	f := domain.ContactFacts{Channel: ch, At: at}
	var email, phone, postal, tz, emailStatus, phoneStatus string
	var start, end int16
	var optedOut bool
	err := q.QueryRow(ctx, `
		SELECT d.email, d.phone, d.postal_code, d.timezone, d.email_status, d.phone_status,
		       d.contact_window_start, d.contact_window_end,
		       EXISTS (SELECT 1 FROM channel_consents c WHERE c.debtor_id = d.id AND c.channel = $2 AND NOT c.opted_in)
		FROM debtors d WHERE d.id = $1`, debtorID, string(ch)).
		Scan(&email, &phone, &postal, &tz, &emailStatus, &phoneStatus, &start, &end, &optedOut)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("debtor %s: %w", debtorID, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("contact facts of %s: %w", debtorID, err)
	}
	f.OptedOut = optedOut
	f.WindowStart, f.WindowEnd = int(start), int(end)
	if loc, err := time.LoadLocation(tz); err == nil {
		f.Location = loc
	} else {
		f.Location, _ = time.LoadLocation("Europe/Paris")
	}
	f.Reachable = true
	switch ch {
	case domain.ChannelEmail:
		switch {
		case email == "":
			f.Reachable, f.Unreachable = false, "no e-mail address"
		case emailStatus == "bounced":
			f.Reachable, f.Unreachable = false, "e-mail address bounced"
		}
	case domain.ChannelSMS, domain.ChannelCall:
		switch {
		case phone == "":
			f.Reachable, f.Unreachable = false, "no phone number"
		case phoneStatus == "unusable":
			f.Reachable, f.Unreachable = false, "phone number unusable"
		}
	case domain.ChannelLetter, domain.ChannelRegisteredLetter:
		if postal == "" {
			f.Reachable, f.Unreachable = false, "no postal address"
		}
	}
	rows, err := q.Query(ctx, `
		SELECT sent_at FROM interactions
		WHERE debtor_id = $1 AND direction = 'outbound' AND channel <> 'agency'
		  AND sent_at > $2::timestamptz - interval '7 days' AND sent_at <= $2`, debtorID, at)
	if err != nil {
		return f, fmt.Errorf("recent contacts of %s: %w", debtorID, err)
	}
	f.SentAt, err = pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return f, fmt.Errorf("recent contacts of %s: %w", debtorID, err)
	}
	return f, nil
}
