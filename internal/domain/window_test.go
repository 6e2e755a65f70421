package domain

import (
	"testing"
	"time"
)

func TestNextInWindow(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	for _, tc := range []struct {
		name       string
		t          time.Time
		loc        *time.Location
		start, end int
		want       time.Time
	}{
		{"inside", at(paris, 2026, 3, 10, 10, 0), paris, 480, 1200, at(paris, 2026, 3, 10, 10, 0)},
		{"before opening", at(paris, 2026, 3, 10, 6, 30), paris, 480, 1200, at(paris, 2026, 3, 10, 8, 0)},
		{"at closing", at(paris, 2026, 3, 10, 20, 0), paris, 480, 1200, at(paris, 2026, 3, 11, 8, 0)},
		// 23:30 UTC is already the next morning in Tokyo: 08:30 local, inside.
		{"debtor's timezone", time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC), tokyo, 480, 1200,
			at(tokyo, 2026, 3, 11, 8, 30)},
		// Paris switches to summer time on 29 March 2026: 08:00 is still 08:00 local.
		{"across DST", at(paris, 2026, 3, 28, 21, 0), paris, 480, 1200, at(paris, 2026, 3, 29, 8, 0)},
		{"wrapping window inside", at(paris, 2026, 3, 10, 23, 0), paris, 1320, 360, at(paris, 2026, 3, 10, 23, 0)},
		{"wrapping window outside", at(paris, 2026, 3, 10, 12, 0), paris, 1320, 360, at(paris, 2026, 3, 10, 22, 0)},
		{"no window", at(paris, 2026, 3, 10, 3, 0), paris, 0, 0, at(paris, 2026, 3, 10, 3, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextInWindow(tc.t, tc.loc, tc.start, tc.end); !got.Equal(tc.want) {
				t.Errorf("NextInWindow = %s, want %s", got, tc.want)
			}
		})
	}
}
