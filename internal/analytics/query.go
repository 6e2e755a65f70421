package analytics

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/relance/relance/internal/domain"
)

// Filter narrows a report to part of the receivables; empty fields do not
// filter. A filter naming nothing known is refused (CheckFilter), so a
// typo never answers with a reassuring zero.
type Filter struct {
	// Currency keeps one currency's figures.
	Currency string `json:"currency,omitempty"`
	// Segment keeps the invoices of debtors of this segment.
	Segment string `json:"segment,omitempty"`
	// Collector keeps the invoices of this collector's portfolio: the
	// collector of the case, else the debtor's.
	Collector string `json:"collector,omitempty"`
	// Policy keeps the invoices whose case runs on this policy.
	Policy string `json:"policy,omitempty"`
	// Debtor keeps one debtor's invoices (the score; not a report parameter).
	Debtor string `json:"-"`
}

// Query is a report request: a period, a filter, and optional rates.
type Query struct {
	Period Period
	Filter Filter
	// Rates, when set, adds the figures of every currency converted into
	// Rates.Target.
	Rates *Rates
}

// MaxPeriodDays bounds a report's period (ten years).
const MaxPeriodDays = 3660

// DefaultPeriodDays is the period when "from" is not given: the 90 days
// ending on "to".
const DefaultPeriodDays = 90

// ParseQuery reads a report's query string. Dates are YYYY-MM-DD (Paris
// dates); "to" defaults to today, "from" to 89 days before "to". Every
// error is a domain.FieldError naming the parameter; a parameter not in
// known (beyond the shared ones) is refused too.
func ParseQuery(v url.Values, today time.Time, known ...string) (Query, error) {
	var q Query
	shared := []string{"from", "to", "currency", "segment", "collector", "policy", "convert_to", "rates", "format"}
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !slices.Contains(shared, name) && !slices.Contains(known, name) {
			return q, domain.FieldError{Field: name, Reason: "is not a parameter of this report"}
		}
		if len(v[name]) > 1 {
			return q, domain.FieldError{Field: name, Reason: "is given more than once"}
		}
	}
	to, err := date(v, "to", today)
	if err != nil {
		return q, err
	}
	from, err := date(v, "from", to.AddDate(0, 0, -(DefaultPeriodDays-1)))
	if err != nil {
		return q, err
	}
	switch {
	case to.Before(from):
		return q, domain.FieldError{Field: "to", Reason: "the period ends (" + to.Format(time.DateOnly) + ") before it starts (" + from.Format(time.DateOnly) + ")"}
	case days(from, to)+1 > MaxPeriodDays:
		return q, domain.FieldError{Field: "from", Reason: fmt.Sprintf("the period is longer than %d days", MaxPeriodDays)}
	}
	q.Period = Period{From: from, To: to}
	if q.Filter, err = parseFilter(v); err != nil {
		return q, err
	}
	target, rates := strings.ToUpper(strings.TrimSpace(v.Get("convert_to"))), strings.TrimSpace(v.Get("rates"))
	switch {
	case target == "" && rates != "":
		return q, domain.FieldError{Field: "convert_to", Reason: "is required with rates: the currency to convert into"}
	case target != "" && !KnownCurrency(target):
		return q, domain.FieldError{Field: "convert_to", Reason: fmt.Sprintf("%q is not an ISO 4217 currency code", v.Get("convert_to"))}
	case target != "":
		r, err := ParseRates(target, rates)
		if err != nil {
			return q, err
		}
		q.Rates = &r
	}
	return q, nil
}

// parseFilter reads the filter parameters.
func parseFilter(v url.Values) (Filter, error) {
	var f Filter
	if c := strings.TrimSpace(v.Get("currency")); c != "" {
		f.Currency = strings.ToUpper(c)
		if !KnownCurrency(f.Currency) {
			return f, domain.FieldError{Field: "currency", Reason: fmt.Sprintf("%q is not an ISO 4217 currency code", c)}
		}
	}
	f.Segment = strings.TrimSpace(v.Get("segment"))
	f.Collector = strings.TrimSpace(v.Get("collector"))
	f.Policy = strings.TrimSpace(v.Get("policy"))
	return f, nil
}

// ForecastQuery is a forecast request: its start, the start of its
// backtest, a filter.
type ForecastQuery struct {
	Start         time.Time
	BacktestStart time.Time
	Filter        Filter
}

// ParseForecastQuery reads start (default today, at most today),
// backtest_from (default 13 weeks before start) and the filter.
func ParseForecastQuery(v url.Values, today time.Time) (ForecastQuery, error) {
	var q ForecastQuery
	for name, vals := range v {
		if !slices.Contains([]string{"start", "backtest_from", "currency", "segment", "collector", "policy", "format"}, name) {
			return q, domain.FieldError{Field: name, Reason: "is not a parameter of this report"}
		}
		if len(vals) > 1 {
			return q, domain.FieldError{Field: name, Reason: "is given more than once"}
		}
	}
	var err error
	if q.Start, err = date(v, "start", today); err != nil {
		return q, err
	}
	if q.Start.After(today) {
		return q, domain.FieldError{Field: "start", Reason: "is after today: the forecast starts from what is owed"}
	}
	if q.BacktestStart, err = date(v, "backtest_from", q.Start.AddDate(0, 0, -7*ForecastWeeks)); err != nil {
		return q, err
	}
	if !q.BacktestStart.Before(q.Start) {
		return q, domain.FieldError{Field: "backtest_from", Reason: "must be before start"}
	}
	if days(q.BacktestStart, q.Start) > MaxPeriodDays {
		return q, domain.FieldError{Field: "backtest_from", Reason: fmt.Sprintf("is more than %d days before start", MaxPeriodDays)}
	}
	q.Filter, err = parseFilter(v)
	return q, err
}

// date reads a YYYY-MM-DD parameter, def when absent.
func date(v url.Values, name string, def time.Time) (time.Time, error) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, domain.FieldError{Field: name, Reason: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s)}
	}
	return t, nil
}
