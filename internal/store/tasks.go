package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Task is work for a collector (a call to make), created by the workflow.
// The worklist queries that read tasks live with the API.
type Task struct {
	ID             string     `json:"id"`
	IdempotencyKey string     `json:"idempotency_key"`
	InvoiceID      string     `json:"invoice_id"`
	DebtorID       string     `json:"debtor_id"`
	Kind           string     `json:"kind"`
	CollectorID    string     `json:"collector_id,omitempty"`
	Status         string     `json:"status"`
	Priority       int64      `json:"priority"`
	DueAt          time.Time  `json:"due_at"`
	DeadlineAt     time.Time  `json:"deadline_at"`
	Script         []byte     `json:"script"` // JSON
	CreatedAt      time.Time  `json:"created_at"`
	CompletedAt    *time.Time `json:"completed_at,omitempty"`
}

const taskColumns = `id, idempotency_key, invoice_id, debtor_id, kind, coalesce(collector_id, ''), status, priority,
	due_at, deadline_at, script, created_at, completed_at`

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.IdempotencyKey, &t.InvoiceID, &t.DebtorID, &t.Kind, &t.CollectorID, &t.Status,
		&t.Priority, &t.DueAt, &t.DeadlineAt, &t.Script, &t.CreatedAt, &t.CompletedAt)
	return t, err
}

// GetTaskByKey loads the task created under an idempotency key.
func GetTaskByKey(ctx context.Context, q Querier, key string) (Task, error) {
	t, err := scanTask(q.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE idempotency_key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return Task{}, fmt.Errorf("task %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Task{}, fmt.Errorf("load task %s: %w", key, err)
	}
	return t, nil
}

// PickCollector chooses who gets a new task when the debtor has no
// collector of its own: the active collector with the fewest open tasks,
// ties broken by ID. It locks the active collectors' rows, so concurrent
// assignments in other transactions queue behind this one and see its task:
// call it in the transaction that inserts the task. "" when nobody is active.
func PickCollector(ctx context.Context, tx pgx.Tx) (string, error) {
	if _, err := tx.Exec(ctx, `SELECT id FROM collectors WHERE active ORDER BY id FOR UPDATE`); err != nil {
		return "", fmt.Errorf("lock collectors: %w", err)
	}
	var id string
	err := tx.QueryRow(ctx, `
		SELECT c.id FROM collectors c
		LEFT JOIN tasks t ON t.collector_id = c.id AND t.status IN ('open', 'claimed')
		WHERE c.active
		GROUP BY c.id
		ORDER BY count(t.id), c.id
		LIMIT 1`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pick collector: %w", err)
	}
	return id, nil
}

// ActiveCollector reports whether id names an active collector.
func ActiveCollector(ctx context.Context, q Querier, id string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM collectors WHERE id = $1 AND active)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up collector %s: %w", id, err)
	}
	return ok, nil
}

// InsertTask creates t unless a task with its idempotency key exists, in
// which case that one is returned with created=false.
func InsertTask(ctx context.Context, q Querier, t Task) (out Task, created bool, err error) {
	var collector *string
	if t.CollectorID != "" {
		collector = &t.CollectorID
	}
	if t.Kind == "" {
		t.Kind = "call"
	}
	script := t.Script
	if len(script) == 0 {
		script = []byte("{}")
	}
	out, err = scanTask(q.QueryRow(ctx, `
		INSERT INTO tasks (id, idempotency_key, invoice_id, debtor_id, kind, collector_id, priority, due_at,
			deadline_at, script)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+taskColumns,
		t.ID, t.IdempotencyKey, t.InvoiceID, t.DebtorID, t.Kind, collector, t.Priority, t.DueAt, t.DeadlineAt, script))
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Task{}, false, fmt.Errorf("create task %s: %w", t.IdempotencyKey, err)
	}
	out, err = GetTaskByKey(ctx, q, t.IdempotencyKey)
	return out, false, err
}

// PromiseSummary is the last promise to pay of an invoice, for call scripts.
type PromiseSummary struct {
	AmountCents  int64     `json:"amount_cents"`
	Currency     string    `json:"currency"`
	PromisedDate time.Time `json:"promised_date"`
	Status       string    `json:"status"`
}

// LastPromise returns the invoice's most recent promise, or nil.
func LastPromise(ctx context.Context, q Querier, invoiceID string) (*PromiseSummary, error) {
	var p PromiseSummary
	err := q.QueryRow(ctx, `SELECT amount_cents, currency, promised_date, status FROM promises
		WHERE invoice_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, invoiceID).
		Scan(&p.AmountCents, &p.Currency, &p.PromisedDate, &p.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last promise of %s: %w", invoiceID, err)
	}
	return &p, nil
}

// CloseOpenTasks cancels the invoice's open or claimed tasks (the case
// ended or moved on) and returns how many it closed. note says why.
func CloseOpenTasks(ctx context.Context, q Querier, invoiceID, note string) (int64, error) {
	tag, err := q.Exec(ctx, `UPDATE tasks SET status = 'cancelled', note = $2, completed_at = now()
		WHERE invoice_id = $1 AND status IN ('open', 'claimed')`, invoiceID, note)
	if err != nil {
		return 0, fmt.Errorf("close tasks of %s: %w", invoiceID, err)
	}
	return tag.RowsAffected(), nil
}

// CompleteCallInteraction records on the timeline the call a collector
// made for a task (the interaction CreateCallTask wrote under "call:" +
// the task's idempotency key): the call counts as a contact from `at`.
// Reached, promise and dispute mark it delivered, a wrong number
// undeliverable, no answer and callback sent. Call it in the transaction
// that completes the task; false when the task has no call interaction.
func CompleteCallInteraction(ctx context.Context, q Querier, taskID, outcome, note string, at time.Time) (bool, error) {
	status := InteractionSent
	switch outcome {
	case "reached", "promise", "dispute":
		status = InteractionDelivered
	case "wrong_number":
		status = InteractionUndeliverable
	}
	tag, err := q.Exec(ctx, `
		UPDATE interactions i SET status = $2, sent_at = coalesce(i.sent_at, $3),
			body_text = CASE WHEN $4 = '' THEN i.body_text ELSE i.body_text || E'\n\n' || $4 END,
			error = $5, updated_at = now()
		FROM tasks t
		WHERE t.id = $1 AND i.idempotency_key = 'call:' || t.idempotency_key`,
		taskID, status, at, note, "outcome: "+outcome)
	if err != nil {
		return false, fmt.Errorf("record call of task %s: %w", taskID, err)
	}
	return tag.RowsAffected() == 1, nil
}
