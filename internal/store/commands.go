package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CaseCommandsChannel is the LISTEN/NOTIFY channel told of new case
// commands, so a relay delivers them at once instead of at its next poll.
const CaseCommandsChannel = "case_commands"

// CaseCommand is a workflow update owed to an invoice's case after a
// commit: the relay delivers it with UpdateID until it succeeds.
type CaseCommand struct {
	ID            int64           `json:"id"`
	InvoiceID     string          `json:"invoice_id"`
	UpdateName    string          `json:"update_name"`
	UpdateID      string          `json:"update_id"`
	Payload       json.RawMessage `json:"payload"`
	Attempts      int             `json:"attempts"`
	LastError     string          `json:"last_error,omitempty"`
	NextAttemptAt time.Time       `json:"next_attempt_at"`
	CreatedAt     time.Time       `json:"created_at"`
	DoneAt        *time.Time      `json:"done_at,omitempty"`
}

const caseCommandColumns = `id, invoice_id, update_name, update_id, payload, attempts, last_error, next_attempt_at, created_at, done_at`

func scanCaseCommand(row pgx.Row) (CaseCommand, error) {
	var c CaseCommand
	err := row.Scan(&c.ID, &c.InvoiceID, &c.UpdateName, &c.UpdateID, &c.Payload, &c.Attempts, &c.LastError,
		&c.NextAttemptAt, &c.CreatedAt, &c.DoneAt)
	return c, err
}

// EnqueueCaseCommand owes the update name(payload) with updateID to the
// case of invoiceID and notifies the relays (the notification is sent at
// commit). An update ID already queued is left as it is: created is false.
func EnqueueCaseCommand(ctx context.Context, q Querier, invoiceID, name, updateID string, payload any) (created bool, err error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return false, fmt.Errorf("encode %s command %s: %w", name, updateID, err)
	}
	tag, err := q.Exec(ctx, `INSERT INTO case_commands (invoice_id, update_name, update_id, payload) VALUES ($1, $2, $3, $4)
		ON CONFLICT (update_id) DO NOTHING`, invoiceID, name, updateID, body)
	if err != nil {
		return false, fmt.Errorf("enqueue %s command %s: %w", name, updateID, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if _, err := q.Exec(ctx, `SELECT pg_notify($1, $2)`, CaseCommandsChannel, invoiceID); err != nil {
		return false, fmt.Errorf("notify %s: %w", CaseCommandsChannel, err)
	}
	return true, nil
}

// ClaimCaseCommand locks the oldest command due for delivery, skipping
// rows other relays hold. Commands of one invoice go out in the order
// they were queued: a command waits while an older one of its invoice is
// pending (a dispute is opened before it is resolved). ok is false when
// nothing is due.
func ClaimCaseCommand(ctx context.Context, tx pgx.Tx) (cmd CaseCommand, ok bool, err error) {
	cmd, err = scanCaseCommand(tx.QueryRow(ctx, `SELECT `+caseCommandColumns+` FROM case_commands c
		WHERE done_at IS NULL AND next_attempt_at <= now()
		  AND NOT EXISTS (SELECT 1 FROM case_commands o
		                  WHERE o.invoice_id = c.invoice_id AND o.done_at IS NULL AND o.id < c.id)
		ORDER BY next_attempt_at, id
		LIMIT 1
		FOR UPDATE SKIP LOCKED`))
	if errors.Is(err, pgx.ErrNoRows) {
		return CaseCommand{}, false, nil
	}
	if err != nil {
		return CaseCommand{}, false, fmt.Errorf("claim case command: %w", err)
	}
	return cmd, true, nil
}

// CompleteCaseCommand marks a command delivered for good. lastError is
// empty on success, or why the case refused it (a rejection, a closed
// case): such a command is never retried. A delivered payment also marks
// its allocation applied, so readers know the case has counted it.
func CompleteCaseCommand(ctx context.Context, q Querier, cmd CaseCommand, lastError string) error {
	if _, err := q.Exec(ctx, `UPDATE case_commands SET done_at = now(), attempts = attempts + 1, last_error = $2 WHERE id = $1`,
		cmd.ID, lastError); err != nil {
		return fmt.Errorf("complete case command %d: %w", cmd.ID, err)
	}
	if lastError != "" || cmd.UpdateName != "payment" {
		return nil
	}
	// A payment's update ID is "<payment id>:<invoice id>".
	if _, err := q.Exec(ctx, `UPDATE payment_allocations SET applied_at = now()
		WHERE invoice_id = $1 AND payment_id || ':' || invoice_id = $2 AND applied_at IS NULL`,
		cmd.InvoiceID, cmd.UpdateID); err != nil {
		return fmt.Errorf("mark allocation of %s applied: %w", cmd.UpdateID, err)
	}
	return nil
}

// RetryCaseCommand records a failed attempt and when to try again.
func RetryCaseCommand(ctx context.Context, q Querier, id int64, lastError string, after time.Duration) error {
	if _, err := q.Exec(ctx, `UPDATE case_commands SET attempts = attempts + 1, last_error = $2,
		next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1`, id, lastError, after.Seconds()); err != nil {
		return fmt.Errorf("reschedule case command %d: %w", id, err)
	}
	return nil
}

// ListCaseCommands returns the commands of an invoice, oldest first.
func ListCaseCommands(ctx context.Context, q Querier, invoiceID string) ([]CaseCommand, error) {
	rows, err := q.Query(ctx, `SELECT `+caseCommandColumns+` FROM case_commands WHERE invoice_id = $1 ORDER BY id`, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("case commands of %s: %w", invoiceID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseCommand, error) { return scanCaseCommand(r) })
	if err != nil {
		return nil, fmt.Errorf("case commands of %s: %w", invoiceID, err)
	}
	return out, nil
}
