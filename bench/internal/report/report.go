// Package report prints bench figures as `name  ours  baseline  ratio`
// rows, each the median of several rounds measured side by side.
package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Row is one figure: ours against the baseline measured in the same run.
type Row struct {
	Name     string
	Unit     string
	Ours     float64 // NaN when our side could not run
	Baseline float64
	// Target is the check the issue asks for, e.g. "ratio>=0.8" (shown as is).
	Target string
	// Met is the verdict on Target; nil when there is nothing to check.
	Met  *bool
	Note string
}

// Ratio is ours / baseline (NaN when either side is missing).
func (r Row) Ratio() float64 {
	if math.IsNaN(r.Ours) || r.Baseline == 0 {
		return math.NaN()
	}
	return r.Ours / r.Baseline
}

// Median of xs (NaN for none); NaN values are ignored.
func Median(xs []float64) float64 {
	ys := slices.DeleteFunc(slices.Clone(xs), math.IsNaN)
	if len(ys) == 0 {
		return math.NaN()
	}
	slices.Sort(ys)
	if len(ys)%2 == 1 {
		return ys[len(ys)/2]
	}
	return (ys[len(ys)/2-1] + ys[len(ys)/2]) / 2
}

// Verdict returns a *bool for Row.Met.
func Verdict(ok bool) *bool { return &ok }

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// Print writes the rows as an aligned table with a header.
func Print(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tours\tbaseline\tratio\tunit\ttarget\tnote")
	for _, r := range rows {
		target := r.Target
		if r.Met != nil {
			target += map[bool]string{true: " MET", false: " MISSED"}[*r.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, num(r.Ours), num(r.Baseline), num(r.Ratio()), r.Unit, target, r.Note)
	}
	tw.Flush()
}

// Markdown renders the rows as a Markdown table.
func Markdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| name | ours | baseline | ratio | unit | target | note |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		target := r.Target
		if r.Met != nil {
			target += map[bool]string{true: " met", false: " **missed**"}[*r.Met]
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Name, num(r.Ours), num(r.Baseline), num(r.Ratio()), r.Unit, target, r.Note)
	}
	return b.String()
}
