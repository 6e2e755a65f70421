//go:build integration

package main

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/relance/relance/internal/analytics"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/outhook"
	"github.com/relance/relance/internal/store"
)

// TestIntegrationKPIReport reads the KPI report through the API: an
// invoice at the agency stays owed, each currency apart, the converted
// block, CSV, roles, and every kind of bad input answered 422 naming the
// parameter. (The figures themselves are checked against a worked example
// in internal/analytics.)
func TestIntegrationKPIReport(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	// testNow is 10 March 2026: the default period is 10 December – 10 March.
	a := hs.importInvoice(invoice("F-A1", "d-alice", "2026-02-01", 1000_00))
	usd := invoice("F-B1", "d-bob", "2026-02-01", 500_00)
	usd["currency"] = "USD"
	hs.importInvoice(usd)
	if _, err := hs.st.Pool.Exec(context.Background(), `UPDATE invoices SET status = 'agency' WHERE id = $1`, a.InvoiceID); err != nil {
		t.Fatal(err)
	}

	var r analytics.Report
	hs.expect(hs.do("manager", "GET", "/v1/reports/kpis?from=2026-01-01&to=2026-03-10&convert_to=EUR&rates=USD:0.9", nil), http.StatusOK).json(t, &r)
	if len(r.Currencies) != 2 || r.Currencies[0].Currency != "EUR" || r.Currencies[1].Currency != "USD" {
		t.Fatalf("currencies = %+v, want EUR and USD apart", r.Currencies)
	}
	eur, us := r.Currencies[0], r.Currencies[1]
	if eur.ReceivablesCents != 1000_00 || eur.AgencyReceivablesCents != 1000_00 || eur.Aging[2].BalanceCents != 1000_00 {
		t.Errorf("EUR = %+v: the invoice at the agency must stay owed (37 days late: 31-60)", eur)
	}
	if us.ReceivablesCents != 500_00 || r.Converted == nil || r.Converted.ReceivablesCents != 1450_00 || r.Rates[0].Rate != "0.9" {
		t.Errorf("USD %d, converted %+v, rates %+v: want 50000 and 1000 + 450 EUR at 0.9", us.ReceivablesCents, r.Converted, r.Rates)
	}

	// Filters: Alice's portfolio holds the EUR invoice only.
	hs.expect(hs.do("manager", "GET", "/v1/reports/kpis?collector=c-alice&to=2026-03-10", nil), http.StatusOK).json(t, &r)
	if len(r.Currencies) != 1 || r.Currencies[0].Currency != "EUR" || r.Filter.Collector != "c-alice" {
		t.Errorf("alice's report = %+v", r)
	}

	w := hs.expect(hs.do("manager", "GET", "/v1/reports/kpis?from=2026-01-01&to=2026-03-10&format=csv", nil), http.StatusOK)
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q, want text/csv", ct)
	}
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range rows[1:] {
		if row[3] == "EUR" && row[4] == "receivables_cents" {
			found = row[5] == "100000" && row[0] == "2026-01-01" && row[2] == "currency"
		}
	}
	if strings.Join(rows[0], ",") != "from,to,scope,currency,metric,value" || !found {
		t.Errorf("CSV = %v", rows[:min(4, len(rows))])
	}

	hs.expect(hs.do("alice", "GET", "/v1/reports/kpis", nil), http.StatusForbidden)
	for query, field := range map[string]string{
		"currency=XYZ":                       "currency",
		"from=2026-03-01&to=2026-02-01":      "to",
		"from=yesterday":                     "from",
		"segment=nobody":                     "segment",
		"collector=c-nobody":                 "collector",
		"policy=no-such-policy":              "policy",
		"convert_to=EUR&rates=GBP:1.1":       "rates", // USD is in the report and has no rate
		"convert_to=EUR":                     "rates",
		"format=xml":                         "format",
		"colector=c-alice":                   "colector",
		"from=2026-01-01&from=2026-02-01":    "from",
		"rates=USD:0.9":                      "convert_to",
		"convert_to=EUR&rates=USD:0.9:1":     "rates",
		"currency=EUR&convert_to=usd&rates=": "rates", // EUR needs a rate into USD
	} {
		w := hs.expect(hs.do("manager", "GET", "/v1/reports/kpis?"+query, nil), http.StatusUnprocessableEntity)
		if got := w.problemField(t); got != field {
			t.Errorf("%s: 422 on %q, want %q", query, got, field)
		}
	}
}

