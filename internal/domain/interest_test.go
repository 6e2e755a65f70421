package domain

import (
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestDaysLate(t *testing.T) {
	due := date(2026, 3, 31)
	for _, tc := range []struct {
		asOf time.Time
		want int
	}{
		{date(2026, 3, 30), 0},
		{date(2026, 3, 31), 0},
		{date(2026, 4, 1), 1}, // interest runs from the day after the due date
		{date(2026, 4, 1).Add(23 * time.Hour), 1},
		{date(2026, 4, 30), 30},
		{date(2027, 3, 31), 365},
	} {
		if got := DaysLate(due, tc.asOf); got != tc.want {
			t.Errorf("DaysLate(%s, %s) = %d, want %d", due.Format(time.DateOnly), tc.asOf.Format(time.DateOnly), got, tc.want)
		}
	}
}

func TestLateInterestCents(t *testing.T) {
	due := date(2026, 1, 15)
	for _, tc := range []struct {
		name      string
		principal int64
		rateBP    int
		asOf      time.Time
		want      int64
	}{
		// 10 000,00 € at 12.15 % for 365 days = 1 215,00 €.
		{"one year", 1_000_000, 1215, date(2027, 1, 15), 121_500},
		// 1 000,00 € at 12.15 % for 30 days = 1000 × 0.1215 × 30 / 365 = 9.9863… → 9,99 €.
		{"thirty days", 100_000, 1215, date(2026, 2, 14), 999},
		// 123,45 € at 12.15 % for 1 day = 0.0410… → 0,04 €.
		{"one day", 12_345, 1215, date(2026, 1, 16), 4},
		{"not late", 100_000, 1215, due, 0},
		{"nothing owed", 0, 1215, date(2026, 6, 1), 0},
		// A claim whose product overflows int64: 10 billion € for 10 years.
		{"huge", 1_000_000_000_000, 1215, date(2036, 1, 13), 1_215_000_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LateInterestCents(tc.principal, tc.rateBP, due, tc.asOf); got != tc.want {
				t.Errorf("LateInterestCents = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSplitClaim(t *testing.T) {
	due := date(2026, 1, 15)
	asOf := date(2026, 2, 14) // 30 days late
	b2b := SplitClaim(NewMoney(100_000, "eur"), true, DefaultECBRateBP, due, asOf)
	want := ClaimSplit{PrincipalCents: 100_000, InterestCents: 999, FeesCents: 4000, TotalCents: 104_999,
		Currency: "EUR", RateBP: 1215, DaysLate: 30}
	if b2b != want {
		t.Errorf("business claim = %+v, want %+v", b2b, want)
	}
	b2c := SplitClaim(NewMoney(100_000, "EUR"), false, DefaultECBRateBP, due, asOf)
	if b2c.FeesCents != 0 || b2c.TotalCents != 100_999 {
		t.Errorf("consumer claim owes no 40 € indemnity: %+v", b2c)
	}
	onTime := SplitClaim(NewMoney(100_000, "EUR"), true, DefaultECBRateBP, due, due)
	if onTime.TotalCents != 100_000 {
		t.Errorf("a claim not yet late owes only its principal: %+v", onTime)
	}
}
