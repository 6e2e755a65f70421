package domain

import "time"

// ContactCalendar is what the calendar rules need to know about a debtor:
// whether they apply (the worker's setting), its time zone and its contact
// window. The case carries it in its facts so that the date it shows for
// its next rung is the date the rung will really run.
type ContactCalendar struct {
	Calendar    bool   `json:"calendar"`
	Timezone    string `json:"timezone"`
	WindowStart int    `json:"window_start"`
	WindowEnd   int    `json:"window_end"`
}

// Location is the debtor's time zone (Europe/Paris when unknown).
func (c ContactCalendar) Location() *time.Location {
	// Deterministic for a given tzdata: the same name always gives the
	// same rules, so workflow code may call it.
	loc, err := time.LoadLocation(c.Timezone) //workflowcheck:ignore
	if err != nil {
		if loc, err = time.LoadLocation("Europe/Paris"); err != nil { //workflowcheck:ignore
			return time.UTC
		}
	}
	return loc
}

// Earliest is the first instant at or after at when the business calendar
// (letters) and the contact window (calls, SMS) let ch be used, in loc.
// The weekly cap is left out: it depends on the debtor's other cases and
// is applied when the rung runs.
func (c ContactCalendar) Earliest(ch Channel, at time.Time, loc *time.Location) time.Time {
	if !c.Calendar || ch == ChannelAgency {
		return at
	}
	f := ContactFacts{Channel: ch, Location: loc, WindowStart: c.WindowStart, WindowEnd: c.WindowEnd}
	t := at.In(loc)
	for range 10 {
		next, _ := calendarAllows(f, t)
		if !next.After(t) {
			break
		}
		t = next
	}
	return t.UTC()
}
