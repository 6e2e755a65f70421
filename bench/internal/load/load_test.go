package load

import (
	"testing"
	"time"
)

func TestQuantileNearestRank(t *testing.T) {
	r := Result{}
	for i := 100; i >= 1; i-- {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	if got := r.Quantile(0.5); got != 50*time.Millisecond {
		t.Fatalf("p50 = %s, want 50ms", got)
	}
	if got := r.Quantile(0.99); got != 99*time.Millisecond {
		t.Fatalf("p99 = %s, want 99ms", got)
	}
	if got := (Result{}).Quantile(0.99); got != 0 {
		t.Fatalf("p99 of nothing = %s", got)
	}
}
