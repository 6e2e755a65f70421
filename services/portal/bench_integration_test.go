//go:build integration

package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// BenchmarkPortalHome10k measures the home page of a debtor with 10,000
// open invoices (each with a letter sent), through HTTP on real Postgres,
// beside the landing page of the same server (no query) as the baseline:
//
//	RELANCE_TEST_DATABASE_URL=… go test -tags integration -run '^$' -bench PortalHome ./services/portal/
//
// It reports p50 and p99 of both and the p99 ratio; the target is a p99
// under 100 ms.
func BenchmarkPortalHome10k(b *testing.B) {
	ctx := context.Background()
	st := testenv.Postgres(b)
	_, err := st.Pool.Exec(ctx, `
		INSERT INTO debtors (id, name) VALUES ('d-big', 'Grand Compte SA');
		INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			SELECT 'inv-' || g, 'd-big', 'F-' || lpad(g::text, 6, '0'), date '2026-01-01' + (g % 300), date '2026-02-01' + (g % 300), 'EUR', 10000 + g, 10000 + g
			FROM generate_series(1, 10000) g;
		INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, status, template, sent_at)
			SELECT 'i-' || g, 'k-' || g, 'inv-' || g, 'd-big', 'letter', 'sent', 'reminder_letter', now() FROM generate_series(1, 10000) g;
		ANALYZE invoices; ANALYZE interactions`)
	if err != nil {
		b.Fatal(err)
	}
	p := &Portal{Store: st, Logger: slog.New(slog.DiscardHandler), Settings: Settings{CreditorName: "Relance", MaxAttachment: 1 << 20}}
	if err := p.Init(); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(p.Router())
	defer srv.Close()
	_, secret, err := store.IssuePortalLink(ctx, st.Pool, "d-big", "bench", time.Hour, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	measure := func(url string, n int) []time.Duration {
		out := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			res, err := http.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("%s: %d", url, res.StatusCode)
			}
			out = append(out, time.Since(start))
		}
		slices.Sort(out)
		return out
	}
	pct := func(d []time.Duration, q float64) float64 {
		return float64(d[min(len(d)-1, int(q*float64(len(d))))].Microseconds()) / 1000
	}
	measure(srv.URL+"/p/"+secret, 20) // warm the pool and the plans
	b.ResetTimer()
	n := max(b.N, 200)
	home := measure(srv.URL+"/p/"+secret, n)
	base := measure(srv.URL+"/", n)
	b.StopTimer()
	b.ReportMetric(pct(home, 0.5), "home-p50-ms")
	b.ReportMetric(pct(home, 0.99), "home-p99-ms")
	b.ReportMetric(pct(base, 0.5), "baseline-p50-ms")
	b.ReportMetric(pct(base, 0.99), "baseline-p99-ms")
	b.ReportMetric(pct(home, 0.99)/pct(base, 0.99), "p99-ratio")
}
