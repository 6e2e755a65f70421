// Package analytics computes the finance reports of the receivables: the
// KPIs (DSO, CEI, aging, recovery…) per currency for a period and a
// filter. Each figure is a pure function of the facts loaded from
// Postgres (invoices and their money movements, promises, plans,
// disputes), so the worked examples in the tests check the definitions
// themselves, and the definition of each figure is written beside its code
// (and, for API users, in services/api/openapi.yaml).
//
// Dates are Paris calendar dates at midnight UTC; a period is a closed
// range of dates [From, To]; "at the end of day t" means after every
// movement dated t.
package analytics

import "time"

// MovementKind is what lowered an invoice's balance.
type MovementKind string

// The kinds of movement on an invoice.
const (
	// Payment is money received and allocated to the invoice.
	Payment MovementKind = "payment"
	// Credit is a credit note (avoir), including the credit granted when a
	// dispute is resolved for the debtor.
	Credit MovementKind = "credit"
)

// Movement is one amount that lowered an invoice's balance on a date.
type Movement struct {
	Kind MovementKind
	// On is the Paris date of the movement, At its instant (the KPIs work
	// on dates, the effectiveness of actions on instants).
	On    time.Time
	At    time.Time
	Cents int64
}

// Invoice is one receivable with its history. Cancelled invoices are not
// receivables and are never loaded.
type Invoice struct {
	ID          string
	DebtorID    string
	Currency    string
	AmountCents int64
	Issued      time.Time
	Due         time.Time
	// Movements are the payments and credits, in any order.
	Movements []Movement
	// WrittenOff is the date the balance left was written off (zero when
	// it was not): the balance is then 0 from that date on.
	WrittenOff time.Time
	// AtAgency is true while the invoice is handed to a collection agency;
	// it still counts as outstanding (the debt is still ours).
	AtAgency bool
}

// Promise is a promise to pay on an invoice.
type Promise struct {
	InvoiceID string
	Currency  string
	Status    string // pending, kept, broken, cancelled
	Resolved  time.Time
	// Made is the Paris date the promise was made; Date the date promised.
	Made        time.Time
	Date        time.Time
	AmountCents int64
}

// Plan is an installment plan on an invoice.
type Plan struct {
	Currency string
	Status   string // proposed, active, completed, broken, cancelled
	Resolved time.Time
}

// Dispute is a dispute on an invoice; Opened and Resolved are instants,
// OpenedOn the Paris date it was opened.
type Dispute struct {
	InvoiceID   string
	AmountCents int64
	Currency    string
	Opened      time.Time
	OpenedOn    time.Time
	Resolved    time.Time // zero while open
	// ResolvedOn is the Paris date of Resolved.
	ResolvedOn time.Time
}

// Facts are everything the KPIs are computed from.
type Facts struct {
	Invoices []Invoice
	Promises []Promise
	Plans    []Plan
	Disputes []Dispute
}

// parisLoc is the zone of the calendar the reports count days in.
var parisLoc = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		// No tz database: UTC is the closest honest answer (off by an hour
		// or two around midnight).
		return time.UTC
	}
	return loc
}()

// days is the number of calendar days from a to b (dates at midnight UTC).
func days(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }

// writeOffCents is what was written off: the balance left at the end of
// the write-off date, before the write-off.
func (inv Invoice) writeOffCents() int64 {
	if inv.WrittenOff.IsZero() {
		return 0
	}
	return max(0, inv.AmountCents-inv.movedBy(inv.WrittenOff, ""))
}

// movedBy sums the movements of kind (any kind when "") dated on or before t.
func (inv Invoice) movedBy(t time.Time, kind MovementKind) int64 {
	var n int64
	for _, m := range inv.Movements {
		if !m.On.After(t) && (kind == "" || m.Kind == kind) {
			n += m.Cents
		}
	}
	return n
}

// BalanceAt is what the debtor owes at the end of day t: the amount less
// the payments and credits dated on or before t, 0 once written off, and
// nothing (0) before the invoice was issued. Never negative: an overpayment
// is the debtor's credit, not a negative receivable.
func (inv Invoice) BalanceAt(t time.Time) int64 {
	if t.Before(inv.Issued) || (!inv.WrittenOff.IsZero() && !t.Before(inv.WrittenOff)) {
		return 0
	}
	return max(0, inv.AmountCents-inv.movedBy(t, ""))
}

// settledOn is the date of the payment that brought the balance to 0, when
// a payment did (zero otherwise: still owed, credited or written off).
func (inv Invoice) settledOn() time.Time {
	ms := append([]Movement(nil), inv.Movements...)
	sortMovements(ms)
	left := inv.AmountCents
	for _, m := range ms {
		if !inv.WrittenOff.IsZero() && m.On.After(inv.WrittenOff) {
			break
		}
		left -= m.Cents
		if left <= 0 {
			if m.Kind == Payment {
				return m.On
			}
			return time.Time{}
		}
	}
	return time.Time{}
}
