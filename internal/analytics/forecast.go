package analytics

import (
	"math"
	"sort"
	"time"
)

// ForecastWeeks is the horizon of the cash-in forecast.
const ForecastWeeks = 13

// Week is one 7-day bucket of a forecast, numbered from 1.
type Week struct {
	Week int    `json:"week"`
	From string `json:"from"`
	To   string `json:"to"`
}

// weeksFrom lists the ForecastWeeks 7-day buckets starting on start.
func weeksFrom(start time.Time) []Week {
	out := make([]Week, ForecastWeeks)
	for i := range out {
		from := start.AddDate(0, 0, 7*i)
		out[i] = Week{Week: i + 1, From: from.Format(time.DateOnly), To: from.AddDate(0, 0, 6).Format(time.DateOnly)}
	}
	return out
}

// CurrencyForecast is the expected cash-in of one currency per week.
type CurrencyForecast struct {
	Currency string `json:"currency"`
	// OpenCents is what was owed at the start of the forecast, DisputedCents
	// the part under an open dispute (not expected: it may never be owed).
	OpenCents     int64 `json:"open_cents"`
	DisputedCents int64 `json:"disputed_cents"`
	// ExpectedCents[i] is the forecast of week i+1, NaiveCents[i] the naive
	// forecast's (every balance paid on its due date).
	ExpectedCents []int64 `json:"expected_cents"`
	NaiveCents    []int64 `json:"naive_cents"`
	// Later is what is expected after the 13 weeks.
	LaterCents      int64 `json:"later_cents"`
	NaiveLaterCents int64 `json:"naive_later_cents"`
}

// Forecast is the cash-in forecast from a date, per currency.
type Forecast struct {
	AsOf       string             `json:"as_of"`
	Weeks      []Week             `json:"weeks"`
	Currencies []CurrencyForecast `json:"currencies"`
}

// Forecast model. What is owed at the end of the day before start (asOf)
// is expected, per invoice:
//
//   - a promise made by then and not yet resolved: its amount (at most the
//     balance) on the promised date;
//   - the rest on the due date moved by the debtor's usual delay: the median
//     of (settling payment date − due date) over its invoices paid in the 365
//     days before start; a debtor without such history gets the median of
//     every debtor's paid invoices, and 0 days without any;
//   - a date before start is moved to start (the money is late, expected
//     at once); the part of a balance under an open dispute is not
//     expected (disputed_cents);
//   - invoices at the agency are forecast the same way.
//
// The naive forecast expects every balance on its due date (start when
// already past). Weeks are 7-day buckets from start.
func ForecastFrom(f Facts, start time.Time) Forecast {
	asOf := start.AddDate(0, 0, -1)
	fc := Forecast{AsOf: start.Format(time.DateOnly), Weeks: weeksFrom(start), Currencies: []CurrencyForecast{}}
	delays, all := debtorDelays(f.Invoices, start)
	fallback := 0
	if len(all) > 0 {
		fallback = medianInt(all)
	}
	disputed := openDisputes(f.Disputes, asOf)
	promises := map[string][]Promise{}
	for _, p := range f.Promises {
		if !p.Made.IsZero() && !p.Made.After(asOf) && (p.Resolved.IsZero() || p.Resolved.After(asOf)) && p.Status != "cancelled" {
			promises[p.InvoiceID] = append(promises[p.InvoiceID], p)
		}
	}
	by := map[string]*CurrencyForecast{}
	bucket := func(cur string, on time.Time, cents int64, naive bool) {
		c := by[cur]
		if on.Before(start) {
			on = start
		}
		w := days(start, on) / 7
		switch {
		case w >= ForecastWeeks && naive:
			c.NaiveLaterCents += cents
		case w >= ForecastWeeks:
			c.LaterCents += cents
		case naive:
			c.NaiveCents[w] += cents
		default:
			c.ExpectedCents[w] += cents
		}
	}
	for _, inv := range f.Invoices {
		bal := inv.BalanceAt(asOf)
		if bal == 0 {
			continue
		}
		c := by[inv.Currency]
		if c == nil {
			c = &CurrencyForecast{Currency: inv.Currency, ExpectedCents: make([]int64, ForecastWeeks), NaiveCents: make([]int64, ForecastWeeks)}
			by[inv.Currency] = c
		}
		c.OpenCents += bal
		d := min(bal, disputed[inv.ID])
		c.DisputedCents += d
		bal -= d
		bucket(inv.Currency, inv.Due, bal, true)
		for _, p := range promises[inv.ID] {
			cents := min(p.AmountCents, bal)
			bucket(inv.Currency, p.Date, cents, false)
			bal -= cents
		}
		delay, ok := delays[inv.DebtorID]
		if !ok {
			delay = fallback
		}
		if bal > 0 {
			bucket(inv.Currency, inv.Due.AddDate(0, 0, delay), bal, false)
		}
	}
	for _, c := range by {
		fc.Currencies = append(fc.Currencies, *c)
	}
	sort.Slice(fc.Currencies, func(i, j int) bool { return fc.Currencies[i].Currency < fc.Currencies[j].Currency })
	return fc
}

