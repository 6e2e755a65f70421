package analytics

import (
	"sort"
	"time"
)

// Action is one thing the collection did to a case: a message sent, a
// letter posted, a call made, a file handed to the agency (an outbound
// interaction that left: it has a sent time).
type Action struct {
	InvoiceID string
	Currency  string
	Channel   string // email, sms, call, letter, registered_letter, agency
	Rung      string // the ladder step, e.g. formal-notice-d18
	Template  string
	Collector string // the case's collector, else the debtor's; "" when none
	At        time.Time
}

// The dimensions an action's effectiveness is grouped by.
const (
	ByRung      = "rung"
	ByChannel   = "channel"
	ByTemplate  = "template"
	ByCollector = "collector"
)

// Dimensions lists every dimension, in report order.
var Dimensions = []string{ByRung, ByChannel, ByTemplate, ByCollector}

func (a Action) value(dim string) string {
	switch dim {
	case ByRung:
		return a.Rung
	case ByChannel:
		return a.Channel
	case ByTemplate:
		return a.Template
	}
	return a.Collector
}

// Windows after an action in which its case's payments are counted.
const (
	Window7  = 7 * 24 * time.Hour
	Window14 = 14 * 24 * time.Hour
)

// Effect is the effectiveness of the actions sharing one value of one
// dimension (say channel = letter), in one currency.
//
// For each action, the payments on its invoice received after it — strictly
// later, and at most 7 (14) days later — are its case's response. An
// action is attributed every payment in its window, whatever other actions
// also preceded that payment: the figures say what followed each action,
// not what each action alone caused (the champion/challenger report is the
// tool for causes).
//
//   - actions: actions sent in the period; cases: distinct invoices among them;
//   - observed_7d: actions sent at least 7 days before the report's instant,
//     whose 7-day window is complete (only they count in the 7-day figures,
//     so recent actions do not drag the rates down); observed_14d alike;
//   - paid_7d: observed actions followed within 7 days by a payment (partial
//     or full); paid_fully_7d: those whose invoice's balance a payment in the
//     window brought to 0; the rates are over observed_7d;
//   - amount_7d_cents: the payments received in those windows;
//   - the same over 14 days;
//   - median_days_to_pay: over the actions followed by a payment at all (up
//     to the report's instant), the median of the days from the action to
//     the first payment after it (fractional).
type Effect struct {
	Dimension        string   `json:"dimension"`
	Value            string   `json:"value"`
	Currency         string   `json:"currency"`
	Actions          int      `json:"actions"`
	Cases            int      `json:"cases"`
	Observed7d       int      `json:"observed_7d"`
	Paid7d           int      `json:"paid_7d"`
	PaidFully7d      int      `json:"paid_fully_7d"`
	PaidRate7d       *float64 `json:"paid_rate_7d"`
	PaidFullyRate7d  *float64 `json:"paid_fully_rate_7d"`
	Amount7dCents    int64    `json:"amount_7d_cents"`
	Observed14d      int      `json:"observed_14d"`
	Paid14d          int      `json:"paid_14d"`
	PaidFully14d     int      `json:"paid_fully_14d"`
	PaidRate14d      *float64 `json:"paid_rate_14d"`
	PaidFullyRate14d *float64 `json:"paid_fully_rate_14d"`
	Amount14dCents   int64    `json:"amount_14d_cents"`
	MedianDaysToPay  *float64 `json:"median_days_to_pay"`
}

// response is what followed one action.
type response struct {
	paid, full bool
	cents      int64
}

// after is what followed an action at t on inv within w: any payment, a
// payment leaving nothing owed, the amount paid.
func after(inv Invoice, ms []Movement, t time.Time, w time.Duration) response {
	var r response
	end := t.Add(w)
	var moved int64
	for _, m := range ms {
		if !m.At.After(end) {
			moved += m.Cents
		}
		if m.Kind != Payment || !m.At.After(t) || m.At.After(end) {
			continue
		}
		r.paid = true
		r.cents += m.Cents
		if moved >= inv.AmountCents {
			r.full = true
		}
	}
	return r
}

// Effectiveness groups the actions sent in p by each of dims (all when
// empty) and currency; now is the report's instant (windows not complete
// by then are not observed). invoices holds the actions' invoices with
// their movements (instants set).
func Effectiveness(actions []Action, invoices []Invoice, p Period, now time.Time, dims []string) []Effect {
	if len(dims) == 0 {
		dims = Dimensions
	}
	byID := make(map[string]Invoice, len(invoices))
	sorted := make(map[string][]Movement, len(invoices))
	for _, inv := range invoices {
		byID[inv.ID] = inv
		ms := append([]Movement(nil), inv.Movements...)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].At.Before(ms[j].At) })
		sorted[inv.ID] = ms
	}
	type key struct{ dim, value, currency string }
	groups := map[key]*Effect{}
	cases := map[key]map[string]bool{}
	waits := map[key][]float64{}
	for _, a := range actions {
		if !p.has(parisDay(a.At)) {
			continue
		}
		inv, ms := byID[a.InvoiceID], sorted[a.InvoiceID]
		r7, r14 := after(inv, ms, a.At, Window7), after(inv, ms, a.At, Window14)
		var wait float64 = -1
		for _, m := range ms {
			if m.Kind == Payment && m.At.After(a.At) && !m.At.After(now) {
				wait = m.At.Sub(a.At).Hours() / 24
				break
			}
		}
		for _, dim := range dims {
			k := key{dim, a.value(dim), a.Currency}
			e := groups[k]
			if e == nil {
				e = &Effect{Dimension: dim, Value: k.value, Currency: a.Currency}
				groups[k] = e
				cases[k] = map[string]bool{}
			}
			e.Actions++
			cases[k][a.InvoiceID] = true
			if !a.At.Add(Window7).After(now) {
				e.Observed7d++
				count(r7, &e.Paid7d, &e.PaidFully7d, &e.Amount7dCents)
			}
			if !a.At.Add(Window14).After(now) {
				e.Observed14d++
				count(r14, &e.Paid14d, &e.PaidFully14d, &e.Amount14dCents)
			}
			if wait >= 0 {
				waits[k] = append(waits[k], wait)
			}
		}
	}
	out := make([]Effect, 0, len(groups))
	for k, e := range groups {
		e.Cases = len(cases[k])
		if e.Observed7d > 0 {
			e.PaidRate7d = round(float64(e.Paid7d)/float64(e.Observed7d), 4)
			e.PaidFullyRate7d = round(float64(e.PaidFully7d)/float64(e.Observed7d), 4)
		}
		if e.Observed14d > 0 {
			e.PaidRate14d = round(float64(e.Paid14d)/float64(e.Observed14d), 4)
			e.PaidFullyRate14d = round(float64(e.PaidFully14d)/float64(e.Observed14d), 4)
		}
		if w := waits[k]; len(w) > 0 {
			e.MedianDaysToPay = round(median(w), 2)
		}
		out = append(out, *e)
	}
	order := map[string]int{}
	for i, d := range Dimensions {
		order[d] = i
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Dimension != b.Dimension {
			return order[a.Dimension] < order[b.Dimension]
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		return a.Currency < b.Currency
	})
	return out
}

func count(r response, paid, full *int, cents *int64) {
	if r.paid {
		*paid++
		*cents += r.cents
	}
	if r.full {
		*full++
	}
}

// parisDay is the Paris calendar date of an instant, at midnight UTC.
func parisDay(t time.Time) time.Time {
	y, m, d := t.In(parisLoc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
