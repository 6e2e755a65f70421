package domain

import (
	"errors"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// publishedRates are the figures migration 00070 ships (sources there).
func publishedRates(t *testing.T) RateTable {
	t.Helper()
	table, err := NewRateTable([]HalfYearRates{
		{Half: HalfYear{2025, true}, ECBRefiBP: 215, LegalOtherBP: 276, LegalIndividualBP: 665, Source: "arrêté du 19 juin 2025"},
		{Half: HalfYear{2024, false}, ECBRefiBP: 450, LegalOtherBP: 507, LegalIndividualBP: 801, Source: "arrêté du 21 décembre 2023"},
		{Half: HalfYear{2024, true}, ECBRefiBP: 425, LegalOtherBP: 492, LegalIndividualBP: 816, Source: "arrêté de juin 2024"},
		{Half: HalfYear{2025, false}, ECBRefiBP: 315, LegalOtherBP: 371, LegalIndividualBP: 721, Source: "arrêté du 17 décembre 2024"},
		{Half: HalfYear{2026, false}, ECBRefiBP: 215, LegalOtherBP: 262, LegalIndividualBP: 667, Source: "arrêté du 15 décembre 2025"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return table
}

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

// Worked example: a business invoice of 10 000,00 € due on 15 May 2025,
// computed on 14 August 2025, across the ECB rate change of 1 July 2025.
//
//	16 May – 30 June 2025: 46 days at 3.15 % + 10 = 13.15 %:
//	    10 000 × 13.15 % × 46 / 365 = 165.726… → 165,73 €
//	1 July – 14 August 2025: 45 days at 2.15 % + 10 = 12.15 %:
//	    10 000 × 12.15 % × 45 / 365 = 149.794… → 149,79 €
//	interest 315,52 €, plus the 40 € indemnity (D441-5).
func TestLateInterestBusinessOverARateChange(t *testing.T) {
	li, err := ComputeLateInterest(NewMoney(1_000_000, "EUR"), InterestTerms{Business: true, DueDate: date(2025, 5, 15)},
		date(2025, 8, 14), publishedRates(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []InterestPeriod{
		{Half: HalfYear{2025, false}, From: date(2025, 5, 16), To: date(2025, 6, 30), Days: 46, RateBP: 1315, Cents: 16_573},
		{Half: HalfYear{2025, true}, From: date(2025, 7, 1), To: date(2025, 8, 14), Days: 45, RateBP: 1215, Cents: 14_979},
	}
	if len(li.Periods) != len(want) {
		t.Fatalf("periods = %+v, want %+v", li.Periods, want)
	}
	for i := range want {
		if li.Periods[i] != want[i] {
			t.Errorf("period %d = %+v, want %+v", i, li.Periods[i], want[i])
		}
	}
	if li.InterestCents != 31_552 || li.IndemnityCents != 4000 || li.Basis != BasisBusiness || !li.From.Equal(date(2025, 5, 16)) {
		t.Errorf("business interest = %+v, want 315,52 € + 40 € from 16 May on %s", li, BasisBusiness)
	}
	// A contract rate above the legal one applies (L441-10); one below does not.
	above, err := ComputeLateInterest(NewMoney(1_000_000, "EUR"), InterestTerms{Business: true, DueDate: date(2025, 5, 15),
		ContractRateBP: 1500}, date(2025, 8, 14), publishedRates(t))
	if err != nil || above.Periods[0].RateBP != 1500 || above.Periods[1].RateBP != 1500 {
		t.Errorf("contract rate of 15 %%: %+v, %v", above.Periods, err)
	}
	below, err := ComputeLateInterest(NewMoney(1_000_000, "EUR"), InterestTerms{Business: true, DueDate: date(2025, 5, 15),
		ContractRateBP: 900}, date(2025, 8, 14), publishedRates(t))
	if err != nil || below.InterestCents != 31_552 {
		t.Errorf("a contract rate below the legal one changes nothing: %+v, %v", below, err)
	}
}

// Worked example: a consumer invoice of 1 200,00 € due on 10 November
// 2025, formal notice on 1 December 2025, computed on 15 February 2026.
// Nothing runs before the notice (1231-6); then the legal rate "for all
// other cases" of each half-year (L313-2):
//
//	2 – 31 December 2025: 30 days at 2.76 %: 1 200 × 2.76 % × 30 / 365 = 2.722… → 2,72 €
//	1 January – 15 February 2026: 46 days at 2.62 %: 1 200 × 2.62 % × 46 / 365 = 3.962… → 3,96 €
//	interest 6,68 €, no indemnity.
func TestLateInterestConsumerFromTheNotice(t *testing.T) {
	rates := publishedRates(t)
	terms := InterestTerms{Business: false, DueDate: date(2025, 11, 10)}
	before, err := ComputeLateInterest(NewMoney(120_000, "EUR"), terms, date(2026, 2, 15), rates)
	if err != nil || before.InterestCents != 0 || before.IndemnityCents != 0 || !before.From.IsZero() {
		t.Errorf("a consumer owes nothing before the formal notice: %+v, %v", before, err)
	}
	terms.NoticeAt = date(2025, 12, 1)
	li, err := ComputeLateInterest(NewMoney(120_000, "EUR"), terms, date(2026, 2, 15), rates)
	if err != nil {
		t.Fatal(err)
	}
	want := []InterestPeriod{
		{Half: HalfYear{2025, true}, From: date(2025, 12, 2), To: date(2025, 12, 31), Days: 30, RateBP: 276, Cents: 272},
		{Half: HalfYear{2026, false}, From: date(2026, 1, 1), To: date(2026, 2, 15), Days: 46, RateBP: 262, Cents: 396},
	}
	if len(li.Periods) != 2 || li.Periods[0] != want[0] || li.Periods[1] != want[1] {
		t.Errorf("periods = %+v, want %+v", li.Periods, want)
	}
	if li.InterestCents != 668 || li.IndemnityCents != 0 || li.Basis != BasisConsumer {
		t.Errorf("consumer interest = %+v, want 6,68 € and no indemnity", li)
	}
	split := SplitClaim(NewMoney(120_000, "EUR"), terms.DueDate, date(2026, 2, 15), li)
	if split.TotalCents != 120_668 || split.RateBP != 262 || split.DaysLate != 97 || split.FeesCents != 0 {
		t.Errorf("consumer claim = %+v", split)
	}
}

func TestLateInterestNeedsEveryHalfYear(t *testing.T) {
	rates := publishedRates(t)
	// 2026-H2 is not in the table: computing into it is an error naming it.
	_, err := ComputeLateInterest(NewMoney(100_000, "EUR"), InterestTerms{Business: true, DueDate: date(2026, 6, 1)},
		date(2026, 7, 2), rates)
	if !errors.Is(err, ErrRateMissing) || !contains(err.Error(), "2026-H2") {
		t.Errorf("computing past the table: %v, want ErrRateMissing for 2026-H2", err)
	}
	// Before the table too.
	if _, err := ComputeLateInterest(NewMoney(100_000, "EUR"), InterestTerms{Business: true, DueDate: date(2023, 12, 1)},
		date(2024, 1, 2), rates); !errors.Is(err, ErrRateMissing) {
		t.Errorf("computing before the table: %v, want ErrRateMissing", err)
	}
	// Not late yet: no rate needed.
	if li, err := ComputeLateInterest(NewMoney(100_000, "EUR"), InterestTerms{Business: true, DueDate: date(2030, 1, 1)},
		date(2029, 12, 1), rates); err != nil || li.InterestCents != 0 || li.IndemnityCents != 0 {
		t.Errorf("an invoice not yet due: %+v, %v", li, err)
	}
}

func TestRateTableRejectsGapsAndBadRows(t *testing.T) {
	row := func(y int, second bool) HalfYearRates {
		return HalfYearRates{Half: HalfYear{y, second}, ECBRefiBP: 215, LegalOtherBP: 262, LegalIndividualBP: 667, Source: "test"}
	}
	_, err := NewRateTable([]HalfYearRates{row(2024, false), row(2024, true), row(2025, true)})
	if !errors.Is(err, ErrRateMissing) || !contains(err.Error(), "2024-H2 and 2025-H2") {
		t.Errorf("a gap: %v, want ErrRateMissing between 2024-H2 and 2025-H2", err)
	}
	if _, err := NewRateTable([]HalfYearRates{row(2024, false), row(2024, false)}); err == nil {
		t.Error("a duplicate half-year was accepted")
	}
	bad := row(2024, false)
	bad.ECBRefiBP = -5
	var fe FieldError
	if _, err := NewRateTable([]HalfYearRates{bad}); !errors.As(err, &fe) || fe.Field != "ecb_refi_bp" {
		t.Errorf("a negative rate: %v, want a field error on ecb_refi_bp", err)
	}
	nosource := row(2024, false)
	nosource.Source = " "
	if _, err := NewRateTable([]HalfYearRates{nosource}); !errors.As(err, &fe) || fe.Field != "source" {
		t.Errorf("rates without a source: %v", err)
	}
	got, err := NewRateTable([]HalfYearRates{row(2025, false), row(2024, true)})
	if err != nil || len(got.Rows()) != 2 || got.Rows()[0].Half != (HalfYear{2024, true}) {
		t.Errorf("rows in any order are sorted: %+v, %v", got.Rows(), err)
	}
}

func TestHalfYear(t *testing.T) {
	for _, s := range []string{"2025-H1", "2025-H2", "2026-h1"} {
		h, err := ParseHalfYear(s)
		if err != nil || h.String() != map[string]string{"2025-H1": "2025-H1", "2025-H2": "2025-H2", "2026-h1": "2026-H1"}[s] {
			t.Errorf("ParseHalfYear(%q) = %v, %v", s, h, err)
		}
	}
	for _, s := range []string{"2025", "2025-H3", "H1-2025", "1999-H1"} {
		if _, err := ParseHalfYear(s); err == nil {
			t.Errorf("ParseHalfYear(%q) accepted", s)
		}
	}
	if got := HalfYearOf(date(2025, 6, 30)); got != (HalfYear{2025, false}) {
		t.Errorf("30 June is in H1: %v", got)
	}
	if got := HalfYearOf(date(2025, 7, 1)); got != (HalfYear{2025, true}) || !got.Start().Equal(date(2025, 7, 1)) {
		t.Errorf("1 July starts H2: %v", got)
	}
	if (HalfYear{2025, true}).Next() != (HalfYear{2026, false}) {
		t.Error("after 2025-H2 comes 2026-H1")
	}
}

// Worked example of a part payment when interest is claimed (Code civil
// 1343-1): the business claim above is 10 000,00 € of principal, 315,52 €
// of interest and the 40 € indemnity; the debtor pays 2 000,00 €.
//
//	interest first:   315,52 € → 0 left
//	then indemnity:    40,00 € → 0 left
//	then principal: 1 644,48 € → 8 355,52 € still owed
func TestAllocatePaymentInterestFirst(t *testing.T) {
	owed := ClaimParts{InterestCents: 31_552, IndemnityCents: 4000, PrincipalCents: 1_000_000}
	applied, rest := AllocatePayment(200_000, owed)
	want := ClaimParts{InterestCents: 31_552, IndemnityCents: 4000, PrincipalCents: 164_448}
	if applied != want || rest != 0 {
		t.Errorf("2 000 € on %+v: applied %+v rest %d, want %+v", owed, applied, rest, want)
	}
	if owed.PrincipalCents-applied.PrincipalCents != 835_552 {
		t.Errorf("principal still owed = %d", owed.PrincipalCents-applied.PrincipalCents)
	}
	// Less than the interest: all of it goes to the interest.
	applied, rest = AllocatePayment(10_000, owed)
	if applied != (ClaimParts{InterestCents: 10_000}) || rest != 0 {
		t.Errorf("100 € goes to interest only: %+v", applied)
	}
	// More than everything: the surplus is returned, never lost.
	applied, rest = AllocatePayment(1_100_000, owed)
	if applied != owed || rest != 1_100_000-owed.Total() {
		t.Errorf("overpayment: applied %+v rest %d", applied, rest)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
