package analytics

import (
	"encoding/csv"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// WriteCSV writes the report as CSV in long form, one figure a line:
// scope (a currency's own figures, or "converted"), currency, metric,
// value. Metric names are the JSON field names; an aging bucket gives two
// lines (aging_<bucket>_balance_cents, aging_<bucket>_invoices); a null
// ratio is an empty value. The long form keeps every report's CSV the same
// shape, so a spreadsheet pivot reads any of them.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"from", "to", "scope", "currency", "metric", "value"}}
	add := func(scope string, k KPIs) {
		for _, kv := range flatten(k) {
			rows = append(rows, []string{r.From, r.To, scope, k.Currency, kv[0], kv[1]})
		}
	}
	for _, k := range r.Currencies {
		add("currency", k)
	}
	if r.Converted != nil {
		add("converted", *r.Converted)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write report CSV: %w", err)
	}
	return nil
}

// flatten lists a KPIs' fields as (json name, value) in declaration order.
func flatten(k KPIs) [][2]string {
	var out [][2]string
	v := reflect.ValueOf(k)
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "currency" {
			continue
		}
		f := v.Field(i)
		switch x := f.Interface().(type) {
		case []AgingBucket:
			for _, b := range x {
				out = append(out, [2]string{"aging_" + b.Bucket + "_balance_cents", strconv.FormatInt(b.BalanceCents, 10)},
					[2]string{"aging_" + b.Bucket + "_invoices", strconv.Itoa(b.Invoices)})
			}
		default:
			out = append(out, [2]string{name, cell(x)})
		}
	}
	return out
}

// WriteCSV writes the effectiveness report as CSV, one line a group:
// from, to, then the Effect fields by their JSON names (a null rate is
// an empty value).
func (r EffectReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := []string{"from", "to"}
	t := reflect.TypeFor[Effect]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		header = append(header, name)
	}
	rows := [][]string{header}
	for _, e := range r.Effects {
		row := []string{r.From, r.To}
		v := reflect.ValueOf(e)
		for i := range v.NumField() {
			row = append(row, cell(v.Field(i).Interface()))
		}
		rows = append(rows, row)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write effectiveness CSV: %w", err)
	}
	return nil
}

// cell prints one value of a report for CSV: a null ratio is empty.
func cell(x any) string {
	if p, ok := x.(*float64); ok {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return fmt.Sprint(x)
}

// WriteCSV writes the forecast and its backtest, one line a week and
// currency: part (forecast or backtest), currency, week (1–13, or
// "later"), from, to, expected_cents, naive_cents, actual_cents (backtest
// only); then one line a currency with the backtest's MAPE in the
// expected and naive columns (week "mape_percent").
func (r ForecastReport) WriteCSV(w io.Writer) error {
	rows := [][]string{{"part", "currency", "week", "from", "to", "expected_cents", "naive_cents", "actual_cents"}}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, c := range r.Forecast.Currencies {
		for i, wk := range r.Forecast.Weeks {
			rows = append(rows, []string{"forecast", c.Currency, strconv.Itoa(wk.Week), wk.From, wk.To, i64(c.ExpectedCents[i]), i64(c.NaiveCents[i]), ""})
		}
		rows = append(rows, []string{"forecast", c.Currency, "later", "", "", i64(c.LaterCents), i64(c.NaiveLaterCents), ""})
	}
	for _, c := range r.Backtest.Currencies {
		for i, wk := range r.Backtest.Weeks {
			rows = append(rows, []string{"backtest", c.Currency, strconv.Itoa(wk.Week), wk.From, wk.To,
				i64(c.ExpectedCents[i]), i64(c.NaiveCents[i]), i64(c.ActualCents[i])})
		}
		rows = append(rows, []string{"backtest", c.Currency, "mape_percent", "", "", cell(c.MAPE), cell(c.NaiveMAPE), ""})
	}
	if err := csv.NewWriter(w).WriteAll(rows); err != nil {
		return fmt.Errorf("write forecast CSV: %w", err)
	}
	return nil
}

// WriteCSV writes the test as two blocks: one line an arm (arm, policy,
// cases, paid, recovery_rate, mean_days_to_pay), then one line a measure
// (measure, difference, ci95_low, ci95_high, p_value, significant).
func (r ExperimentReport) WriteCSV(w io.Writer) error {
	rows := [][]string{{"experiment", "from", "to", "arm", "policy", "cases", "paid", "recovery_rate", "mean_days_to_pay"}}
	for _, a := range []Arm{r.Champion, r.Challenger} {
		rows = append(rows, []string{r.Experiment, r.From, r.To, a.Arm, a.Policy, strconv.Itoa(a.Cases), strconv.Itoa(a.Paid),
			cell(a.RecoveryRate), cell(a.MeanDaysToPay)})
	}
	rows = append(rows, []string{"experiment", "from", "to", "measure", "difference", "ci95_low", "ci95_high", "p_value", "significant"})
	for _, m := range []struct {
		name string
		d    Difference
	}{{"recovery_rate", r.RecoveryRate}, {"days_to_pay", r.DaysToPay}} {
		rows = append(rows, []string{r.Experiment, r.From, r.To, m.name, cell(m.d.Difference), cell(m.d.CILow), cell(m.d.CIHigh),
			cell(m.d.PValue), strconv.FormatBool(m.d.Significant)})
	}
	if err := csv.NewWriter(w).WriteAll(rows); err != nil {
		return fmt.Errorf("write champion/challenger CSV: %w", err)
	}
	return nil
}
