package analytics

import (
	"math"
	"time"
)

// ScoreWindowDays is how far back the payment-behaviour score looks.
const ScoreWindowDays = 365

// DefaultBlockBelow is the score under which a debtor's orders should be
// blocked, unless the caller sets its own threshold.
const DefaultBlockBelow = 40

// Factor is one part of the payment-behaviour score: its weight (the
// points it is worth), the measure it is computed from, and the points the
// debtor earns (0 to Weight).
type Factor struct {
	Name    string  `json:"name"`
	Weight  int     `json:"weight"`
	Measure float64 `json:"measure"`
	Points  float64 `json:"points"`
	// Explain says what Measure is and how it becomes Points.
	Explain string `json:"explain"`
}

// Score is a debtor's payment-behaviour score, 0 (worst) to 100 (best),
// with what it is made of and the credit exposure.
type Score struct {
	DebtorID string   `json:"debtor_id"`
	Score    int      `json:"score"`
	Factors  []Factor `json:"factors"`
	Exposure Exposure `json:"exposure"`
	// Blocked is the order-block signal: new orders should wait.
	Blocked bool     `json:"blocked"`
	Reasons []string `json:"reasons"`
	AsOf    string   `json:"as_of"`
}

// Exposure is what a debtor owes against its credit limit, in the limit's
// currency (the debtor's currency); invoices in other currencies are
// listed apart and not compared with the limit.
type Exposure struct {
	Currency         string           `json:"currency"`
	OpenCents        int64            `json:"open_cents"`
	OverdueCents     int64            `json:"overdue_cents"`
	CreditLimitCents *int64           `json:"credit_limit_cents"`
	Utilisation      *float64         `json:"utilisation"` // open ÷ limit
	OverLimit        bool             `json:"over_limit"`
	OtherCurrencies  map[string]int64 `json:"other_currencies,omitempty"`
}

// ScoreInput is what a debtor's score is computed from: its invoices with
// their movements, its promises and disputes (Facts loaded for the last
// ScoreWindowDays), its credit limit and currency.
type ScoreInput struct {
	DebtorID         string
	Currency         string
	CreditLimitCents *int64
	Facts            Facts
	Today            time.Time
	BlockBelow       int
}

// The score's factors and weights (they sum to 100). Each factor earns its
// weight × a share between 0 and 1:
//
//   - days_late (40): the mean days late of the invoices paid in the window
//     (settling payment date − due date, 0 when on time) and of the
//     invoices overdue today (today − due date); share = 1 − mean ÷ 60,
//     floored at 0 (60 days late on average earns nothing);
//   - promises (20): of the promises resolved in the window, the share kept;
//     no promise earns the full weight;
//   - disputes (10): the share of the window's invoices disputed in it;
//     share = 1 − 2 × that, floored at 0 (half disputed earns nothing);
//   - partial_payments (10): of the invoices paid in the window, the share
//     settled in more than one payment; share = 1 − that;
//   - exposure (20): with a credit limit, open ÷ limit; share = 1 − that,
//     floored at 0 (at or over the limit earns nothing); without one, the
//     share of the open amount that is not overdue.
//
// The score is the sum of the points, rounded to the nearest integer. With
// no history at all a debtor scores 100.
const (
	WeightDaysLate = 40
	WeightPromises = 20
	WeightDisputes = 10
	WeightPartial  = 10
	WeightExposure = 20
)

