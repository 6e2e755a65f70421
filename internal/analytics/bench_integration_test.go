//go:build integration

package analytics

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/relance/relance/internal/testenv"
)

// BenchmarkIntegrationReports times the KPI and effectiveness reports over
// RELANCE_BENCH_INVOICES invoices (100,000 by default) with five timeline
// entries (interactions) each, against a plain count(*) over the same
// tables in the same run:
//
//	RELANCE_TEST_DATABASE_URL=… go test -tags integration -run '^$' -bench IntegrationReports ./internal/analytics/
func BenchmarkIntegrationReports(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("RELANCE_BENCH_INVOICES")); err == nil && v > 0 {
		n = v
	}
	st := testenv.Postgres(b)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO collectors (id, name) VALUES ('c1', 'One')`,
		`INSERT INTO debtors (id, name, segment, collector_id) SELECT 'd' || g, 'D', CASE WHEN g % 2 = 0 THEN 'smb' ELSE 'key' END, 'c1'
			FROM generate_series(1, 1000) g`,
		`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents, status)
			SELECT 'i' || g, 'd' || (g % 1000 + 1), 'N' || g, date '2026-01-01' - (g % 400), date '2026-01-31' - (g % 400),
			       CASE WHEN g % 10 = 0 THEN 'USD' ELSE 'EUR' END, 10000 + g % 5000,
			       CASE WHEN g % 2 = 0 THEN 0 ELSE 10000 + g % 5000 END, CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'open' END
			FROM generate_series(1, $1) g`,
		`INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at)
			SELECT 'p' || g, 'd' || (g % 1000 + 1), 'bank', 10000 + g % 5000, CASE WHEN g % 10 = 0 THEN 'USD' ELSE 'EUR' END,
			       timestamptz '2026-02-15 10:00+01' - (g % 400) * interval '1 day'
			FROM generate_series(2, $1, 2) g`,
		`INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) SELECT 'p' || g, 'i' || g, 10000 + g % 5000
			FROM generate_series(2, $1, 2) g`,
		`INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, rung, template, status, sent_at)
			SELECT 'x' || g || '-' || k, 'x' || g || '-' || k, 'i' || g, 'd' || (g % 1000 + 1),
			       (ARRAY['email', 'sms', 'letter', 'registered_letter', 'call'])[k], 'rung-' || k, 'tpl-' || k, 'sent',
			       timestamptz '2026-01-31 10:00+01' - (g % 400) * interval '1 day' + k * interval '4 days'
			FROM generate_series(1, $1) g, generate_series(1, 5) k`,
		`ANALYZE`,
	} {
		var args []any
		if containsParam(sql) {
			args = append(args, n)
		}
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	q := Query{Period: Period{From: d("2026-01-01"), To: d("2026-03-31")}}
	now := time.Date(2026, 4, 30, 12, 0, 0, 0, time.UTC)
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			var x, y int
			if err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM interactions)`).Scan(&x, &y); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kpis", func(b *testing.B) {
		for b.Loop() {
			if _, err := KPIReport(ctx, st.Pool, q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("effectiveness", func(b *testing.B) {
		for b.Loop() {
			if _, err := EffectivenessReport(ctx, st.Pool, q, now, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func containsParam(sql string) bool {
	for i := 0; i+1 < len(sql); i++ {
		if sql[i] == '$' && sql[i+1] == '1' {
			return true
		}
	}
	return false
}
