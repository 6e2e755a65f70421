package analytics

import (
	"testing"
	"time"
)

func payAt(at string, cents int64) Movement {
	t := ts(at)
	return Movement{Kind: Payment, On: parisDay(t), At: t, Cents: cents}
}

func creditAt(at string, cents int64) Movement {
	t := ts(at)
	return Movement{Kind: Credit, On: parisDay(t), At: t, Cents: cents}
}

// march is a synthetic history whose answers are known: March 2026, the
// report made on 31 March at noon.
//
//	P1 EUR 1000  email 03-01 (c-a), letter 03-08 (c-a); paid 300 on 03-05, 700 on 03-12
//	P2 EUR  500  email 03-02 (c-b); credit note 100 on 03-03; paid 400 on 03-12
//	P3 EUR  200  email 02-20 (before the period), email 03-10 (c-a); never paid
//	P4 EUR  400  email 03-25 (c-b), too recent for a full 7-day window; paid on 03-27
//	U1 USD 1000  email 03-03 (c-a); paid 250 36 hours later
func march() ([]Action, []Invoice, Period, time.Time) {
	email := func(inv, cur, collector, at string) Action {
		return Action{InvoiceID: inv, Currency: cur, Channel: "email", Rung: "reminder-d4", Template: "email-reminder", Collector: collector, At: ts(at)}
	}
	actions := []Action{
		email("P1", "EUR", "c-a", "2026-03-01T10:00:00Z"),
		{InvoiceID: "P1", Currency: "EUR", Channel: "letter", Rung: "letter-d11", Template: "letter-standard", Collector: "c-a", At: ts("2026-03-08T10:00:00Z")},
		email("P2", "EUR", "c-b", "2026-03-02T10:00:00Z"),
		email("P3", "EUR", "c-a", "2026-02-20T10:00:00Z"),
		email("P3", "EUR", "c-a", "2026-03-10T10:00:00Z"),
		email("P4", "EUR", "c-b", "2026-03-25T10:00:00Z"),
		email("U1", "USD", "c-a", "2026-03-03T10:00:00Z"),
	}
	invoices := []Invoice{
		{ID: "P1", Currency: "EUR", AmountCents: 100000, Movements: []Movement{payAt("2026-03-12T10:00:00Z", 70000), payAt("2026-03-05T10:00:00Z", 30000)}},
		{ID: "P2", Currency: "EUR", AmountCents: 50000, Movements: []Movement{creditAt("2026-03-03T10:00:00Z", 10000), payAt("2026-03-12T10:00:00Z", 40000)}},
		{ID: "P3", Currency: "EUR", AmountCents: 20000},
		{ID: "P4", Currency: "EUR", AmountCents: 40000, Movements: []Movement{payAt("2026-03-27T10:00:00Z", 40000)}},
		{ID: "U1", Currency: "USD", AmountCents: 100000, Movements: []Movement{payAt("2026-03-04T22:00:00Z", 25000)}},
	}
	return actions, invoices, Period{From: d("2026-03-01"), To: d("2026-03-31")}, ts("2026-03-31T12:00:00Z")
}

