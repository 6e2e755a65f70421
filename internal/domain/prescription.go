package domain

import (
	"fmt"
	"time"
)

// Limitation periods of a claim for payment (prescription extinctive).
const (
	// PrescriptionYearsBusiness: obligations between traders, or between
	// traders and non-traders, prescribe after 5 years (Code de commerce
	// L110-4).
	PrescriptionYearsBusiness = 5
	// PrescriptionYearsConsumer: a professional's action for the goods or
	// services it supplied to a consumer prescribes after 2 years (Code de
	// la consommation L218-2).
	PrescriptionYearsConsumer = 2
)

// InterruptionKind is what interrupts a limitation period.
type InterruptionKind string

const (
	// InterruptionAcknowledgement: the debtor acknowledges the debt (Code
	// civil 2240).
	InterruptionAcknowledgement InterruptionKind = "acknowledgement"
	// InterruptionPartPayment: a part payment is an acknowledgement (2240).
	InterruptionPartPayment InterruptionKind = "part_payment"
	// InterruptionLegalAction: a claim in court, even in summary
	// proceedings, such as a request for an injonction de payer (2241).
	InterruptionLegalAction InterruptionKind = "legal_action"
)

// Valid reports whether k is a known kind.
func (k InterruptionKind) Valid() bool {
	switch k {
	case InterruptionAcknowledgement, InterruptionPartPayment, InterruptionLegalAction:
		return true
	}
	return false
}

// Interruption is one event that interrupted the period, on a civil date.
type Interruption struct {
	Kind InterruptionKind `json:"kind"`
	At   time.Time        `json:"at"`
}

// PrescriptionYears is the limitation period of a debtor's claims.
func PrescriptionYears(business bool) int {
	if business {
		return PrescriptionYearsBusiness
	}
	return PrescriptionYearsConsumer
}

// PrescriptionBasis names the article of the period.
func PrescriptionBasis(business bool) string {
	if business {
		return "C. com. L110-4"
	}
	return "C. consom. L218-2"
}

// PrescriptionAt is the last day the creditor may still act on an invoice:
// the period runs from the due date (a claim with a term prescribes only
// from its term, Code civil 2233) and each interruption before it ends
// starts a new period of the same length (2231). An interruption after the
// claim prescribed revives nothing. A legal action keeps interrupting
// until the proceedings end (2242): counting it from the day it was
// brought gives the earliest possible date, never a late one.
//
// The period ends on the day bearing the number of its first day (2229: the
// claim prescribes once that last day is over); a period starting on 29
// February ends on the 28th.
func PrescriptionAt(business bool, due time.Time, interruptions []Interruption) time.Time {
	years := PrescriptionYears(business)
	end := addYears(civilDate(due), years)
	for {
		moved := false
		for _, i := range interruptions {
			at := civilDate(i.At)
			if at.After(civilDate(due)) && !at.After(end) {
				if e := addYears(at, years); e.After(end) {
					end, moved = e, true
				}
			}
		}
		// A later interruption may fall inside a period an earlier one
		// opened: go round until nothing moves.
		if !moved {
			return end
		}
	}
}

// addYears adds whole years keeping the day of the month, the last day of
// February standing for the 29th in a common year.
func addYears(t time.Time, years int) time.Time {
	y, m, d := t.Date()
	out := time.Date(y+years, m, d, 0, 0, 0, 0, time.UTC)
	if out.Day() != d {
		out = time.Date(y+years, m+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return out
}

// ErrPrescribed is returned when a claim is past its prescription date: no
// agency or court may be asked to collect it.
type ErrPrescribed struct {
	InvoiceID      string
	PrescriptionAt time.Time
}

func (e ErrPrescribed) Error() string {
	return fmt.Sprintf("invoice %s prescribed after %s: no agency or court handoff", e.InvoiceID, e.PrescriptionAt.Format(time.DateOnly))
}

// Prescribed reports whether a claim whose last day is at is prescribed on
// the civil date of now.
func Prescribed(at, now time.Time) bool {
	return !at.IsZero() && civilDate(now).After(civilDate(at))
}