func TestIntegrationEffectivenessReport(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	a := hs.importInvoice(invoice("F-A1", "d-alice", "2026-02-01", 1000_00))
	ctx := context.Background()
	// A letter on 1 March, a payment of 400 four days later (testNow is 10 March).
	if _, err := hs.st.Pool.Exec(ctx, `INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, rung, template, status, sent_at)
		VALUES ('it1', 'it1', $1, 'd-alice', 'letter', 'letter-d11', 'letter-fr', 'sent', '2026-03-01T09:00:00Z')`, a.InvoiceID); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.st.Pool.Exec(ctx, `INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at)
		VALUES ('pay1', 'd-alice', 'bank', 40000, 'EUR', '2026-03-05T09:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.st.Pool.Exec(ctx, `INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ('pay1', $1, 40000)`, a.InvoiceID); err != nil {
		t.Fatal(err)
	}
	var r analytics.EffectReport
	hs.expect(hs.do("manager", "GET", "/v1/reports/effectiveness?dimension=rung&from=2026-03-01", nil), http.StatusOK).json(t, &r)
	if len(r.Effects) != 1 || r.Effects[0].Value != "letter-d11" || r.Effects[0].Paid7d != 1 || r.Effects[0].Amount7dCents != 40000 ||
		r.Effects[0].Observed14d != 0 || r.AsOf != "2026-03-10T09:00:00Z" {
		t.Errorf("effectiveness = %+v", r)
	}
	w := hs.expect(hs.do("manager", "GET", "/v1/reports/effectiveness?format=csv&from=2026-03-01", nil), http.StatusOK)
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0][:5], ",") != "from,to,dimension,value,currency" || rows[1][3] != "letter-d11" {
		t.Errorf("CSV = %v", rows)
	}
	for query, field := range map[string]string{"dimension=colour": "dimension", "segment=nobody": "segment", "to=2026-02-30": "to"} {
		if got := hs.expect(hs.do("manager", "GET", "/v1/reports/effectiveness?"+query, nil), http.StatusUnprocessableEntity).problemField(t); got != field {
			t.Errorf("%s: 422 on %q, want %q", query, got, field)
		}
	}
}

func TestIntegrationDebtorScore(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	// Alice's debtor owes 1,000 since 1 February on a 900 limit (testNow: 10 March).
	hs.importInvoice(invoice("F-A1", "d-alice", "2026-02-01", 1000_00))
	if _, err := hs.st.Pool.Exec(context.Background(), `UPDATE debtors SET credit_limit_cents = 90000 WHERE id = 'd-alice'`); err != nil {
		t.Fatal(err)
	}
	var s analytics.Score
	hs.expect(hs.do("alice", "GET", "/v1/debtors/d-alice/score", nil), http.StatusOK).json(t, &s)
	// days_late: 37 days → 40 × (1 − 37/60) = 15.33; promises 20, disputes 10,
	// partial payments 10; exposure over the limit 0: 55.33.
	if s.Score != 55 || !s.Blocked || s.Reasons[0] != "over_credit_limit" || s.Exposure.OpenCents != 1000_00 || len(s.Factors) != 5 {
		t.Errorf("score = %+v", s)
	}
	hs.expect(hs.do("bob", "GET", "/v1/debtors/d-alice/score", nil), http.StatusNotFound)
	hs.expect(hs.do("alice", "GET", "/v1/debtors/nobody/score", nil), http.StatusNotFound)

	var list struct{ Debtors []analytics.Score }
	hs.expect(hs.do("manager", "GET", "/v1/reports/scores?blocked=true", nil), http.StatusOK).json(t, &list)
	if len(list.Debtors) != 1 || list.Debtors[0].DebtorID != "d-alice" {
		t.Errorf("blocked debtors = %+v", list.Debtors)
	}
	w := hs.expect(hs.do("manager", "GET", "/v1/reports/scores?format=csv", nil), http.StatusOK)
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != "d-alice" || rows[1][1] != "55" || rows[1][2] != "true" || rows[2][1] != "100" {
		t.Errorf("CSV = %v", rows)
	}
	hs.expect(hs.do("manager", "GET", "/v1/reports/scores?blocked=maybe", nil), http.StatusUnprocessableEntity)
	hs.expect(hs.do("alice", "GET", "/v1/reports/scores", nil), http.StatusForbidden)
}

func TestIntegrationOutgoingWebhookLog(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	if _, err := hs.st.Pool.Exec(ctx, `INSERT INTO outgoing_webhooks (id, event, payload, status, attempts, next_attempt_at, created_at)
		VALUES ('evt_1', 'debtor.blocked', '{"id":"evt_1"}', 'failed', 1, now(), now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.st.Pool.Exec(ctx, `INSERT INTO outgoing_webhook_attempts (webhook_id, attempt, at, status_code, error, duration_ms)
		VALUES ('evt_1', 1, now(), 500, 'answered 500', 12)`); err != nil {
		t.Fatal(err)
	}
	var list struct{ Items []outhook.Delivery }
	hs.expect(hs.do("manager", "GET", "/v1/outgoing-webhooks?status=failed", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 1 || len(list.Items[0].Log) != 1 || *list.Items[0].Log[0].StatusCode != 500 {
		t.Errorf("log = %+v", list.Items)
	}
	hs.expect(hs.do("manager", "GET", "/v1/outgoing-webhooks?status=delivered", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("delivered = %+v, want none", list.Items)
	}
	if f := hs.expect(hs.do("manager", "GET", "/v1/outgoing-webhooks?status=lost", nil), http.StatusUnprocessableEntity).problemField(t); f != "status" {
		t.Errorf("422 on %q", f)
	}
	hs.expect(hs.do("alice", "GET", "/v1/outgoing-webhooks", nil), http.StatusForbidden)
}

func TestIntegrationForecastReport(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	// testNow is Tuesday 10 March 2026. Alice's debtor owes 1,000 due on 20 March; no
	// history, so expected on its due date (week 2, 03-17..23), like the naive forecast.
	hs.importInvoice(invoice("F-A1", "d-alice", "2026-03-20", 1000_00))
	var r analytics.ForecastReport
	hs.expect(hs.do("manager", "GET", "/v1/reports/forecast", nil), http.StatusOK).json(t, &r)
	if r.Forecast.AsOf != "2026-03-10" || len(r.Forecast.Currencies) != 1 || r.Forecast.Currencies[0].ExpectedCents[1] != 1000_00 ||
		r.Forecast.Currencies[0].NaiveCents[1] != 1000_00 || r.Backtest.AsOf != "2025-12-09" {
		t.Errorf("forecast = %+v", r)
	}
	w := hs.expect(hs.do("manager", "GET", "/v1/reports/forecast?format=csv", nil), http.StatusOK)
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// header + 13 weeks + later for EUR; the backtest has no currency (nothing owed in December).
	if len(rows) != 15 || rows[2][2] != "2" || rows[2][5] != "100000" || rows[14][2] != "later" {
		t.Errorf("CSV = %v", rows)
	}
	for query, field := range map[string]string{"start=2026-04-01": "start", "backtest_from=2026-03-10": "backtest_from",
		"from=2026-01-01": "from", "currency=ABC": "currency", "policy=nope": "policy"} {
		if got := hs.expect(hs.do("manager", "GET", "/v1/reports/forecast?"+query, nil), http.StatusUnprocessableEntity).problemField(t); got != field {
			t.Errorf("%s: 422 on %q, want %q", query, got, field)
		}
	}
}

func TestIntegrationChampionChallengerReport(t *testing.T) {
	hs := newHarness(t)
	if err := store.SeedPolicies(context.Background(), hs.st.Pool, domain.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	var r analytics.ExperimentReport
	hs.expect(hs.do("manager", "GET", "/v1/reports/champion-challenger?policy=standard-b2b", nil), http.StatusOK).json(t, &r)
	if r.Experiment != "standard-b2b" || r.Champion.Cases != 0 || r.RecoveryRate.Difference != nil || r.From != "2025-12-11" {
		t.Errorf("report without cases = %+v", r)
	}
	w := hs.expect(hs.do("manager", "GET", "/v1/reports/champion-challenger?policy=standard-b2b&format=csv", nil), http.StatusOK)
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[1][3] != "champion" || rows[4][3] != "recovery_rate" {
		t.Errorf("CSV = %v", rows)
	}
	for query, field := range map[string]string{"": "policy", "policy=nope": "policy", "policy=standard-b2b&currency=EUR": "currency",
		"policy=standard-b2b&from=2026-03-01&to=2026-01-01": "to"} {
		if got := hs.expect(hs.do("manager", "GET", "/v1/reports/champion-challenger?"+query, nil), http.StatusUnprocessableEntity).problemField(t); got != field {
			t.Errorf("%q: 422 on %q, want %q", query, got, field)
		}
	}
}
