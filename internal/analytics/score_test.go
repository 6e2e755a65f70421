package analytics

import "testing"

// A debtor on 10 March 2026, in EUR, worked by hand:
//
//	S1 EUR 300  due 2025-12-31  paid 100 on 01-05, 200 on 01-20  20 days late, in two payments
//	S2 EUR 200  due 2026-01-31  paid 200 on 01-31                 on time
//	S3 EUR 600  due 2026-02-28  open, disputed on 03-01            10 days late today
//	S4 EUR 500  due 2026-03-31  open                               not due
//	S5 USD 1000 due 2026-03-31  open                               another currency
//	promises: one kept, one broken (and one from 2024, outside the window)
func scoreInput(limit *int64) ScoreInput {
	return ScoreInput{
		DebtorID: "d1", Currency: "EUR", CreditLimitCents: limit, Today: d("2026-03-10"), BlockBelow: DefaultBlockBelow,
		Facts: Facts{
			Invoices: []Invoice{
				{ID: "S1", Currency: "EUR", AmountCents: 30000, Issued: d("2025-12-01"), Due: d("2025-12-31"),
					Movements: []Movement{pay("2026-01-05", 10000), pay("2026-01-20", 20000)}},
				{ID: "S2", Currency: "EUR", AmountCents: 20000, Issued: d("2026-01-01"), Due: d("2026-01-31"),
					Movements: []Movement{pay("2026-01-31", 20000)}},
				{ID: "S3", Currency: "EUR", AmountCents: 60000, Issued: d("2026-02-01"), Due: d("2026-02-28")},
				{ID: "S4", Currency: "EUR", AmountCents: 50000, Issued: d("2026-03-01"), Due: d("2026-03-31")},
				{ID: "S5", Currency: "USD", AmountCents: 100000, Issued: d("2026-03-01"), Due: d("2026-03-31")},
			},
			Promises: []Promise{{Currency: "EUR", Status: "kept", Resolved: d("2026-01-04")},
				{Currency: "EUR", Status: "broken", Resolved: d("2026-02-10")},
				{Currency: "EUR", Status: "broken", Resolved: d("2024-06-01")}},
			Disputes: []Dispute{{InvoiceID: "S3", Currency: "EUR", Opened: ts("2026-03-01T10:00:00Z"), OpenedOn: d("2026-03-01")}},
		},
	}
}

func TestScoreWorkedExample(t *testing.T) {
	limit := int64(100000)
	s := ComputeScore(scoreInput(&limit))
	// days_late: (20 + 0 + 10) / 3 = 10 → 40 × (1 − 10/60) = 33.33
	// promises: 1 kept of 2 → 20 × 0.5 = 10
	// disputes: 1 of 5 invoices → 10 × (1 − 0.4) = 6
	// partial_payments: 1 of 2 paid → 10 × 0.5 = 5
	// exposure: 1,100 open on a 1,000 limit → 0
	want := map[string][2]float64{"days_late": {10, 33.33}, "promises": {0.5, 10}, "disputes": {0.2, 6},
		"partial_payments": {0.5, 5}, "exposure": {1.1, 0}}
	checkFactors(t, s, want)
	if s.Score != 54 || !s.Blocked || len(s.Reasons) != 1 || s.Reasons[0] != "over_credit_limit" {
		t.Errorf("score %d blocked %v %v, want 54, blocked over the credit limit", s.Score, s.Blocked, s.Reasons)
	}
	if e := s.Exposure; e.OpenCents != 110000 || e.OverdueCents != 60000 || !e.OverLimit || e.OtherCurrencies["USD"] != 100000 {
		t.Errorf("exposure = %+v", e)
	}

	// Without a credit limit, exposure is the share not overdue: 20 × 500/1,100 = 9.09.
	s = ComputeScore(scoreInput(nil))
	want["exposure"] = [2]float64{0.5455, 9.09}
	checkFactors(t, s, want)
	if s.Score != 63 || s.Blocked {
		t.Errorf("score %d blocked %v %v, want 63, not blocked", s.Score, s.Blocked, s.Reasons)
	}
	in := scoreInput(nil)
	in.BlockBelow = 70
	if s = ComputeScore(in); !s.Blocked || s.Reasons[0] != "score_below_threshold" {
		t.Errorf("score 63 under a threshold of 70: blocked %v %v", s.Blocked, s.Reasons)
	}
	// Exactly at the limit is not over it.
	limit = 110000
	if s = ComputeScore(scoreInput(&limit)); s.Exposure.OverLimit || s.Blocked {
		t.Errorf("at the limit: %+v", s.Exposure)
	}

	// No history at all: 100, not blocked.
	if s = ComputeScore(ScoreInput{DebtorID: "new", Currency: "EUR", Today: d("2026-03-10"), BlockBelow: DefaultBlockBelow}); s.Score != 100 || s.Blocked {
		t.Errorf("no history: %+v", s)
	}
}

func checkFactors(t *testing.T, s Score, want map[string][2]float64) {
	t.Helper()
	total := 0
	for _, f := range s.Factors {
		total += f.Weight
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("unexpected factor %s", f.Name)
			continue
		}
		if f.Measure != w[0] || f.Points != w[1] {
			t.Errorf("%s: measure %v points %v, want %v and %v", f.Name, f.Measure, f.Points, w[0], w[1])
		}
	}
	if total != 100 || len(s.Factors) != len(want) {
		t.Errorf("weights sum to %d over %d factors, want 100 over %d", total, len(s.Factors), len(want))
	}
}
