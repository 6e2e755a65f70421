package domain

import (
	"slices"
	"testing"
	"time"
)

func TestPlanCatchUp(t *testing.T) {
	due := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	dates := func(p Policy) []time.Time {
		out := make([]time.Time, len(p.Steps))
		for i, s := range p.Steps {
			if s.From == FromDueDate {
				out[i] = due.Add(s.Offset.Std())
			}
		}
		return out
	}
	all := func(n int) []bool { return slices.Repeat([]bool{true}, n) }
	first := DefaultPolicy()
	first.CatchUp = CatchUpFirst
	// A stored policy of before the prerequisite mark: its first
	// registered letter still counts as the formal notice.
	unmarked := DefaultPolicy()
	for i := range unmarked.Steps {
		unmarked.Steps[i].Prerequisite = false
	}
	for _, tc := range []struct {
		name  string
		p     Policy
		age   time.Duration
		ok    bool
		run   string
		skip  int
		shift time.Duration
	}{
		{"not yet due", DefaultPolicy(), -30 * 24 * time.Hour, false, "", 0, 0},
		{"due today, call tomorrow", DefaultPolicy(), 12 * time.Hour, false, "", 0, 0},
		{"two days late: the call", DefaultPolicy(), 2 * 24 * time.Hour, true, "call-d1", 1, 24 * time.Hour},
		{"twelve days: the letter", DefaultPolicy(), 12 * 24 * time.Hour, true, "letter-d11", 3, 24 * time.Hour},
		{"42 days: the formal notice before the agency", DefaultPolicy(), 42 * 24 * time.Hour, true, "formal-notice-d18", 4, 24 * 24 * time.Hour},
		{"42 days, unmarked policy", unmarked, 42 * 24 * time.Hour, true, "formal-notice-d18", 4, 24 * 24 * time.Hour},
		{"26 days: the formal notice first", DefaultPolicy(), 26 * 24 * time.Hour, true, "formal-notice-d18", 4, 8 * 24 * time.Hour},
		{"42 days, mode first", first, 42 * 24 * time.Hour, true, "call-d1", 0, 41 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, ok := PlanCatchUp(tc.p, dates(tc.p), all(len(tc.p.Steps)), due.Add(tc.age))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if got := tc.p.Steps[plan.Run].Name; got != tc.run || len(plan.Skip) != tc.skip || plan.Shift != tc.shift {
				t.Fatalf("plan runs %s, skips %v, shift %s; want %s, %d skipped, %s", got, plan.Skip, plan.Shift, tc.run, tc.skip, tc.shift)
			}
		})
	}
	// The formal notice already sent: a 42-day-old case goes to the agency.
	p := DefaultPolicy()
	pending := all(len(p.Steps))
	for i := range 5 {
		pending[i] = false
	}
	plan, ok := PlanCatchUp(p, dates(p), pending, due.Add(42*24*time.Hour))
	if !ok || p.Steps[plan.Run].Name != "agency-d39" || !slices.Equal(plan.Skip, []int{5, 6}) {
		t.Fatalf("after the formal notice: %+v", plan)
	}
}

func TestPolicyValidatesCatchUp(t *testing.T) {
	p := DefaultPolicy()
	p.CatchUp = "all"
	if err := p.Validate(); err == nil || err.(FieldError).Field != "catch_up" {
		t.Fatalf("catch_up all: %v", err)
	}
}
