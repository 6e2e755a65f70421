package analytics

import (
	"math/big"
	"reflect"
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func pay(on string, cents int64) Movement    { return Movement{Kind: Payment, On: d(on), Cents: cents} }
func credit(on string, cents int64) Movement { return Movement{Kind: Credit, On: d(on), Cents: cents} }

func f(v float64) *float64 { return &v }

// february is the worked example: February 2026 (28 days) of a small
// ledger, every answer computed by hand in the comments.
//
//	inv  cur  issued      due         amount   movements                               at 28 Feb
//	A    EUR  2026-01-05  2026-02-04  1000.00  paid 300 on 01-20, 700 on 02-10 (late)   paid
//	B    EUR  2026-01-10  2026-01-25   500.00  credit note 100 on 02-05; at the agency  400 owed, 34 days late
//	C    EUR  2026-02-02  2026-03-04  2000.00  paid 500 on 02-20 (before due)          1500 owed, not due
//	D    EUR  2026-02-03  2026-02-13   800.00  paid 800 on 02-13 (on the due date)     paid
//	E    EUR  2025-11-01  2025-11-16   600.00  written off on 02-15                     written off
//	F    EUR  2025-12-01  2025-12-15   300.00  —                                        300 owed, 75 days late
//	G    EUR  2025-10-01  2025-10-31   400.00  paid 100 on 02-25 (late)                 300 owed, 120 days late
//	H    EUR  2026-02-10  2026-02-20   250.00  credit note 250 on 02-12                 credited
//	I    EUR  2026-02-05  2026-02-15   200.00  —                                        200 owed, 13 days late
//	U    USD  2026-02-01  2026-02-11  5000.00  paid 2000 on 02-21 (late)                3000 owed, 17 days late
func february() (Facts, Period) {
	facts := Facts{
		Invoices: []Invoice{
			{ID: "A", Currency: "EUR", AmountCents: 100000, Issued: d("2026-01-05"), Due: d("2026-02-04"),
				Movements: []Movement{pay("2026-02-10", 70000), pay("2026-01-20", 30000)}},
			{ID: "B", Currency: "EUR", AmountCents: 50000, Issued: d("2026-01-10"), Due: d("2026-01-25"),
				Movements: []Movement{credit("2026-02-05", 10000)}, AtAgency: true},
			{ID: "C", Currency: "EUR", AmountCents: 200000, Issued: d("2026-02-02"), Due: d("2026-03-04"),
				Movements: []Movement{pay("2026-02-20", 50000)}},
			{ID: "D", Currency: "EUR", AmountCents: 80000, Issued: d("2026-02-03"), Due: d("2026-02-13"),
				Movements: []Movement{pay("2026-02-13", 80000)}},
			{ID: "E", Currency: "EUR", AmountCents: 60000, Issued: d("2025-11-01"), Due: d("2025-11-16"), WrittenOff: d("2026-02-15")},
			{ID: "F", Currency: "EUR", AmountCents: 30000, Issued: d("2025-12-01"), Due: d("2025-12-15")},
			{ID: "G", Currency: "EUR", AmountCents: 40000, Issued: d("2025-10-01"), Due: d("2025-10-31"),
				Movements: []Movement{pay("2026-02-25", 10000)}},
			{ID: "H", Currency: "EUR", AmountCents: 25000, Issued: d("2026-02-10"), Due: d("2026-02-20"),
				Movements: []Movement{credit("2026-02-12", 25000)}},
			{ID: "I", Currency: "EUR", AmountCents: 20000, Issued: d("2026-02-05"), Due: d("2026-02-15")},
			{ID: "U", Currency: "USD", AmountCents: 500000, Issued: d("2026-02-01"), Due: d("2026-02-11"),
				Movements: []Movement{pay("2026-02-21", 200000)}},
		},
		Promises: []Promise{
			{Currency: "EUR", Status: "kept", Resolved: d("2026-02-10")},
			{Currency: "EUR", Status: "broken", Resolved: d("2026-02-20")},
			{Currency: "EUR", Status: "kept", Resolved: d("2026-01-15")},      // before the period
			{Currency: "EUR", Status: "cancelled", Resolved: d("2026-02-05")}, // neither kept nor broken
			{Currency: "EUR", Status: "pending"},
		},
		Plans: []Plan{
			{Currency: "EUR", Status: "completed", Resolved: d("2026-02-25")},
			{Currency: "EUR", Status: "broken", Resolved: d("2026-02-18")},
			{Currency: "EUR", Status: "broken", Resolved: d("2026-02-26")},
			{Currency: "EUR", Status: "active"},
		},
		Disputes: []Dispute{
			// B: 2.5 days; B again (counts once in the rate): 1 day; E: opened
			// before the period, resolved in it: 22 days; I: still open.
			{InvoiceID: "B", Currency: "EUR", Opened: ts("2026-02-03T09:00:00Z"), OpenedOn: d("2026-02-03"),
				Resolved: ts("2026-02-05T21:00:00Z"), ResolvedOn: d("2026-02-05")},
			{InvoiceID: "B", Currency: "EUR", Opened: ts("2026-02-20T10:00:00Z"), OpenedOn: d("2026-02-20"),
				Resolved: ts("2026-02-21T10:00:00Z"), ResolvedOn: d("2026-02-21")},
			{InvoiceID: "E", Currency: "EUR", Opened: ts("2026-01-10T10:00:00Z"), OpenedOn: d("2026-01-10"),
				Resolved: ts("2026-02-01T10:00:00Z"), ResolvedOn: d("2026-02-01")},
			{InvoiceID: "I", Currency: "EUR", Opened: ts("2026-02-16T10:00:00Z"), OpenedOn: d("2026-02-16")},
		},
	}
	return facts, Period{From: d("2026-02-01"), To: d("2026-02-28")}
}

func TestKPIsWorkedExample(t *testing.T) {
	facts, p := february()
	got := Compute(facts, p)
	if len(got) != 2 || got[0].Currency != "EUR" || got[1].Currency != "USD" {
		t.Fatalf("currencies = %+v, want EUR and USD apart", got)
	}
	eur := KPIs{
		Currency: "EUR", PeriodDays: 28,
		// A 700 + B 500 + E 600 + F 300 + G 400 owed at the end of 31 January.
		OpeningReceivablesCents: 250000,
		// C + D + H + I.
		SalesCents: 325000, InvoicesIssued: 4,
		// B 400 (agency) + C 1500 + F 300 + G 300 + I 200; current: C.
		ReceivablesCents: 270000, CurrentReceivablesCents: 150000, OverdueReceivablesCents: 120000,
		AgencyReceivablesCents: 40000,
		// 270,000 / 325,000 × 28 = 23.2615.
		DSOSimpleDays: f(23.26),
		// February's sales (325,000) cover the receivables: 28 × 270/325.
		DSOCountbackDays: f(23.26), DSOCountbackComplete: true,
		// 150,000 / 325,000 × 28 = 12.923; 120,000 / 325,000 × 28 = 10.338.
		BestPossibleDSODays: f(12.92), AverageDaysDelinquent: f(10.34),
		// (250,000 + 325,000 − 270,000) / (250,000 + 325,000 − 150,000) = 305/425.
		CEIPercent: f(71.76),
		// A: 36 days from issue, 6 beyond its due date; D: 10 and 0.
		InvoicesPaid: 2, AverageDaysToPay: f(23), AverageDaysBeyondTerms: f(3),
		Aging: []AgingBucket{
			{"not_due", 150000, 1}, {"1-30", 20000, 1}, {"31-60", 40000, 1}, {"61-90", 30000, 1}, {"90+", 30000, 1},
		},
		// A 700 + C 500 + D 800 + G 100; recovered (after the due date): A 700 + G 100.
		CollectedCents: 210000, RecoveredCents: 80000,
		// Overdue on 1 February: B 500 + E 600 + F 300 + G 400; falling due in
		// February: A 700 (02-04), D 0 (paid on 02-13), H 0 (credited 02-12), I 200.
		RecoveryBaseCents: 270000, RecoveryRate: f(0.2963),
		CreditedCents: 35000, WrittenOffCents: 60000, WrittenOffInvoices: 1,
		PromisesKept: 1, PromisesBroken: 1, PromiseKeptRate: f(0.5),
		PlansCompleted: 1, PlansBroken: 2, PlanCompletionRate: f(0.3333),
		// Active: A B E F G (owed on 31 January) + C D H I (issued); disputed: B, I.
		InvoicesActive: 9, DisputedInvoices: 2, DisputeRate: f(0.2222),
		// 2.5, 1 and 22 days: mean 8.5, median 2.5.
		DisputesResolved: 3, AverageDaysToResolve: f(8.5), MedianDaysToResolve: f(2.5),
	}
	usd := KPIs{
		Currency: "USD", PeriodDays: 28,
		SalesCents: 500000, InvoicesIssued: 1,
		ReceivablesCents: 300000, OverdueReceivablesCents: 300000,
		// 300/500 × 28.
		DSOSimpleDays: f(16.8), DSOCountbackDays: f(16.8), DSOCountbackComplete: true,
		BestPossibleDSODays: f(0), AverageDaysDelinquent: f(16.8),
		// (0 + 500,000 − 300,000) / (0 + 500,000 − 0).
		CEIPercent: f(40),
		Aging:      []AgingBucket{{"not_due", 0, 0}, {"1-30", 300000, 1}, {"31-60", 0, 0}, {"61-90", 0, 0}, {"90+", 0, 0}},
		// Paid 2,000 on 02-21, after its due date 02-11, when 5,000 was overdue.
		CollectedCents: 200000, RecoveredCents: 200000, RecoveryBaseCents: 500000, RecoveryRate: f(0.4),
		InvoicesActive: 1, DisputeRate: f(0),
	}
	checkKPIs(t, got[0], eur)
	checkKPIs(t, got[1], usd)
	// The movements explain the change in receivables, to the cent:
	// opening + sales − collected − credited − written off = ending.
	for _, k := range got {
		if k.OpeningReceivablesCents+k.SalesCents-k.CollectedCents-k.CreditedCents-k.WrittenOffCents != k.ReceivablesCents {
			t.Errorf("%s: receivables do not reconcile: %+v", k.Currency, k)
		}
	}
}

func TestKPIsConvertedAtGivenRates(t *testing.T) {
	facts, p := february()
	rates, err := ParseRates("EUR", "USD:0.92")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := Convert(facts, rates)
	if err != nil {
		t.Fatal(err)
	}
	got := Compute(conv, p)
	if len(got) != 1 || got[0].Currency != "EUR" {
		t.Fatalf("converted = %+v, want one EUR block", got)
	}
	k := got[0]
	// U: 5,000 USD = 4,600 EUR, paid 2,000 USD = 1,840 EUR.
	if k.SalesCents != 785000 || k.ReceivablesCents != 546000 || k.CollectedCents != 394000 || k.RecoveredCents != 264000 {
		t.Errorf("converted sums = sales %d receivables %d collected %d recovered %d, want 785000 546000 394000 264000",
			k.SalesCents, k.ReceivablesCents, k.CollectedCents, k.RecoveredCents)
	}
	// 546/785 × 28 = 19.475; (250 + 785 − 546) / (250 + 785 − 150) = 489/885.
	checkFloat(t, "dso_simple_days", k.DSOSimpleDays, f(19.48))
	checkFloat(t, "cei_percent", k.CEIPercent, f(55.25))
	checkFloat(t, "recovery_rate", k.RecoveryRate, f(0.3616))

	if _, err := Convert(facts, Rates{Target: "GBP", Of: map[string]*big.Rat{"USD": big.NewRat(3, 4)}}); err == nil ||
		err.Error() != "rates: no rate into GBP for EUR" {
		t.Errorf("a currency without a rate: err = %v", err)
	}
}

func TestConvertRoundsToTheTargetMinorUnit(t *testing.T) {
	cases := []struct {
		target, spec, from string
		cents, want        int64
	}{
		{"EUR", "USD:0.92", "USD", 1, 1},        // 0.0092 EUR → 0.01 (half away from zero)
		{"EUR", "USD:0.92", "USD", 50, 46},      // 0.50 USD
		{"JPY", "EUR:161.5", "EUR", 100, 162},   // 1 EUR = 161.5 JPY → 162 (JPY has no minor unit)
		{"EUR", "JPY:0.0062", "JPY", 1000, 620}, // 1000 JPY = 6.20 EUR
		{"KWD", "EUR:0.333", "EUR", 1, 3},       // 0.01 EUR = 0.00333 KWD → 0.003 (3 decimals)
	}
	for _, c := range cases {
		r, err := ParseRates(c.target, c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.convert(c.cents, c.from); got != c.want {
			t.Errorf("%d %s at %s into %s = %d, want %d", c.cents, c.from, c.spec, c.target, got, c.want)
		}
	}
}

func TestCountbackDSOWalksBackMonths(t *testing.T) {
	// Receivables on 15 March: M 1,000 + F 2,000 + J 500 = 3,500.
	// March 1–15 (15 days) sales 1,000: covered, 2,500 left; February (28)
	// sales 2,000: covered, 500 left; January (31) sales 3,000: 31 × 500/3,000
	// = 5.1667. Countback DSO = 15 + 28 + 5.1667 = 48.17.
	invs := []Invoice{
		{ID: "M", Currency: "EUR", AmountCents: 100000, Issued: d("2026-03-10"), Due: d("2026-04-09")},
		{ID: "F", Currency: "EUR", AmountCents: 200000, Issued: d("2026-02-10"), Due: d("2026-03-12")},
		{ID: "J", Currency: "EUR", AmountCents: 300000, Issued: d("2026-01-10"), Due: d("2026-02-09"),
			Movements: []Movement{pay("2026-01-30", 250000)}},
	}
	k := Compute(Facts{Invoices: invs}, Period{From: d("2026-03-01"), To: d("2026-03-15")})[0]
	if k.ReceivablesCents != 350000 {
		t.Fatalf("receivables = %d, want 350000", k.ReceivablesCents)
	}
	checkFloat(t, "dso_countback_days", k.DSOCountbackDays, f(48.17))
	if !k.DSOCountbackComplete {
		t.Error("countback incomplete, want complete")
	}
	// Simple DSO over the 15 days: 3,500 / 1,000 × 15 = 52.5.
	checkFloat(t, "dso_simple_days", k.DSOSimpleDays, f(52.5))

	// A debt older than the countback window: incomplete, every month's days counted.
	old := []Invoice{{ID: "O", Currency: "EUR", AmountCents: 1000, Issued: d("2023-01-10"), Due: d("2023-02-09")}}
	k = Compute(Facts{Invoices: old}, Period{From: d("2026-03-01"), To: d("2026-03-15")})[0]
	// 15 days of March 2026 + the 23 months before (April 2024 – February 2026: 699 days).
	checkFloat(t, "dso_countback_days", k.DSOCountbackDays, f(15+699))
	if k.DSOCountbackComplete {
		t.Error("a debt older than 24 months: countback complete, want incomplete")
	}
	if k.DSOSimpleDays != nil {
		t.Errorf("no sales in the period: simple DSO = %v, want null", *k.DSOSimpleDays)
	}
}

func TestBalanceAtBoundaries(t *testing.T) {
	inv := Invoice{AmountCents: 1000, Issued: d("2026-01-10"), Due: d("2026-01-20"),
		Movements: []Movement{pay("2026-01-15", 400), pay("2026-01-25", 900)}, WrittenOff: time.Time{}}
	for day, want := range map[string]int64{"2026-01-09": 0, "2026-01-10": 1000, "2026-01-14": 1000, "2026-01-15": 600, "2026-01-25": 0} {
		if got := inv.BalanceAt(d(day)); got != want {
			t.Errorf("balance on %s = %d, want %d (overpaid never goes negative)", day, got, want)
		}
	}
	inv = Invoice{AmountCents: 1000, Issued: d("2026-01-10"), Due: d("2026-01-20"),
		Movements: []Movement{pay("2026-01-15", 400)}, WrittenOff: d("2026-01-31")}
	if inv.BalanceAt(d("2026-01-30")) != 600 || inv.BalanceAt(d("2026-01-31")) != 0 || inv.writeOffCents() != 600 {
		t.Errorf("write-off: balances %d %d, written off %d; want 600 0 600",
			inv.BalanceAt(d("2026-01-30")), inv.BalanceAt(d("2026-01-31")), inv.writeOffCents())
	}
	// A same-day credit note and payment that together settle: "paid" on that day.
	inv = Invoice{AmountCents: 1000, Issued: d("2026-01-10"), Due: d("2026-01-20"),
		Movements: []Movement{pay("2026-01-22", 700), credit("2026-01-22", 300)}}
	if got := inv.settledOn(); !got.Equal(d("2026-01-22")) {
		t.Errorf("settled on %v, want 2026-01-22", got)
	}
	inv.Movements = []Movement{pay("2026-01-12", 700), credit("2026-01-22", 300)}
	if got := inv.settledOn(); !got.IsZero() {
		t.Errorf("ended by a credit note: settled on %v, want never (not paid)", got)
	}
}

func checkKPIs(t *testing.T, got, want KPIs) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Tag.Get("json")
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gp, ok := g.(*float64); ok {
			checkFloat(t, want.Currency+" "+name, gp, w.(*float64))
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s %s = %v, want %v", want.Currency, name, g, w)
		}
	}
}

func checkFloat(t *testing.T, name string, got, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", name, show(got), show(want))
	case *got != *want:
		t.Errorf("%s = %v, want %v", name, *got, *want)
	}
}

func show(p *float64) any {
	if p == nil {
		return "null"
	}
	return *p
}
