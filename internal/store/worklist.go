package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// WorkItem is a task as a collector sees it in the worklist: what to do,
// for whom, how much is at stake and why it ranks where it does.
type WorkItem struct {
	TaskID          string          `json:"task_id"`
	Kind            string          `json:"kind"`
	Status          string          `json:"status"`
	InvoiceID       string          `json:"invoice_id"`
	InvoiceNumber   string          `json:"invoice_number"`
	DebtorID        string          `json:"debtor_id"`
	DebtorName      string          `json:"debtor_name"`
	DebtorPortfolio string          `json:"-"`
	CollectorID     string          `json:"collector_id,omitempty"`
	ClaimedBy       string          `json:"claimed_by,omitempty"`
	DueAt           time.Time       `json:"due_at"`
	DeadlineAt      time.Time       `json:"deadline_at"`
	BalanceCents    int64           `json:"balance_cents"`
	Currency        string          `json:"currency"`
	DaysOverdue     int             `json:"days_overdue"`
	BrokenPromises  int             `json:"broken_promises"`
	Score           int64           `json:"priority_score"`
	Script          json.RawMessage `json:"script"`
	Outcome         string          `json:"outcome,omitempty"`
	Note            string          `json:"note,omitempty"`
	CallbackAt      *time.Time      `json:"callback_at,omitempty"`
	CompletedAt     *time.Time      `json:"completed_at,omitempty"`
}

// workSelect reads WorkItem, the score computed live (for one task or one
// debtor's; the worklist ranks by the stored score); $1 is today's date. The priority score is
// the balance in major units, raised by a thirtieth per day overdue and
// multiplied by one plus the broken promises: a large, old debt whose
// debtor already broke their word comes first.
const workSelect = `WITH w AS (
	SELECT t.id, t.kind, t.status, t.invoice_id, i.number, t.debtor_id, d.name, coalesce(d.collector_id, '') AS portfolio,
		coalesce(t.collector_id, '') AS collector, coalesce(t.claimed_by, '') AS claimed, t.due_at, t.deadline_at,
		coalesce(c.balance_cents, i.balance_cents) AS balance, i.currency, greatest(0, $1::date - i.due_date) AS days,
		(SELECT count(*) FROM promises p WHERE p.invoice_id = t.invoice_id AND p.status = 'broken')::int AS broken,
		t.script, coalesce(t.outcome, '') AS outcome, t.note, t.callback_at, t.completed_at,
		t.collector_id AS task_collector, d.collector_id AS debtor_collector
	FROM tasks t JOIN invoices i ON i.id = t.invoice_id JOIN debtors d ON d.id = t.debtor_id
	LEFT JOIN cases c ON c.invoice_id = t.invoice_id)
	SELECT id, kind, status, invoice_id, number, debtor_id, name, portfolio, collector, claimed, due_at, deadline_at,
		balance, currency, days, broken, ((balance / 100) * (30 + days) * (1 + broken)) / 30 AS score,
		script, outcome, note, callback_at, completed_at
	FROM w`

// scanWorkItem reads a row of workSelect or pageSelect; more receives the
// columns after completed_at.
func scanWorkItem(row pgx.Row, more ...any) (WorkItem, error) {
	var w WorkItem
	var script []byte
	err := row.Scan(append([]any{&w.TaskID, &w.Kind, &w.Status, &w.InvoiceID, &w.InvoiceNumber, &w.DebtorID, &w.DebtorName,
		&w.DebtorPortfolio, &w.CollectorID, &w.ClaimedBy, &w.DueAt, &w.DeadlineAt, &w.BalanceCents, &w.Currency,
		&w.DaysOverdue, &w.BrokenPromises, &w.Score, &script, &w.Outcome, &w.Note, &w.CallbackAt, &w.CompletedAt}, more...)...)
	w.Script = script
	return w, err
}

// WorklistFilter selects the tasks due now.
type WorklistFilter struct {
	Now time.Time
	// Today is the Paris date days overdue count from.
	Today time.Time
	// CollectorID limits the list to one collector's tasks (their own, or
	// unassigned ones of their debtors); "" lists everyone's.
	CollectorID string
	// ClaimedBy hides tasks claimed by someone else ("" hides none).
	ClaimedBy string
	Limit     int
}