func TestEffectivenessOnAKnownHistory(t *testing.T) {
	actions, invoices, p, now := march()
	got := map[string]Effect{}
	for _, e := range Effectiveness(actions, invoices, p, now, nil) {
		got[e.Dimension+"/"+e.Value+"/"+e.Currency] = e
	}
	want := map[string]Effect{
		// P1, P2, P3 (03-10), P4. Observed 7 days: P1, P2, P3 (P4 is 6 days old).
		// Within 7 days only P1 paid (300, partly). Within 14 days P1 (1000,
		// settled on 03-12) and P2 (400, which with the credit note settles).
		// First payments 4 (P1), 10 (P2) and 2 (P4) days after: median 4.
		"channel/email/EUR": {Actions: 4, Cases: 4, Observed7d: 3, Paid7d: 1, PaidFully7d: 0, PaidRate7d: f(0.3333), PaidFullyRate7d: f(0),
			Amount7dCents: 30000, Observed14d: 3, Paid14d: 2, PaidFully14d: 2, PaidRate14d: f(0.6667), PaidFullyRate14d: f(0.6667),
			Amount14dCents: 140000, MedianDaysToPay: f(4)},
		// The letter on 03-08: 700 on 03-12 settles P1.
		"channel/letter/EUR": {Actions: 1, Cases: 1, Observed7d: 1, Paid7d: 1, PaidFully7d: 1, PaidRate7d: f(1), PaidFullyRate7d: f(1),
			Amount7dCents: 70000, Observed14d: 1, Paid14d: 1, PaidFully14d: 1, PaidRate14d: f(1), PaidFullyRate14d: f(1),
			Amount14dCents: 70000, MedianDaysToPay: f(4)},
		"channel/email/USD": {Actions: 1, Cases: 1, Observed7d: 1, Paid7d: 1, PaidRate7d: f(1), PaidFullyRate7d: f(0),
			Amount7dCents: 25000, Observed14d: 1, Paid14d: 1, PaidRate14d: f(1), PaidFullyRate14d: f(0),
			Amount14dCents: 25000, MedianDaysToPay: f(1.5)},
		// c-a in EUR: P1's email and letter, P3's email of 03-10.
		"collector/c-a/EUR": {Actions: 3, Cases: 2, Observed7d: 3, Paid7d: 2, PaidFully7d: 1, PaidRate7d: f(0.6667), PaidFullyRate7d: f(0.3333),
			Amount7dCents: 100000, Observed14d: 3, Paid14d: 2, PaidFully14d: 2, PaidRate14d: f(0.6667), PaidFullyRate14d: f(0.6667),
			Amount14dCents: 170000, MedianDaysToPay: f(4)},
		// c-b: P2 (observed both windows) and P4 (observed in neither); waits 10 and 2.
		"collector/c-b/EUR": {Actions: 2, Cases: 2, Observed7d: 1, Paid7d: 0, PaidRate7d: f(0), PaidFullyRate7d: f(0),
			Observed14d: 1, Paid14d: 1, PaidFully14d: 1, PaidRate14d: f(1), PaidFullyRate14d: f(1),
			Amount14dCents: 40000, MedianDaysToPay: f(6)},
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing", k)
			continue
		}
		w.Dimension, w.Value, w.Currency = g.Dimension, g.Value, g.Currency
		checkEffect(t, k, g, w)
	}
	// The rung and template of the e-mails are the e-mail channel's figures.
	if g, w := got["rung/reminder-d4/EUR"], got["channel/email/EUR"]; g.Actions != w.Actions || g.Amount14dCents != w.Amount14dCents {
		t.Errorf("rung reminder-d4 = %+v, want the e-mails' figures %+v", g, w)
	}
	if g := got["template/letter-standard/EUR"]; g.Amount7dCents != 70000 {
		t.Errorf("template letter-standard = %+v", g)
	}
	if len(got) != 3+3+3+3 {
		t.Errorf("%d groups, want 12 (rung, channel, template, collector × 3): %v", len(got), got)
	}
	// One dimension asked: only its groups.
	if only := Effectiveness(actions, invoices, p, now, []string{ByChannel}); len(only) != 3 || only[0].Dimension != ByChannel {
		t.Errorf("channel only = %+v", only)
	}
}

func checkEffect(t *testing.T, name string, got, want Effect) {
	t.Helper()
	if got.Actions != want.Actions || got.Cases != want.Cases || got.Observed7d != want.Observed7d || got.Paid7d != want.Paid7d ||
		got.PaidFully7d != want.PaidFully7d || got.Amount7dCents != want.Amount7dCents || got.Observed14d != want.Observed14d ||
		got.Paid14d != want.Paid14d || got.PaidFully14d != want.PaidFully14d || got.Amount14dCents != want.Amount14dCents {
		t.Errorf("%s = %+v\nwant %+v", name, got, want)
	}
	checkFloat(t, name+" paid_rate_7d", got.PaidRate7d, want.PaidRate7d)
	checkFloat(t, name+" paid_fully_rate_7d", got.PaidFullyRate7d, want.PaidFullyRate7d)
	checkFloat(t, name+" paid_rate_14d", got.PaidRate14d, want.PaidRate14d)
	checkFloat(t, name+" paid_fully_rate_14d", got.PaidFullyRate14d, want.PaidFullyRate14d)
	checkFloat(t, name+" median_days_to_pay", got.MedianDaysToPay, want.MedianDaysToPay)
}
