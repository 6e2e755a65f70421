package domain

import (
	"math/big"
	"time"
)

// Late-payment rules of the Code de commerce, article L441-10.
const (
	// LatePenaltyPointsBP is what the legal late rate adds to the ECB main
	// refinancing rate: 10 percentage points, in basis points.
	LatePenaltyPointsBP = 1000
	// RecoveryIndemnityCents is the fixed indemnity for recovery costs (40 €)
	// a business debtor owes on every invoice paid late.
	RecoveryIndemnityCents = 4000
	// DefaultECBRateBP is the ECB main refinancing rate used when none is
	// configured: 2.15 %, in force since 11 June 2025 and so the reference
	// rate of the half-years starting 1 July 2025 and 1 January 2026. The
	// rate changes twice a year: configure it (ECB_RATE_PERCENT).
	DefaultECBRateBP = 215
)

// LegalLateRateBP is the legal late-payment rate (ECB rate + 10 points)
// in basis points per year, given the ECB rate in basis points.
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
	days := DaysLate(due, asOf)
	if principalCents <= 0 || rateBP <= 0 || days == 0 {
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

// ClaimSplit is a claim split the way CPCE R124-4 asks an agency to state
// it: principal, interest and other sums.
type ClaimSplit struct {
	PrincipalCents int64  `json:"principal_cents"`
	InterestCents  int64  `json:"interest_cents"`
	FeesCents      int64  `json:"fees_cents"`
	TotalCents     int64  `json:"total_cents"`
	Currency       string `json:"currency"`
	RateBP         int    `json:"rate_bp"`
	DaysLate       int    `json:"days_late"`
}

// SplitClaim computes the claim on an unpaid balance as of a date: late
// interest at the legal rate and, for a business debtor in euros, the 40 €
// recovery indemnity.
func SplitClaim(balance Money, business bool, ecbRateBP int, due, asOf time.Time) ClaimSplit {
	rate := LegalLateRateBP(ecbRateBP)
	s := ClaimSplit{
		PrincipalCents: balance.Cents,
		InterestCents:  LateInterestCents(balance.Cents, rate, due, asOf),
		Currency:       balance.Currency,
		RateBP:         rate,
		DaysLate:       DaysLate(due, asOf),
	}
	if business && balance.Currency == "EUR" && s.DaysLate > 0 && balance.Cents > 0 {
		s.FeesCents = RecoveryIndemnityCents
	}
	s.TotalCents = s.PrincipalCents + s.InterestCents + s.FeesCents
	return s
}
