package domain

import (
	"math/big"
	"time"
)

// French late-payment rules. Between professionals (Code de commerce
// L441-10) interest runs from the day after the due date without any
// reminder, at the ECB main refinancing rate of the half-year plus 10
// points unless the contract sets a higher rate, and the debtor owes a
// fixed 40 € indemnity for recovery costs per invoice (D441-5). A consumer
// owes interest at the legal rate of the half-year (Code monétaire et
// financier L313-2, the rate "for all other cases" since the creditor is a
// business) from the formal notice (Code civil 1231-6), and no indemnity.
const (
	// LatePenaltyPointsBP is what L441-10 adds to the ECB rate: 10
	// percentage points, in basis points.
	LatePenaltyPointsBP = 1000
	// RecoveryIndemnityCents is the fixed indemnity for recovery costs
	// (40 €, Code de commerce D441-5) a business debtor owes per invoice
	// paid late.
	RecoveryIndemnityCents = 4000
)

// Legal bases as printed on notices, statements and court files.
const (
	BasisBusiness = "C. com. L441-10, D441-5"
	BasisConsumer = "C. civ. 1231-6, C. monét. fin. L313-2"
)

// LegalLateRateBP is the business late-payment rate (ECB rate + 10 points)
// in basis points a year, given the ECB rate in basis points.
func LegalLateRateBP(ecbRateBP int) int { return ecbRateBP + LatePenaltyPointsBP }

// DaysLate counts the calendar days from the day after the due date up to
// and including asOf: interest starts running the day after the due date,
// without any reminder needed. Zero when asOf is on or before the due date.
func DaysLate(due, asOf time.Time) int {
	d := civilDate(due)
	a := civilDate(asOf)
	if !a.After(d) {
		return 0
	}
	return int(a.Sub(d).Hours() / 24)
}

func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// LateInterestCents is simple interest on principalCents at rateBP basis
// points a year for the days late between due and asOf, on a 365-day
// year, rounded to the nearest cent (halves away from zero).
func LateInterestCents(principalCents int64, rateBP int, due, asOf time.Time) int64 {
	return simpleInterest(principalCents, rateBP, DaysLate(due, asOf))
}

func simpleInterest(principalCents int64, rateBP, days int) int64 {
	if principalCents <= 0 || rateBP <= 0 || days <= 0 {
		return 0
	}
	// principal × rate × days / (10 000 × 365), exact then rounded: big
	// integers because the product overflows int64 for large claims.
	num := new(big.Int).Mul(big.NewInt(principalCents), big.NewInt(int64(rateBP)))
	num.Mul(num, big.NewInt(int64(days)))
	den := big.NewInt(10000 * 365)
	num.Mul(num, big.NewInt(2))
	num.Add(num, den)
	num.Quo(num, new(big.Int).Mul(den, big.NewInt(2)))
	return num.Int64()
}

// InterestTerms are the facts late interest depends on.
type InterestTerms struct {
	// Business: the debtor is a professional (L441-10) rather than a
	// consumer (1231-6).
	Business bool
	DueDate  time.Time
	// NoticeAt is the date of the formal notice (mise en demeure); zero
	// while none was sent. A consumer owes no interest before it.
	NoticeAt time.Time
	// ContractRateBP is a contractual late rate between professionals,
	// applied when it is above the legal one; 0 when the contract is silent.
	ContractRateBP int
}

// RateBP is the late rate of a half-year for these terms: between
// professionals the ECB rate + 10 points or a higher contract rate
// (L441-10); for a consumer the legal rate "for all other cases" (L313-2).
func (t InterestTerms) RateBP(r HalfYearRates) int {
	if t.Business {
		return max(LegalLateRateBP(r.ECBRefiBP), t.ContractRateBP)
	}
	return r.LegalOtherBP
}

// InterestPeriod is the part of the interest that runs in one half-year,
// at that half-year's rate.
type InterestPeriod struct {
	Half HalfYear `json:"half_year"`
	// From and To are the first and last days counted (inclusive).
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Days   int       `json:"days"`
	RateBP int       `json:"rate_bp"`
	Cents  int64     `json:"cents"`
}

// LateInterest is the interest and indemnity owed on a principal as of a
// date, split by half-year.
type LateInterest struct {
	Basis string `json:"basis"`
	// From is the first day interest runs (the day after the due date or
	// after the formal notice); zero while none runs.
	From           time.Time        `json:"from,omitzero"`
	Periods        []InterestPeriod `json:"periods"`
	InterestCents  int64            `json:"interest_cents"`
	IndemnityCents int64            `json:"indemnity_cents"`
	Currency       string           `json:"currency"`
}

// CurrentRateBP is the rate of the last period (the one running as of the
// computation), 0 when no interest runs.
func (l LateInterest) CurrentRateBP() int {
	if len(l.Periods) == 0 {
		return 0
	}
	return l.Periods[len(l.Periods)-1].RateBP
}