// liveTasks is the page of live tasks due by $2, best stored score first,
// at most $4, hiding tasks claimed by someone other than $3 (when set). Each
// branch walks one of the partial indexes of migration 00003 and stops
// after $4 rows instead of ranking every open task.
const (
	liveDue   = `t.status IN ('open', 'claimed') AND t.due_at <= $2 AND ($3 = '' OR t.status = 'open' OR t.claimed_by = $3)`
	pageOrder = ` ORDER BY t.score DESC, t.due_at, t.id LIMIT $4`
	allTasks  = `SELECT t.* FROM tasks t WHERE ` + liveDue + pageOrder
	// A collector's page: their own tasks, and the unassigned tasks of the
	// debtors in their portfolio.
	portfolioTasks = `(SELECT t.* FROM tasks t WHERE t.collector_id = $5 AND ` + liveDue + pageOrder + `)
		UNION ALL
		(SELECT t.* FROM debtors pd JOIN tasks t ON t.debtor_id = pd.id AND t.collector_id IS NULL
		WHERE pd.collector_id = $5 AND ` + liveDue + pageOrder + `)`
)

// pageSelect reads WorkItem over a page of tasks; $1 is today's date. The
// score is the stored one, the days overdue and broken promises are
// counted for the page's rows only. The last column says whether the
// stored scores count from an older date than $1.
func pageSelect(tasks string) string {
	return `SELECT t.id, t.kind, t.status, t.invoice_id, i.number, t.debtor_id, d.name, coalesce(d.collector_id, ''),
		coalesce(t.collector_id, ''), coalesce(t.claimed_by, ''), t.due_at, t.deadline_at,
		coalesce(c.balance_cents, i.balance_cents), i.currency, greatest(0, $1::date - i.due_date),
		(SELECT count(*) FROM promises p WHERE p.invoice_id = t.invoice_id AND p.status = 'broken')::int, t.score,
		t.script, coalesce(t.outcome, ''), t.note, t.callback_at, t.completed_at,
		(SELECT day FROM task_priority_day) < $1::date
	FROM (` + tasks + `) t JOIN invoices i ON i.id = t.invoice_id JOIN debtors d ON d.id = t.debtor_id
	LEFT JOIN cases c ON c.invoice_id = t.invoice_id
	ORDER BY t.score DESC, t.due_at, t.id LIMIT $4`
}

// Worklist returns open or claimed tasks due by f.Now, highest priority
// first. The first read of a new date reprices the live tasks for it
// (RepriceTasks) and reads again.
func Worklist(ctx context.Context, q Pipeliner, f WorklistFilter) ([]WorkItem, error) {
	items, stale, err := worklistPage(ctx, q, f)
	if err != nil || !stale {
		return items, err
	}
	repriced, err := RepriceTasks(ctx, q, f.Today)
	if err != nil || !repriced {
		// Another reader is repricing: until it commits, yesterday's
		// ranking is served rather than waiting for it.
		return items, err
	}
	items, _, err = worklistPage(ctx, q, f)
	return items, err
}

// Pipeliner is a Querier that also sends several statements in one round
// trip: a pool, a connection or a transaction.
type Pipeliner interface {
	Querier
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

func worklistPage(ctx context.Context, q Pipeliner, f WorklistFilter) ([]WorkItem, bool, error) {
	sql, args := pageSelect(allTasks), []any{f.Today.Format(time.DateOnly), f.Now, f.ClaimedBy, f.Limit}
	if f.CollectorID != "" {
		sql, args = pageSelect(portfolioTasks), append(args, f.CollectorID)
	}
	// Postgres's automatic plan choice keeps re-planning this read for its
	// parameters (0.7 ms, as long as running it), though its plan — walking
	// the partial indexes in score order — is the same for all of them. A
	// generic plan, set for this read only (SET LOCAL in the same pipeline,
	// one implicit transaction), halves its cost (BenchmarkWorklist).
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
	b.Queue(sql, args...)
	br := q.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, false, fmt.Errorf("worklist: generic plan: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, false, fmt.Errorf("worklist: %w", err)
	}
	var stale bool
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WorkItem, error) {
		return scanWorkItem(r, &stale)
	})
	if err != nil {
		return nil, false, fmt.Errorf("worklist: %w", err)
	}
	return out, stale, nil
}