// ComputeScore returns the debtor's score, exposure and block signal. The
// order-block signal is raised when the open amount exceeds the credit
// limit, or the score is below in.BlockBelow.
func ComputeScore(in ScoreInput) Score {
	p := Period{From: in.Today.AddDate(0, 0, -(ScoreWindowDays - 1)), To: in.Today}
	s := Score{DebtorID: in.DebtorID, AsOf: in.Today.Format(time.DateOnly), Reasons: []string{}}

	// Days late, and partial payments, over the invoices paid in the window
	// and those overdue today.
	var late, lateN, paid, partial int
	for _, inv := range in.Facts.Invoices {
		if on := inv.settledOn(); !on.IsZero() && p.has(on) {
			late += max(0, days(inv.Due, on))
			lateN++
			paid++
			payments := 0
			for _, m := range inv.Movements {
				if m.Kind == Payment {
					payments++
				}
			}
			if payments > 1 {
				partial++
			}
		} else if inv.BalanceAt(in.Today) > 0 && in.Today.After(inv.Due) {
			late += days(inv.Due, in.Today)
			lateN++
		}
	}
	meanLate := 0.0
	if lateN > 0 {
		meanLate = float64(late) / float64(lateN)
	}
	s.add(Factor{Name: "days_late", Weight: WeightDaysLate, Measure: meanLate,
		Explain: "mean days late of the invoices paid in the last 365 days and of those overdue today; 60 or more earns 0"},
		1-meanLate/60)

	var kept, broken int
	for _, pr := range in.Facts.Promises {
		if pr.Resolved.IsZero() || !p.has(pr.Resolved) {
			continue
		}
		switch pr.Status {
		case "kept":
			kept++
		case "broken":
			broken++
		}
	}
	keptShare := 1.0
	if kept+broken > 0 {
		keptShare = float64(kept) / float64(kept+broken)
	}
	s.add(Factor{Name: "promises", Weight: WeightPromises, Measure: keptShare,
		Explain: "share of the promises resolved in the last 365 days that were kept (1 without promises)"}, keptShare)

	window := Compute(Facts{Invoices: in.Facts.Invoices, Disputes: in.Facts.Disputes}, p)
	var active, disputed int
	for _, k := range window {
		active += k.InvoicesActive
		disputed += k.DisputedInvoices
	}
	disputeShare := 0.0
	if active > 0 {
		disputeShare = float64(disputed) / float64(active)
	}
	s.add(Factor{Name: "disputes", Weight: WeightDisputes, Measure: disputeShare,
		Explain: "share of the last 365 days' invoices disputed in them; half or more earns 0"}, 1-2*disputeShare)

	partialShare := 0.0
	if paid > 0 {
		partialShare = float64(partial) / float64(paid)
	}
	s.add(Factor{Name: "partial_payments", Weight: WeightPartial, Measure: partialShare,
		Explain: "share of the invoices paid in the last 365 days that took more than one payment"}, 1-partialShare)

	s.Exposure = exposure(in)
	e := s.Exposure
	if e.CreditLimitCents != nil {
		u := 1.0
		if *e.CreditLimitCents > 0 {
			u = float64(e.OpenCents) / float64(*e.CreditLimitCents)
		} else if e.OpenCents == 0 {
			u = 0
		}
		s.add(Factor{Name: "exposure", Weight: WeightExposure, Measure: u,
			Explain: "open amount ÷ credit limit; at or over the limit earns 0"}, 1-u)
	} else {
		share := 0.0
		if e.OpenCents > 0 {
			share = float64(e.OverdueCents) / float64(e.OpenCents)
		}
		s.add(Factor{Name: "exposure", Weight: WeightExposure, Measure: share,
			Explain: "no credit limit: share of the open amount that is overdue"}, 1-share)
	}

	var total float64
	for _, f := range s.Factors {
		total += f.Points
	}
	s.Score = int(math.Round(total))
	if e.OverLimit {
		s.Blocked = true
		s.Reasons = append(s.Reasons, "over_credit_limit")
	}
	if s.Score < in.BlockBelow {
		s.Blocked = true
		s.Reasons = append(s.Reasons, "score_below_threshold")
	}
	return s
}

// add appends f earning weight × share (share clamped to [0, 1]).
func (s *Score) add(f Factor, share float64) {
	share = math.Max(0, math.Min(1, share))
	f.Points = *round(float64(f.Weight)*share, 2)
	f.Measure = *round(f.Measure, 4)
	s.Factors = append(s.Factors, f)
}

// exposure sums what the debtor owes today, in its currency against its
// credit limit, other currencies apart. Over the limit means strictly more
// than the limit.
func exposure(in ScoreInput) Exposure {
	e := Exposure{Currency: in.Currency, CreditLimitCents: in.CreditLimitCents}
	for _, inv := range in.Facts.Invoices {
		bal := inv.BalanceAt(in.Today)
		if bal == 0 {
			continue
		}
		if inv.Currency != in.Currency {
			if e.OtherCurrencies == nil {
				e.OtherCurrencies = map[string]int64{}
			}
			e.OtherCurrencies[inv.Currency] += bal
			continue
		}
		e.OpenCents += bal
		if in.Today.After(inv.Due) {
			e.OverdueCents += bal
		}
	}
	if l := in.CreditLimitCents; l != nil {
		if *l > 0 {
			e.Utilisation = round(float64(e.OpenCents)/float64(*l), 4)
		}
		e.OverLimit = e.OpenCents > *l
	}
	return e
}