// debtorDelays is the median delay of each debtor's invoices paid in the
// 365 days before start, and every such delay.
func debtorDelays(invs []Invoice, start time.Time) (map[string]int, []int) {
	window := Period{From: start.AddDate(0, 0, -ScoreWindowDays), To: start.AddDate(0, 0, -1)}
	per := map[string][]int{}
	var all []int
	for _, inv := range invs {
		on := inv.settledOn()
		if on.IsZero() || !window.has(on) {
			continue
		}
		d := days(inv.Due, on)
		per[inv.DebtorID] = append(per[inv.DebtorID], d)
		all = append(all, d)
	}
	out := make(map[string]int, len(per))
	for id, ds := range per {
		out[id] = medianInt(ds)
	}
	return out, all
}

// openDisputes sums the disputes open at the end of asOf, by invoice.
func openDisputes(ds []Dispute, asOf time.Time) map[string]int64 {
	out := map[string]int64{}
	for _, d := range ds {
		if !d.OpenedOn.After(asOf) && (d.Resolved.IsZero() || d.ResolvedOn.After(asOf)) {
			out[d.InvoiceID] += d.AmountCents
		}
	}
	return out
}

// medianInt is the median of xs rounded to the nearest day.
func medianInt(xs []int) int {
	fs := make([]float64, len(xs))
	for i, x := range xs {
		fs[i] = float64(x)
	}
	return int(math.Round(median(fs)))
}

// Backtest compares a forecast made at a past start with what was then
// received, week by week, per currency.
type Backtest struct {
	AsOf       string             `json:"as_of"`
	Weeks      []Week             `json:"weeks"`
	Currencies []CurrencyBacktest `json:"currencies"`
}

// CurrencyBacktest is one currency's backtest. The actuals are the
// payments received each week on the invoices owed at the start (new
// invoices are not in the forecast, so not in the actuals). MAPE is the
// mean over the weeks with a non-zero actual of |forecast − actual| ÷
// actual, in percent; null when no week had an actual.
type CurrencyBacktest struct {
	Currency      string   `json:"currency"`
	ExpectedCents []int64  `json:"expected_cents"`
	NaiveCents    []int64  `json:"naive_cents"`
	ActualCents   []int64  `json:"actual_cents"`
	MAPE          *float64 `json:"mape_percent"`
	NaiveMAPE     *float64 `json:"naive_mape_percent"`
	WeeksScored   int      `json:"weeks_scored"`
}

// BacktestFrom forecasts from start with the facts as they stood then
// (promises made, disputes open, delays learned before start) and scores
// it against the payments received in the 13 weeks after; weeks after
// today are not scored.
func BacktestFrom(f Facts, start, today time.Time) Backtest {
	fc := ForecastFrom(f, start)
	bt := Backtest{AsOf: fc.AsOf, Weeks: fc.Weeks, Currencies: []CurrencyBacktest{}}
	asOf := start.AddDate(0, 0, -1)
	for _, c := range fc.Currencies {
		cb := CurrencyBacktest{Currency: c.Currency, ExpectedCents: c.ExpectedCents, NaiveCents: c.NaiveCents,
			ActualCents: make([]int64, ForecastWeeks)}
		for _, inv := range f.Invoices {
			if inv.Currency != c.Currency || inv.BalanceAt(asOf) == 0 {
				continue
			}
			for _, m := range inv.Movements {
				if m.Kind != Payment || m.On.Before(start) {
					continue
				}
				if w := days(start, m.On) / 7; w < ForecastWeeks {
					cb.ActualCents[w] += m.Cents
				}
			}
		}
		var errF, errN []float64
		for w := range ForecastWeeks {
			if start.AddDate(0, 0, 7*w+6).After(today) {
				break // a week not over yet is not scored
			}
			a := float64(cb.ActualCents[w])
			if a == 0 {
				continue
			}
			errF = append(errF, math.Abs(float64(cb.ExpectedCents[w])-a)/a)
			errN = append(errN, math.Abs(float64(cb.NaiveCents[w])-a)/a)
		}
		cb.WeeksScored = len(errF)
		if len(errF) > 0 {
			cb.MAPE = round(mean(errF)*100, 2)
			cb.NaiveMAPE = round(mean(errN)*100, 2)
		}
		bt.Currencies = append(bt.Currencies, cb)
	}
	return bt
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
