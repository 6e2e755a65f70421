//go:build integration

package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// seedWorklist fills a fresh database with 100 debtors in 4 portfolios,
// 10,000 invoices with cases, a broken promise on every seventh invoice
// and n open tasks due in the past, one INSERT ... SELECT each.
func seedWorklist(tb testing.TB, st *store.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO collectors (id, name) SELECT 'col_' || g, 'Collector ' || g FROM generate_series(1, 4) g`,
		`INSERT INTO debtors (id, name, collector_id) SELECT 'deb_' || g, 'Debtor ' || g,
			CASE WHEN g % 5 = 0 THEN NULL ELSE 'col_' || (g % 4 + 1) END FROM generate_series(1, 100) g`,
		`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			SELECT 'inv_' || g, 'deb_' || (g % 100 + 1), 'N-' || g, date '2026-01-01', date '2026-01-01' + g % 60, 'EUR',
				100000 + g * 37 % 500000, 100000 + g * 37 % 500000 FROM generate_series(1, 10000) g`,
		`INSERT INTO cases (invoice_id, workflow_id, debtor_id, status, balance_cents)
			SELECT id, 'invoice:' || id, debtor_id, 'active', balance_cents FROM invoices`,
		`INSERT INTO promises (id, invoice_id, amount_cents, currency, promised_date, status)
			SELECT 'pr_' || g, 'inv_' || g, 1000, 'EUR', date '2026-02-01', 'broken' FROM generate_series(7, 10000, 7) g`,
		`INSERT INTO tasks (id, idempotency_key, invoice_id, debtor_id, collector_id, due_at, deadline_at)
			SELECT 'task_' || g, 'key_' || g, i.id, i.debtor_id, CASE WHEN g % 3 = 0 THEN NULL ELSE 'col_' || (g % 4 + 1) END,
				timestamptz '2026-03-01 09:00+01' + g * interval '1 second', timestamptz '2026-04-01 09:00+01'
			FROM generate_series(1, $1) g JOIN invoices i ON i.id = 'inv_' || (g % 10000 + 1)`,
		`ANALYZE`,
	} {
		var args []any
		if strings.HasPrefix(sql, "INSERT INTO tasks") {
			args = append(args, n)
		}
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			tb.Fatalf("seed: %v\n%s", err, sql)
		}
	}
}

// BenchmarkWorklist reads the first page of the worklist (50 tasks) over
// 100,000 open tasks, for everyone and for one collector's portfolio.
func BenchmarkWorklist(b *testing.B) {
	st := testenv.Postgres(b)
	seedWorklist(b, st, 100000)
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	today := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	// The first read of the date reprices every open task; the benchmark
	// measures the reads of the rest of the day.
	if _, err := store.Worklist(ctx, st.Pool, store.WorklistFilter{Now: now, Today: today, Limit: 1}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, collector string }{{"all", ""}, {"collector", "col_2"}} {
		b.Run(bc.name, func(b *testing.B) {
			f := store.WorklistFilter{Now: now, Today: today, CollectorID: bc.collector, ClaimedBy: bc.collector, Limit: 50}
			for b.Loop() {
				items, err := store.Worklist(ctx, st.Pool, f)
				if err != nil {
					b.Fatal(err)
				}
				if len(items) != 50 {
					b.Fatalf("got %d items, want 50", len(items))
				}
			}
		})
	}
}
