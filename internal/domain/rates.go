package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HalfYear is a calendar half-year, the period French late-payment rates are
// set for: the ECB rate of 1 January or 1 July (Code de commerce L441-10)
// and the legal interest rate fixed each half-year by order (Code monétaire
// et financier L313-2, D313-1-A).
type HalfYear struct {
	Year   int
	Second bool
}

// HalfYearOf returns the half-year containing the civil date of t.
func HalfYearOf(t time.Time) HalfYear {
	return HalfYear{Year: t.Year(), Second: t.Month() >= time.July}
}

// Start is the half-year's first day (1 January or 1 July), UTC midnight.
func (h HalfYear) Start() time.Time {
	m := time.January
	if h.Second {
		m = time.July
	}
	return time.Date(h.Year, m, 1, 0, 0, 0, 0, time.UTC)
}

// Next is the half-year after h.
func (h HalfYear) Next() HalfYear {
	if h.Second {
		return HalfYear{Year: h.Year + 1}
	}
	return HalfYear{Year: h.Year, Second: true}
}

// Before reports whether h comes before o.
func (h HalfYear) Before(o HalfYear) bool {
	return h.Year < o.Year || (h.Year == o.Year && !h.Second && o.Second)
}

// String writes "2025-H2".
func (h HalfYear) String() string {
	if h.Second {
		return strconv.Itoa(h.Year) + "-H2"
	}
	return strconv.Itoa(h.Year) + "-H1"
}

// MarshalJSON writes the half-year as "2025-H2".
func (h HalfYear) MarshalJSON() ([]byte, error) { return json.Marshal(h.String()) }

// UnmarshalJSON reads "2025-H2".
func (h *HalfYear) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("half-year: want a string such as \"2025-H2\"")
	}
	parsed, err := ParseHalfYear(s)
	if err != nil {
		return err
	}
	*h = parsed
	return nil
}

// ParseHalfYear reads "2025-H2" (or "2025-h2").
func ParseHalfYear(s string) (HalfYear, error) {
	y, half, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(s)), "-H")
	year, err := strconv.Atoi(y)
	if !ok || err != nil || year < 2000 || year > 2200 || (half != "1" && half != "2") {
		return HalfYear{}, fmt.Errorf("half-year %q: want YYYY-H1 or YYYY-H2", s)
	}
	return HalfYear{Year: year, Second: half == "2"}, nil
}

// HalfYearRates are the published rates of one half-year, in basis points
// a year (1 % = 100).
type HalfYearRates struct {
	Half HalfYear `json:"half_year"`
	// ECBRefiBP is the ECB main refinancing rate in force on the
	// half-year's first day: L441-10 adds 10 points to it for late payment
	// between professionals.
	ECBRefiBP int `json:"ecb_refi_bp"`
	// LegalOtherBP is the legal interest rate "for all other cases" (CMF
	// L313-2, 2°): the rate a business creditor claims from a consumer.
	LegalOtherBP int `json:"legal_other_bp"`
	// LegalIndividualBP is the legal interest rate for creditors who are
	// individuals not acting for professional needs (L313-2, 1°); kept for
	// completeness, Relance's creditors are businesses.
	LegalIndividualBP int `json:"legal_individual_bp"`
	// Source names the publication the figures come from.
	Source string `json:"source"`
}

// Validate checks the figures are plausible rates.
func (r HalfYearRates) Validate() error {
	for _, f := range []struct {
		name string
		bp   int
	}{{"ecb_refi_bp", r.ECBRefiBP}, {"legal_other_bp", r.LegalOtherBP}, {"legal_individual_bp", r.LegalIndividualBP}} {
		// The ECB rate was 0 % from 2016 to 2022; no rate has been above 20 %.
		if f.bp < 0 || f.bp > 2000 {
			return FieldError{Field: f.name, Reason: fmt.Sprintf("%d basis points is not a rate between 0 and 2000", f.bp)}
		}
	}
	if strings.TrimSpace(r.Source) == "" {
		return FieldError{Field: "source", Reason: "name the publication the rates come from"}
	}
	return nil
}

// ErrRateMissing is returned when a computation needs a half-year the rate
// table does not hold: a missing rate is never guessed.
var ErrRateMissing = errors.New("late-payment rates missing")

// RateTable is the rates of consecutive half-years, with no gap.
type RateTable struct {
	rows []HalfYearRates
}

// NewRateTable checks rows (any order) form an unbroken run of half-years
// with valid figures.
func NewRateTable(rows []HalfYearRates) (RateTable, error) {
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b HalfYearRates) int {
		switch {
		case a.Half.Before(b.Half):
			return -1
		case b.Half.Before(a.Half):
			return 1
		}
		return 0
	})
	for i, r := range sorted {
		if err := r.Validate(); err != nil {
			return RateTable{}, fmt.Errorf("rates of %s: %w", r.Half, err)
		}
		if i > 0 && sorted[i-1].Half.Next() != r.Half {
			if sorted[i-1].Half == r.Half {
				return RateTable{}, fmt.Errorf("rate table: %s appears twice", r.Half)
			}
			return RateTable{}, fmt.Errorf("rate table: gap between %s and %s: %w", sorted[i-1].Half, r.Half, ErrRateMissing)
		}
	}
	return RateTable{rows: sorted}, nil
}

// Rows returns the table's half-years in order.
func (t RateTable) Rows() []HalfYearRates { return slices.Clone(t.rows) }

// For returns the rates of h, or ErrRateMissing naming it.
func (t RateTable) For(h HalfYear) (HalfYearRates, error) {
	if len(t.rows) > 0 {
		i := (h.Year-t.rows[0].Half.Year)*2 + b2i(h.Second) - b2i(t.rows[0].Half.Second)
		if i >= 0 && i < len(t.rows) {
			return t.rows[i], nil
		}
	}
	return HalfYearRates{}, fmt.Errorf("%w for %s: add them (PUT /v1/interest-rates/%s or a migration)", ErrRateMissing, h, h)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
