package domain

import (
	"fmt"
	"time"
)

// CatchUpMode says how a case that starts after some of its rungs' dates
// (an invoice imported long overdue) catches up. Either way it sends one
// message at once, never a burst, and the rungs after it keep the policy's
// intervals from the moment it runs.
type CatchUpMode string

const (
	// CatchUpFit (the default) runs the one rung that fits the invoice's
	// age — the latest whose date has passed — and skips the earlier ones,
	// except a prerequisite (the formal notice) that a later rung needs.
	CatchUpFit CatchUpMode = "fit"
	// CatchUpFirst runs the first rung whose date has passed and skips
	// nothing: the whole ladder runs, later than planned.
	CatchUpFirst CatchUpMode = "first"
)

// Valid reports whether m is a known mode ("" counts as fit).
func (m CatchUpMode) Valid() bool {
	switch m {
	case "", CatchUpFit, CatchUpFirst:
		return true
	}
	return false
}

// Prerequisites returns which steps catch-up never skips when a later step
// runs: the steps marked prerequisite, or — for a policy that marks none,
// such as one stored before the mark existed — its first registered
// letter, the formal notice (mise en demeure, Code civil 1344) that must
// precede the agency and the court.
func (p Policy) Prerequisites() []bool {
	out := make([]bool, len(p.Steps))
	marked := false
	for i, s := range p.Steps {
		out[i] = s.Prerequisite
		marked = marked || s.Prerequisite
	}
	if !marked {
		for i, s := range p.Steps {
			if s.Action == ActionRegisteredLetter {
				out[i] = true
				break
			}
		}
	}
	return out
}

// CatchUpPlan is what a late start does: skip the rungs before Run and
// postpone the rungs still to come by Shift, so that rung Run is due now.
type CatchUpPlan struct {
	// Run is the index of the rung that runs now.
	Run int
	// Skip lists the pending rungs before Run that are skipped.
	Skip []int
	// Shift postpones every rung counted from the due date.
	Shift time.Duration
}

// PlanCatchUp decides how a case catches up at now, given the date each
// rung counted from the due date falls on (zero for a rung counted from the
// previous one, which follows whatever ran before it), which rungs are
// still pending, and the policy. ok is false when no rung is late: nothing
// to catch up. Pre-due reminders are never chosen (their moment is gone).
func PlanCatchUp(p Policy, dates []time.Time, pending []bool, now time.Time) (CatchUpPlan, bool) {
	late := -1
	first := -1
	for i, s := range p.Steps {
		if !pending[i] || s.Action == ActionReminder || s.From != FromDueDate || dates[i].IsZero() || dates[i].After(now) {
			continue
		}
		if first < 0 {
			first = i
		}
		late = i
	}
	if late < 0 {
		return CatchUpPlan{}, false
	}
	run := late
	if p.CatchUp == CatchUpFirst {
		run = first
	} else {
		// A prerequisite not yet done before the chosen rung runs first.
		pre := p.Prerequisites()
		for i := range run {
			if pre[i] && pending[i] {
				run = i
				break
			}
		}
	}
	plan := CatchUpPlan{Run: run}
	if !dates[run].IsZero() {
		plan.Shift = now.Sub(dates[run])
	}
	if p.CatchUp != CatchUpFirst {
		for i := range run {
			if pending[i] {
				plan.Skip = append(plan.Skip, i)
			}
		}
	}
	return plan, true
}

// CatchUpNote is the timeline text of a rung skipped by catch-up.
func CatchUpNote(run string, daysLate int) string {
	return fmt.Sprintf("caught up: the case started %d days after this rung's date, %s runs instead", daysLate, run)
}