// RepriceTasks recomputes the stored score of every live task for the
// date today, unless they already count from it. One statement, guarded
// by a transaction-scoped advisory lock taken without waiting: of
// concurrent callers one reprices (true), the others return false at once.
// Between two dates the triggers of migration 00003 keep the scores current.
func RepriceTasks(ctx context.Context, q Querier, today time.Time) (bool, error) {
	tag, err := q.Exec(ctx, `
		WITH day AS (
			UPDATE task_priority_day SET day = $1
			WHERE day < $1 AND pg_try_advisory_xact_lock(hashtext('relance.task_priority_day'))
			RETURNING day),
		broken AS (SELECT invoice_id, count(*) AS n FROM promises WHERE status = 'broken' GROUP BY invoice_id)
		UPDATE tasks t SET score = task_priority(coalesce(c.balance_cents, i.balance_cents), i.due_date,
				coalesce(b.n, 0), day.day), priority_date = day.day
		FROM day, invoices i LEFT JOIN cases c ON c.invoice_id = i.id LEFT JOIN broken b ON b.invoice_id = i.id
		WHERE i.id = t.invoice_id AND t.status IN ('open', 'claimed')`, today.Format(time.DateOnly))
	if err != nil {
		return false, fmt.Errorf("reprice tasks for %s: %w", today.Format(time.DateOnly), err)
	}
	return tag.RowsAffected() > 0, nil
}

// GetWorkItem loads one task; ErrNotFound when there is none.
func GetWorkItem(ctx context.Context, q Querier, taskID string, today time.Time) (WorkItem, error) {
	w, err := scanWorkItem(q.QueryRow(ctx, workSelect+` WHERE id = $2`, today.Format("2006-01-02"), taskID))
	if errors.Is(err, pgx.ErrNoRows) {
		return WorkItem{}, fmt.Errorf("task %s: %w", taskID, ErrNotFound)
	}
	if err != nil {
		return WorkItem{}, fmt.Errorf("load task %s: %w", taskID, err)
	}
	return w, nil
}

// TasksOfDebtor returns every task of a debtor, newest first.
func TasksOfDebtor(ctx context.Context, q Querier, debtorID string, today time.Time) ([]WorkItem, error) {
	rows, err := q.Query(ctx, workSelect+` WHERE debtor_id = $2 ORDER BY due_at DESC, id`, today.Format("2006-01-02"), debtorID)
	if err != nil {
		return nil, fmt.Errorf("tasks of %s: %w", debtorID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WorkItem, error) { return scanWorkItem(r) })
	if err != nil {
		return nil, fmt.Errorf("tasks of %s: %w", debtorID, err)
	}
	return out, nil
}

// ErrTaskTaken is returned when a task is claimed by someone else or no
// longer open.
var ErrTaskTaken = errors.New("task is claimed by someone else or closed")

// ClaimTask marks an open task as being worked by who; claiming one's own
// claim again is a no-op.
func ClaimTask(ctx context.Context, q Querier, taskID, who string) error {
	tag, err := q.Exec(ctx, `UPDATE tasks SET status = 'claimed', claimed_by = $2
		WHERE id = $1 AND (status = 'open' OR (status = 'claimed' AND claimed_by = $2))`, taskID, who)
	if err != nil {
		return fmt.Errorf("claim task %s: %w", taskID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("claim task %s: %w", taskID, ErrTaskTaken)
	}
	return nil
}

// RescheduleTask moves a live task's due time.
func RescheduleTask(ctx context.Context, q Querier, taskID string, dueAt time.Time) error {
	tag, err := q.Exec(ctx, `UPDATE tasks SET due_at = $2 WHERE id = $1 AND status IN ('open', 'claimed')`, taskID, dueAt)
	if err != nil {
		return fmt.Errorf("reschedule task %s: %w", taskID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("reschedule task %s: %w", taskID, ErrTaskTaken)
	}
	return nil
}

// TaskResult is how a collector completed a task.
type TaskResult struct {
	Outcome    string
	Note       string
	CallbackAt *time.Time
	By         string
}

// CompleteTaskRow records a task's outcome once the case has accepted it.
// The case may already have closed the task; the outcome is written anyway.
func CompleteTaskRow(ctx context.Context, q Querier, taskID string, r TaskResult) error {
	_, err := q.Exec(ctx, `UPDATE tasks SET status = 'done', outcome = $2, note = $3, callback_at = $4,
		claimed_by = coalesce(claimed_by, $5), completed_at = coalesce(completed_at, now()) WHERE id = $1`,
		taskID, r.Outcome, r.Note, r.CallbackAt, r.By)
	if err != nil {
		return fmt.Errorf("complete task %s: %w", taskID, err)
	}
	return nil
}

// ReassignOpenTasks hands a case's live tasks to another collector.
func ReassignOpenTasks(ctx context.Context, q Querier, invoiceID, collectorID string) error {
	_, err := q.Exec(ctx, `UPDATE tasks SET collector_id = $2, status = 'open', claimed_by = NULL
		WHERE invoice_id = $1 AND status IN ('open', 'claimed')`, invoiceID, collectorID)
	if err != nil {
		return fmt.Errorf("reassign tasks of %s: %w", invoiceID, err)
	}
	return nil
}
