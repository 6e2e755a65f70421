package calls

import "testing"

func TestPriority(t *testing.T) {
	for _, tc := range []struct {
		balance      int64
		days, broken int
		want         int64
	}{
		{0, 0, 0, 0},
		{123_456, 0, 0, 123},                    // 1 234,56 € → 123 points
		{123_456, 10, 0, 223},                   // + 10 per day overdue
		{123_456, 10, 2, 2223},                  // + 1000 per broken promise
		{1_000_000_000, 1000, 0, 10_000 + 3650}, // both capped
		{-5, -3, -1, 0},
	} {
		if got := Priority(tc.balance, tc.days, tc.broken); got != tc.want {
			t.Errorf("Priority(%d, %d, %d) = %d, want %d", tc.balance, tc.days, tc.broken, got, tc.want)
		}
	}
	if Priority(10_000, 5, 1) <= Priority(500_000, 5, 0) {
		t.Error("a broken promise should outrank a larger debt of the same age")
	}
}
