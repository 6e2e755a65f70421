package analytics

import (
	"reflect"
	"testing"
)

// forecastFacts: the forecast starts on Tuesday 10 March 2026 (weeks
// 03-10..16, 03-17..23, 03-24..30, 03-31..04-06, …).
//
// Usual delays learned from invoices paid before the start: dA 10, 14 and
// 6 days late (median 10); dB on time (0); dC has no history and gets the
// median of all four (6, 10 → 8).
//
//	O1 dA EUR 1000 due 03-15               expected 03-25 (w3)  naive w1
//	O2 dB EUR  500 due 03-20               expected 03-20 (w2)  naive w2
//	O3 dC EUR  800 due 02-01               expected 02-09 → now (w1)  naive w1
//	O4 dA EUR  600 due 03-12, promise of 200 for 03-18 (w2), the rest 03-22 (w2)  naive w1
//	O5 dA EUR  300 due 06-30, 100 disputed: 200 expected 07-10 (later)  naive later
//	U1 dB USD 1000 due 04-01               expected 04-01 (w4)  naive w4
//
// Then, to backtest: O3 paid 800 on 03-11, O4 200 on 03-18 and 400 on
// 03-25, O2 500 on 03-21, O1 1000 on 03-27.
func forecastFacts() Facts {
	inv := func(id, debtor, cur string, cents int64, due string, ms ...Movement) Invoice {
		return Invoice{ID: id, DebtorID: debtor, Currency: cur, AmountCents: cents, Issued: d("2025-12-01"), Due: d(due), Movements: ms}
	}
	return Facts{
		Invoices: []Invoice{
			inv("H1", "dA", "EUR", 100, "2026-01-10", pay("2026-01-20", 100)),
			inv("H2", "dA", "EUR", 100, "2026-02-01", pay("2026-02-15", 100)),
			inv("H3", "dA", "EUR", 100, "2026-02-10", pay("2026-02-16", 100)),
			inv("H4", "dB", "EUR", 100, "2026-01-01", pay("2026-01-01", 100)),
			inv("O1", "dA", "EUR", 100000, "2026-03-15", pay("2026-03-27", 100000)),
			inv("O2", "dB", "EUR", 50000, "2026-03-20", pay("2026-03-21", 50000)),
			inv("O3", "dC", "EUR", 80000, "2026-02-01", pay("2026-03-11", 80000)),
			inv("O4", "dA", "EUR", 60000, "2026-03-12", pay("2026-03-18", 20000), pay("2026-03-25", 40000)),
			inv("O5", "dA", "EUR", 30000, "2026-06-30"),
			inv("U1", "dB", "USD", 100000, "2026-04-01"),
		},
		Promises: []Promise{{InvoiceID: "O4", Currency: "EUR", Status: "kept", Made: d("2026-03-05"), Date: d("2026-03-18"),
			AmountCents: 20000, Resolved: d("2026-03-18")}},
		Disputes: []Dispute{{InvoiceID: "O5", AmountCents: 10000, Currency: "EUR", OpenedOn: d("2026-03-01")}},
	}
}

func weeks(first ...int64) []int64 {
	out := make([]int64, ForecastWeeks)
	copy(out, first)
	return out
}

func TestForecastWorkedExample(t *testing.T) {
	fc := ForecastFrom(forecastFacts(), d("2026-03-10"))
	if fc.Weeks[0].From != "2026-03-10" || fc.Weeks[12].To != "2026-06-08" || len(fc.Currencies) != 2 {
		t.Fatalf("forecast = %+v", fc)
	}
	want := []CurrencyForecast{
		{Currency: "EUR", OpenCents: 320000, DisputedCents: 10000,
			ExpectedCents: weeks(80000, 110000, 100000), NaiveCents: weeks(240000, 50000),
			LaterCents: 20000, NaiveLaterCents: 20000},
		{Currency: "USD", OpenCents: 100000, ExpectedCents: weeks(0, 0, 0, 100000), NaiveCents: weeks(0, 0, 0, 100000)},
	}
	if !reflect.DeepEqual(fc.Currencies, want) {
		t.Errorf("forecast\n%+v\nwant\n%+v", fc.Currencies, want)
	}
}

func TestBacktestMAPEAgainstNaive(t *testing.T) {
	bt := BacktestFrom(forecastFacts(), d("2026-03-10"), d("2026-04-10"))
	eur := bt.Currencies[0]
	// Actuals: w1 800, w2 200 + 500, w3 400 + 1000, w4 0 (not scored: no actual);
	// w5 on ends after today.
	if !reflect.DeepEqual(eur.ActualCents, weeks(80000, 70000, 140000)) || eur.WeeksScored != 3 {
		t.Fatalf("actuals %v over %d weeks", eur.ActualCents, eur.WeeksScored)
	}
	// Model: |800−800|/800 = 0, |1100−700|/700 = 0.5714, |1000−1400|/1400 = 0.2857: 28.57 %.
	// Naive: |2400−800|/800 = 2, |500−700|/700 = 0.2857, |0−1400|/1400 = 1: 109.52 %.
	checkFloat(t, "mape", eur.MAPE, f(28.57))
	checkFloat(t, "naive mape", eur.NaiveMAPE, f(109.52))
	if usd := bt.Currencies[1]; usd.MAPE != nil || usd.WeeksScored != 0 {
		t.Errorf("USD without any payment: %+v, want no MAPE", usd)
	}
}
