package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
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
	// Refused is true when the case refused the command for good;
	// LastError then holds its reason.
	Refused bool `json:"refused"`
	// Money is true for commands that move money (payments, ledger entries).
	Money bool `json:"money"`
	// LeaseToken identifies the delivery attempt holding the command.
	LeaseToken string `json:"-"`
}

const caseCommandColumns = `id, invoice_id, update_name, update_id, payload, attempts, last_error, next_attempt_at, created_at, done_at,
	refused, money, lease_token`

func scanCaseCommand(row pgx.Row) (CaseCommand, error) {
	var c CaseCommand
	err := row.Scan(&c.ID, &c.InvoiceID, &c.UpdateName, &c.UpdateID, &c.Payload, &c.Attempts, &c.LastError,
		&c.NextAttemptAt, &c.CreatedAt, &c.DoneAt, &c.Refused, &c.Money, &c.LeaseToken)
	return c, err
}

// MoneyUpdate reports whether a case update moves money.
func MoneyUpdate(name string) bool {
	return name == domain.UpdatePayment || name == domain.UpdateLedger
}

// EnqueueCaseCommand owes the update name(payload) with updateID to the
// case of invoiceID and notifies the relays (the notification is sent at
// commit). An update ID already queued is left as it is: created is false.
func EnqueueCaseCommand(ctx context.Context, q Querier, invoiceID, name, updateID string, payload any) (created bool, err error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return false, fmt.Errorf("encode %s command %s: %w", name, updateID, err)
	}
	tag, err := q.Exec(ctx, `INSERT INTO case_commands (invoice_id, update_name, update_id, payload, money) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (update_id) DO NOTHING`, invoiceID, name, updateID, body, MoneyUpdate(name))
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

// LeaseCaseCommand takes the oldest command due for delivery for the
// lease duration and returns it with a fresh lease token, in a statement
// of its own: no transaction stays open while the command is delivered.
// Commands of one invoice go out in the order they were queued: a command
// waits while an older one of its invoice is pending or leased (a dispute
// is opened before it is resolved). A lease that ran out (its holder
// died) makes the command due again. ok is false when nothing is due.
func LeaseCaseCommand(ctx context.Context, q Querier, lease time.Duration, token string) (cmd CaseCommand, ok bool, err error) {
	cmd, err = scanCaseCommand(q.QueryRow(ctx, `
		WITH next AS (
			SELECT c.id FROM case_commands c
			WHERE c.done_at IS NULL AND c.next_attempt_at <= now() AND (c.leased_until IS NULL OR c.leased_until < now())
			  AND NOT EXISTS (SELECT 1 FROM case_commands o
			                  WHERE o.invoice_id = c.invoice_id AND o.done_at IS NULL AND o.id < c.id)
			ORDER BY c.next_attempt_at, c.id
			LIMIT 1
			FOR UPDATE SKIP LOCKED)
		UPDATE case_commands c SET leased_until = now() + make_interval(secs => $1), lease_token = $2
		FROM next WHERE c.id = next.id
		RETURNING `+prefixed("c.", caseCommandColumns), lease.Seconds(), token))
	if errors.Is(err, pgx.ErrNoRows) {
		return CaseCommand{}, false, nil
	}
	if err != nil {
		return CaseCommand{}, false, fmt.Errorf("lease case command: %w", err)
	}
	return cmd, true, nil
}

// prefixed qualifies each column of a list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// ErrLeaseLost means another deliverer took the command after this one's
// lease ran out: the outcome is theirs to record.
var ErrLeaseLost = errors.New("lease on case command lost")

// CompleteCaseCommand marks a leased command delivered for good, in tx.
// refusal is empty on success, or why the case refused it (a rejection, a
// closed case): such a command is never retried, and stays listed as
// refused. A delivered payment also marks its allocation applied, so
// readers know the case has counted it.
func CompleteCaseCommand(ctx context.Context, q Querier, cmd CaseCommand, refusal string) error {
	tag, err := q.Exec(ctx, `UPDATE case_commands SET done_at = now(), attempts = attempts + 1, last_error = $2,
			refused = $2 <> '', leased_until = NULL
		WHERE id = $1 AND lease_token = $3 AND done_at IS NULL`,
		cmd.ID, refusal, cmd.LeaseToken)
	if err != nil {
		return fmt.Errorf("complete case command %d: %w", cmd.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("complete case command %d: %w", cmd.ID, ErrLeaseLost)
	}
	if refusal != "" || cmd.UpdateName != domain.UpdatePayment {
		return nil
	}
	// A payment's update ID is "<payment id>:<invoice id>", an allocation
	// out of suspense's "allocation:<payment id>:<n>".
	if _, err := q.Exec(ctx, `UPDATE payment_allocations SET applied_at = now()
		WHERE invoice_id = $1 AND applied_at IS NULL
		  AND (payment_id || ':' || invoice_id = $2 OR $2 LIKE 'allocation:' || payment_id || ':%')`,
		cmd.InvoiceID, cmd.UpdateID); err != nil {
		return fmt.Errorf("mark allocation of %s applied: %w", cmd.UpdateID, err)
	}
	return nil
}

// RetryCaseCommand records a failed attempt, releases the lease and sets
// when to try again.
func RetryCaseCommand(ctx context.Context, q Querier, cmd CaseCommand, lastError string, after time.Duration) error {
	tag, err := q.Exec(ctx, `UPDATE case_commands SET attempts = attempts + 1, last_error = $2, leased_until = NULL,
		next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1 AND lease_token = $4 AND done_at IS NULL`,
		cmd.ID, lastError, after.Seconds(), cmd.LeaseToken)
	if err != nil {
		return fmt.Errorf("reschedule case command %d: %w", cmd.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("reschedule case command %d: %w", cmd.ID, ErrLeaseLost)
	}
	return nil
}

// ListRefusedCommands returns the commands cases refused, newest first;
// money only keeps those that move money.
func ListRefusedCommands(ctx context.Context, q Querier, money bool, limit int) ([]CaseCommand, error) {
	rows, err := q.Query(ctx, `SELECT `+caseCommandColumns+` FROM case_commands
		WHERE refused AND (money OR NOT $1) ORDER BY done_at DESC, id DESC LIMIT $2`, money, limit)
	if err != nil {
		return nil, fmt.Errorf("refused case commands: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseCommand, error) { return scanCaseCommand(r) })
	if err != nil {
		return nil, fmt.Errorf("refused case commands: %w", err)
	}
	return out, nil
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