// ComputeLateInterest computes the late interest on principal as of asOf
// (counted inclusive) and, between professionals, the 40 € indemnity.
// Each half-year is counted at its own rate on a 365-day year and rounded
// to the cent; the total is the sum of the rounded periods, so a statement
// listing them adds up. A half-year missing from rates is ErrRateMissing.
func ComputeLateInterest(principal Money, t InterestTerms, asOf time.Time, rates RateTable) (LateInterest, error) {
	li := LateInterest{Basis: BasisConsumer, Currency: principal.Currency, Periods: []InterestPeriod{}}
	start := t.NoticeAt
	if t.Business {
		li.Basis = BasisBusiness
		start = t.DueDate
	}
	last := civilDate(asOf)
	if start.IsZero() || principal.Cents <= 0 {
		return li, nil
	}
	first := civilDate(start).AddDate(0, 0, 1)
	if last.Before(first) {
		return li, nil
	}
	li.From = first
	for day := first; !day.After(last); {
		h := HalfYearOf(day)
		r, err := rates.For(h)
		if err != nil {
			return LateInterest{}, err
		}
		end := h.Next().Start().AddDate(0, 0, -1)
		if end.After(last) {
			end = last
		}
		rate := t.RateBP(r)
		days := int(end.Sub(day).Hours()/24) + 1
		p := InterestPeriod{Half: h, From: day, To: end, Days: days, RateBP: rate,
			Cents: simpleInterest(principal.Cents, rate, days)}
		li.Periods = append(li.Periods, p)
		li.InterestCents += p.Cents
		day = end.AddDate(0, 0, 1)
	}
	li.IndemnityCents = IndemnityOwed(t, principal, asOf)
	return li, nil
}

// IndemnityOwed is the fixed 40 € indemnity for recovery costs (Code de
// commerce D441-5): owed by a business debtor, per invoice, once it is
// paid late; never by a consumer.
func IndemnityOwed(t InterestTerms, principal Money, asOf time.Time) int64 {
	if t.Business && principal.Currency == "EUR" && principal.Cents > 0 && DaysLate(t.DueDate, asOf) > 0 {
		return RecoveryIndemnityCents
	}
	return 0
}

// ClaimSplit is a claim split the way CPCE R124-4 asks an agency to state
// it: principal, interest and other sums.
type ClaimSplit struct {
	PrincipalCents int64  `json:"principal_cents"`
	InterestCents  int64  `json:"interest_cents"`
	FeesCents      int64  `json:"fees_cents"`
	TotalCents     int64  `json:"total_cents"`
	Currency       string `json:"currency"`
	// RateBP is the rate running as of the computation.
	RateBP   int    `json:"rate_bp"`
	DaysLate int    `json:"days_late"`
	Basis    string `json:"basis,omitempty"`
	// InterestFrom is the first day interest runs (zero while none does).
	InterestFrom time.Time        `json:"interest_from,omitzero"`
	Periods      []InterestPeriod `json:"periods,omitempty"`
	// RatesMissing says why no interest is stated: the rate table lacks a
	// half-year the computation needed. Empty when the interest is computed.
	RatesMissing string `json:"rates_missing,omitempty"`
}

// SplitClaim states the claim on an unpaid balance: the principal, the late
// interest and indemnity computed on it, and the total.
func SplitClaim(balance Money, due, asOf time.Time, li LateInterest) ClaimSplit {
	s := ClaimSplit{
		PrincipalCents: balance.Cents,
		InterestCents:  li.InterestCents,
		FeesCents:      li.IndemnityCents,
		Currency:       balance.Currency,
		RateBP:         li.CurrentRateBP(),
		DaysLate:       DaysLate(due, asOf),
		Basis:          li.Basis,
		InterestFrom:   li.From,
		Periods:        li.Periods,
	}
	s.TotalCents = s.PrincipalCents + s.InterestCents + s.FeesCents
	return s
}

// ClaimParts is what a debtor owes on an invoice, by kind.
type ClaimParts struct {
	InterestCents  int64 `json:"interest_cents"`
	IndemnityCents int64 `json:"indemnity_cents"`
	PrincipalCents int64 `json:"principal_cents"`
}

// Total is the sum of the parts.
func (c ClaimParts) Total() int64 { return c.InterestCents + c.IndemnityCents + c.PrincipalCents }

// AllocatePayment splits a payment over what is owed when interest is
// claimed: interest first (Code civil 1343-1: a part payment of a debt
// bearing interest goes to the interest before the principal), then the
// recovery indemnity, an accessory of the claim like the interest, then
// the principal. What exceeds the whole claim is returned as rest.
func AllocatePayment(amountCents int64, owed ClaimParts) (applied ClaimParts, rest int64) {
	rest = max(amountCents, 0)
	take := func(owed int64) int64 {
		n := min(rest, max(owed, 0))
		rest -= n
		return n
	}
	applied.InterestCents = take(owed.InterestCents)
	applied.IndemnityCents = take(owed.IndemnityCents)
	applied.PrincipalCents = take(owed.PrincipalCents)
	return applied, rest
}
