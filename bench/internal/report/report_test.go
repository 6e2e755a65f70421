package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestMedianIgnoresMissingRounds(t *testing.T) {
	if got := Median([]float64{3, math.NaN(), 1, 2}); got != 2 {
		t.Fatalf("Median = %v, want 2", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Fatalf("Median of an even count = %v, want 2.5", got)
	}
	if !math.IsNaN(Median(nil)) {
		t.Fatal("Median of nothing must be NaN")
	}
}

func TestPrintShowsRatioAndVerdict(t *testing.T) {
	var b bytes.Buffer
	Print(&b, []Row{
		{Name: "ladder", Unit: "cases/s", Ours: 8, Baseline: 10, Target: "ratio>=0.8", Met: Verdict(true)},
		{Name: "intake", Unit: "cases/s", Ours: math.NaN(), Baseline: 300, Note: "ours not measured"},
	})
	out := b.String()
	for _, want := range []string{"name", "ours", "baseline", "ratio", "0.80", "MET", "n/a"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
}
