package domain

import "time"

// Easter returns Easter Sunday of year (Gregorian calendar, the anonymous
// "Meeus/Jones/Butcher" computation) at midnight UTC.
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// FrenchHolidays returns the eleven public holidays of metropolitan France
// in year (Alsace-Moselle's two extra days are not included).
func FrenchHolidays(year int) []time.Time {
	easter := Easter(year)
	date := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC) }
	return []time.Time{
		date(time.January, 1),
		easter.AddDate(0, 0, 1),  // lundi de Pâques
		date(time.May, 1),        // fête du Travail
		date(time.May, 8),        // Victoire 1945
		easter.AddDate(0, 0, 39), // Ascension
		easter.AddDate(0, 0, 50), // lundi de Pentecôte
		date(time.July, 14),
		date(time.August, 15),
		date(time.November, 1),
		date(time.November, 11),
		date(time.December, 25),
	}
}

// IsFrenchHoliday reports whether the calendar date of t (in t's location)
// is a French public holiday.
func IsFrenchHoliday(t time.Time) bool {
	y, m, d := t.Date()
	for _, h := range FrenchHolidays(y) {
		if h.Month() == m && h.Day() == d {
			return true
		}
	}
	return false
}

// IsBusinessDay reports whether the date of t (in t's location) is a
// weekday that is not a French public holiday.
func IsBusinessDay(t time.Time) bool {
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !IsFrenchHoliday(t)
}

// NextBusinessDay returns the start (00:00 in t's location) of the first
// business day strictly after t's date.
func NextBusinessDay(t time.Time) time.Time {
	y, m, d := t.Date()
	day := time.Date(y, m, d+1, 0, 0, 0, 0, t.Location())
	for !IsBusinessDay(day) {
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, t.Location())
	}
	return day
}

// AddBusinessDays moves t forward by n business days, keeping the time of day.
func AddBusinessDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		if IsBusinessDay(t) {
			n--
		}
	}
	return t
}
