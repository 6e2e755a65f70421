// Package calls holds the pure rules of call tasks: when a call may be
// placed in the debtor's contact window, and how urgent it is.
package calls

import "time"

// NextInWindow returns the first instant at or after t that falls inside
// the debtor's daily contact window, [startMin, endMin) minutes after local
// midnight in loc. A window with start > end wraps past midnight; start ==
// end means no window. Local times are built with time.Date, so the window
// keeps its wall-clock hours across daylight-saving changes.
func NextInWindow(t time.Time, loc *time.Location, startMin, endMin int) time.Time {
	if startMin == endMin {
		return t
	}
	local := t.In(loc)
	minute := local.Hour()*60 + local.Minute()
	opening := func(day time.Time) time.Time {
		y, m, d := day.Date()
		return time.Date(y, m, d, startMin/60, startMin%60, 0, 0, loc)
	}
	if startMin < endMin {
		switch {
		case minute >= startMin && minute < endMin:
			return t
		case minute < startMin:
			return opening(local)
		default:
			return opening(local.AddDate(0, 0, 1))
		}
	}
	if minute >= startMin || minute < endMin {
		return t
	}
	return opening(local)
}

// Priority orders a collector's calls: one point per 10 currency units
// owed (capped at 100 000), ten per day overdue (capped at a year) and a
// thousand per broken promise, because a debtor who broke a promise needs
// a person more than a larger, fresher debt does.
func Priority(balanceCents int64, daysOverdue, brokenPromises int) int64 {
	amount := min(max(balanceCents, 0)/1000, 10_000)
	age := int64(min(max(daysOverdue, 0), 365)) * 10
	return amount + age + int64(max(brokenPromises, 0))*1000
}
