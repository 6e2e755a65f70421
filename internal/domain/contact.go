package domain

import (
	"fmt"
	"slices"
	"time"
)

// ContactRules are the settings of the contact rules.
type ContactRules struct {
	// WeeklyCap bounds outbound contacts per debtor over a rolling 7 days,
	// across all its invoices; 0 means no cap.
	WeeklyCap int
	// Calendar turns on the time rules: letters on business days, calls
	// and SMS inside the debtor's contact window. Off only for demos.
	Calendar bool
}

// DefaultContactRules: three contacts a week, calendar rules on.
func DefaultContactRules() ContactRules { return ContactRules{WeeklyCap: 3, Calendar: true} }

// ContactFacts is what the rules need to know about a debtor and a channel.
type ContactFacts struct {
	Channel Channel
	At      time.Time
	// Location is the debtor's time zone.
	Location *time.Location
	// WindowStart and WindowEnd are minutes after local midnight.
	WindowStart, WindowEnd int
	OptedOut               bool
	// Reachable is false when the channel has no address (no e-mail, no
	// phone, no postal address) or the address is known bad (bounced
	// e-mail, unusable phone).
	Reachable   bool
	Unreachable string // why not reachable
	// SentAt lists the debtor's outbound contacts of the last 7 days.
	SentAt []time.Time
}

// DecideContact applies the contact rules: skip an opted-out or
// unreachable channel; otherwise allow now, or say when it may be used.
func DecideContact(rules ContactRules, f ContactFacts) ContactDecision {
	if f.Channel == ChannelAgency {
		return ContactDecision{Allowed: true}
	}
	if f.OptedOut {
		return ContactDecision{Skip: true, Reason: fmt.Sprintf("debtor opted out of %s", f.Channel)}
	}
	if !f.Reachable {
		return ContactDecision{Skip: true, Reason: f.Unreachable}
	}
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	at := f.At.In(loc)
	t, reason := at, ""
	// Each rule can only move t later; repeat until all hold at once.
	for range 10 {
		moved := false
		if next, why := capAllows(rules.WeeklyCap, f.SentAt, t); next.After(t) {
			t, reason, moved = next, why, true
		}
		if rules.Calendar {
			if next, why := calendarAllows(f, t); next.After(t) {
				t, reason, moved = next, why, true
			}
		}
		if !moved {
			break
		}
	}
	if t.Equal(at) {
		return ContactDecision{Allowed: true}
	}
	return ContactDecision{NotBefore: t.UTC(), Reason: reason}
}

// capAllows returns when the weekly cap next leaves room for a contact.
func capAllows(limit int, sent []time.Time, t time.Time) (time.Time, string) {
	if limit <= 0 {
		return t, ""
	}
	var recent []time.Time
	for _, s := range sent {
		if s.After(t.Add(-7*24*time.Hour)) && !s.After(t) {
			recent = append(recent, s)
		}
	}
	if len(recent) < limit {
		return t, ""
	}
	slices.SortFunc(recent, func(a, b time.Time) int { return a.Compare(b) })
	// Room comes back when the oldest contact that keeps the count at the
	// cap leaves the rolling week.
	free := recent[len(recent)-limit].Add(7 * 24 * time.Hour).In(t.Location())
	return free, fmt.Sprintf("weekly cap of %d contacts reached", limit)
}

// calendarAllows returns when the channel may next be used by the calendar.
func calendarAllows(f ContactFacts, t time.Time) (time.Time, string) {
	switch f.Channel {
	case ChannelLetter, ChannelRegisteredLetter:
		if !IsBusinessDay(t) {
			return NextBusinessDay(t), "letters are posted on business days only"
		}
	case ChannelCall, ChannelSMS:
		start, end := f.WindowStart, f.WindowEnd
		if start == 0 && end == 0 {
			start, end = DefaultWindowStart, DefaultWindowEnd
		}
		if next := NextInWindow(t, t.Location(), start, end); next.After(t) {
			return next, "outside the debtor's contact window"
		}
	}
	return t, ""
}

// The default contact window: 8:00 to 20:00, debtor's local time.
const (
	DefaultWindowStart = 8 * 60
	DefaultWindowEnd   = 20 * 60
)

// NextInWindow returns the first instant at or after t that falls inside
// the window [startMin, endMin) (minutes after local midnight) in loc. A
// window with start > end wraps past midnight; start == end means no
// window. Openings are built with time.Date, so the window keeps its
// wall-clock hours across daylight-saving changes.
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
