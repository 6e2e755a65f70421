package domain

import (
	"testing"
	"time"
)

func TestPrescriptionAt(t *testing.T) {
	due := date(2025, 3, 10)
	for _, tc := range []struct {
		name     string
		business bool
		due      time.Time
		events   []Interruption
		want     time.Time
	}{
		{"business: 5 years from the due date (L110-4, 2233)", true, due, nil, date(2030, 3, 10)},
		{"consumer: 2 years (L218-2)", false, due, nil, date(2027, 3, 10)},
		// Worked example: a consumer pays part on 20 January 2026 and
		// acknowledges the debt in writing on 5 February 2027: each starts
		// a new 2-year period (2240, 2231); the last one ends on 5 February 2029.
		{"consumer, part payment then acknowledgement", false, due, []Interruption{
			{InterruptionAcknowledgement, date(2027, 2, 5)},
			{InterruptionPartPayment, date(2026, 1, 20)},
		}, date(2029, 2, 5)},
		// The acknowledgement of 2027-06-01 comes after the claim
		// prescribed on 2027-03-10: it revives nothing.
		{"consumer, acknowledgement too late", false, due, []Interruption{
			{InterruptionAcknowledgement, date(2027, 6, 1)},
		}, date(2027, 3, 10)},
		// Only once the part payment of 2026-12-01 moved the end to
		// 2028-12-01 does the acknowledgement of 2028-01-15 fall inside.
		{"interruptions in any order", false, due, []Interruption{
			{InterruptionAcknowledgement, date(2028, 1, 15)},
			{InterruptionPartPayment, date(2026, 12, 1)},
		}, date(2030, 1, 15)},
		{"legal action (2241)", true, due, []Interruption{{InterruptionLegalAction, date(2026, 9, 1)}}, date(2031, 9, 1)},
		{"an event before the due date interrupts nothing", true, due, []Interruption{{InterruptionPartPayment, date(2025, 3, 1)}}, date(2030, 3, 10)},
		{"29 February", false, date(2024, 2, 29), nil, date(2026, 2, 28)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PrescriptionAt(tc.business, tc.due, tc.events); !got.Equal(tc.want) {
				t.Errorf("PrescriptionAt = %s, want %s", got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
			}
		})
	}
}

func TestPrescribed(t *testing.T) {
	at := date(2027, 3, 10)
	if Prescribed(at, date(2027, 3, 10).Add(23*time.Hour)) {
		t.Error("the last day itself is not prescribed yet (2229)")
	}
	if !Prescribed(at, date(2027, 3, 11)) {
		t.Error("the day after the last day is prescribed")
	}
	if Prescribed(time.Time{}, date(2027, 3, 11)) {
		t.Error("an unknown date is not prescribed")
	}
}
