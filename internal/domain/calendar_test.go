package domain

import (
	"testing"
	"time"
)

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

func TestEaster(t *testing.T) {
	for year, want := range map[int]time.Time{
		2024: d(2024, 3, 31), 2025: d(2025, 4, 20), 2026: d(2026, 4, 5), 2027: d(2027, 3, 28), 2038: d(2038, 4, 25),
	} {
		if got := Easter(year); !got.Equal(want) {
			t.Errorf("Easter(%d) = %s, want %s", year, got.Format("2006-01-02"), want.Format("2006-01-02"))
		}
	}
}

func TestFrenchHolidays2026(t *testing.T) {
	holidays := []time.Time{d(2026, 1, 1), d(2026, 4, 6), d(2026, 5, 1), d(2026, 5, 8), d(2026, 5, 14),
		d(2026, 5, 25), d(2026, 7, 14), d(2026, 8, 15), d(2026, 11, 1), d(2026, 11, 11), d(2026, 12, 25)}
	for _, h := range holidays {
		if !IsFrenchHoliday(h) {
			t.Errorf("%s is a French holiday", h.Format("2006-01-02"))
		}
	}
	for _, nd := range []time.Time{d(2026, 4, 5), d(2026, 4, 7), d(2026, 5, 15), d(2026, 12, 26)} {
		if IsFrenchHoliday(nd) {
			t.Errorf("%s is not a holiday", nd.Format("2006-01-02"))
		}
	}
}

func TestBusinessDays(t *testing.T) {
	tests := []struct {
		name string
		from time.Time
		next time.Time
	}{
		{"friday to monday", d(2026, 3, 13), d(2026, 3, 16)},
		{"before easter monday", d(2026, 4, 3), d(2026, 4, 7)},
		{"ascension thursday skipped", d(2026, 5, 13), d(2026, 5, 15)},
		{"christmas eve", d(2026, 12, 24), d(2026, 12, 28)},
		{"new year's eve", d(2026, 12, 31), d(2027, 1, 4)},
	}
	for _, tc := range tests {
		if got := NextBusinessDay(tc.from); !got.Equal(tc.next) {
			t.Errorf("%s: NextBusinessDay(%s) = %s, want %s", tc.name, tc.from.Format("2006-01-02"), got.Format("2006-01-02"), tc.next.Format("2006-01-02"))
		}
	}
	if IsBusinessDay(d(2026, 3, 14)) || !IsBusinessDay(d(2026, 3, 16)) {
		t.Fatal("Saturday is not a business day, Monday is")
	}
	if got := AddBusinessDays(d(2026, 4, 30).Add(9*time.Hour), 3); !got.Equal(d(2026, 5, 6).Add(9 * time.Hour)) {
		t.Fatalf("3 business days after 30 April 2026 = %s, want 6 May (1 May holiday, weekend)", got)
	}
}

// A letter whose date falls on Christmas 2026 (a Friday) goes on Monday
// the 28th; a call at midnight waits for the window; an e-mail goes when due.
func TestContactCalendarEarliest(t *testing.T) {
	cal := ContactCalendar{Calendar: true, Timezone: "Europe/Paris", WindowStart: 8 * 60, WindowEnd: 20 * 60}
	paris := cal.Location()
	christmas := time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)
	if got := cal.Earliest(ChannelLetter, christmas, paris); !got.Equal(time.Date(2026, 12, 28, 0, 0, 0, 0, paris)) || got.In(paris).Format("2006-01-02") != "2026-12-28" {
		t.Errorf("letter on Christmas: %s", got)
	}
	if got := cal.Earliest(ChannelCall, christmas, paris); !got.Equal(time.Date(2026, 12, 25, 8, 0, 0, 0, paris)) {
		t.Errorf("call at 1:00 Paris: %s", got)
	}
	if got := cal.Earliest(ChannelEmail, christmas, paris); !got.Equal(christmas) {
		t.Errorf("e-mail: %s", got)
	}
	off := cal
	off.Calendar = false
	if got := off.Earliest(ChannelLetter, christmas, paris); !got.Equal(christmas) {
		t.Errorf("calendar off: %s", got)
	}
	if got := (ContactCalendar{Timezone: "Nowhere/Else"}).Location(); got.String() != "Europe/Paris" {
		t.Errorf("unknown zone: %s", got)
	}
}
