//go:build integration

package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// TestIntegrationWorklistStoredScore checks that the stored score follows
// a broken promise and a balance change written by RecordCase, and that a
// new date reprices the tasks: days overdue weigh more on an old invoice.
func TestIntegrationWorklistStoredScore(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	exec(`INSERT INTO collectors (id, name) VALUES ('col_1', 'Col')`)
	exec(`INSERT INTO debtors (id, name, collector_id) VALUES ('deb_1', 'Debtor', 'col_1')`)
	// OLD: 900 € due 1 January; NEW: 1,000 € due 9 March.
	exec(`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents) VALUES
		('inv_old', 'deb_1', 'OLD', '2026-01-01', '2026-01-01', 'EUR', 90000, 90000),
		('inv_new', 'deb_1', 'NEW', '2026-03-01', '2026-03-09', 'EUR', 100000, 100000)`)
	exec(`INSERT INTO tasks (id, idempotency_key, invoice_id, debtor_id, due_at, deadline_at) VALUES
		('t_old', 'k_old', 'inv_old', 'deb_1', '2026-03-01 09:00+01', '2026-04-01 09:00+01'),
		('t_new', 'k_new', 'inv_new', 'deb_1', '2026-03-01 09:00+01', '2026-04-01 09:00+01')`)

	now := time.Date(2027, 1, 2, 10, 0, 0, 0, time.UTC)
	read := func(day time.Time) []store.WorkItem {
		t.Helper()
		items, err := store.Worklist(ctx, st.Pool, store.WorklistFilter{Now: now, Today: day, CollectorID: "col_1", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		// The stored score is the one computed live for the task.
		for _, w := range items {
			live, err := store.GetWorkItem(ctx, st.Pool, w.TaskID, day)
			if err != nil {
				t.Fatal(err)
			}
			if live.Score != w.Score {
				t.Errorf("%s on %s: stored score %d, live %d", w.TaskID, day.Format(time.DateOnly), w.Score, live.Score)
			}
		}
		return items
	}
	order := func(items []store.WorkItem) []string {
		var ids []string
		for _, w := range items {
			ids = append(ids, w.TaskID)
		}
		return ids
	}
	scores := func(items []store.WorkItem) map[string]int64 {
		m := map[string]int64{}
		for _, w := range items {
			m[w.TaskID] = w.Score
		}
		return m
	}

	// 10 March: OLD is 68 days overdue, 900*(98)/30 = 2940; NEW 1 day, 1000*31/30 = 1033.
	march10 := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	items := read(march10)
	if got := scores(items); got["t_old"] != 2940 || got["t_new"] != 1033 {
		t.Fatalf("scores on 10 March = %v, want t_old 2940, t_new 1033", got)
	}

	// A broken promise on NEW doubles its score: 2066, still after OLD.
	exec(`INSERT INTO promises (id, invoice_id, amount_cents, currency, promised_date) VALUES ('pr_1', 'inv_new', 5000, 'EUR', '2026-03-09')`)
	rec := domain.CaseRecord{InvoiceID: "inv_new", DebtorID: "deb_1", Status: domain.StatusActive, BalanceCents: 100000, Currency: "EUR",
		Commitments: []domain.CommitmentStatus{{PromiseID: "pr_1", Status: domain.CommitmentBroken}}}
	if err := store.RecordCase(ctx, st, "invoice:inv_new", rec); err != nil {
		t.Fatal(err)
	}
	items = read(march10)
	if got := scores(items); got["t_new"] != 2066 {
		t.Fatalf("score of t_new after a broken promise = %d, want 2066", got["t_new"])
	}
	if got := order(items); !slices.Equal(got, []string{"t_old", "t_new"}) {
		t.Fatalf("order after the broken promise = %v, want [t_old t_new]", got)
	}

	// The case's balance grows to 1,500 €: 1500*31/30*2 = 3100, NEW first.
	rec.BalanceCents, rec.Commitments = 150000, nil
	if err := store.RecordCase(ctx, st, "invoice:inv_new", rec); err != nil {
		t.Fatal(err)
	}
	items = read(march10)
	if got := scores(items); got["t_new"] != 3100 {
		t.Fatalf("score of t_new after the balance change = %d, want 3100", got["t_new"])
	}
	if got := order(items); !slices.Equal(got, []string{"t_new", "t_old"}) {
		t.Fatalf("order after the balance change = %v, want [t_new t_old]", got)
	}

	// The promise is cancelled: 1500*31/30 = 1550, OLD first again.
	rec.Commitments = []domain.CommitmentStatus{{PromiseID: "pr_1", Status: domain.CommitmentCancelled}}
	if err := store.RecordCase(ctx, st, "invoice:inv_new", rec); err != nil {
		t.Fatal(err)
	}
	if got := order(read(march10)); !slices.Equal(got, []string{"t_old", "t_new"}) {
		t.Fatalf("order after the cancelled promise = %v, want [t_old t_new]", got)
	}

	// 30 June, nothing else written: NEW is 113 days overdue, 1500*143/30 =
	// 7150; OLD 180 days, 900*210/30 = 6300. The larger debt overtakes.
	june30 := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	items = read(june30)
	if got := scores(items); got["t_new"] != 7150 || got["t_old"] != 6300 {
		t.Fatalf("scores on 30 June = %v, want t_new 7150, t_old 6300", got)
	}
	if got := order(items); !slices.Equal(got, []string{"t_new", "t_old"}) {
		t.Fatalf("order on 30 June = %v, want [t_new t_old]", got)
	}
	var day time.Time
	if err := st.Pool.QueryRow(ctx, `SELECT priority_date FROM tasks WHERE id = 't_old'`).Scan(&day); err != nil {
		t.Fatal(err)
	}
	if !day.Equal(june30) {
		t.Fatalf("priority_date = %s, want 2026-06-30", day.Format(time.DateOnly))
	}
}
