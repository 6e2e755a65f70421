package domain

import "time"

// Bounds on what people type, shared by the API (which answers 422 naming
// the field, and documents them in its OpenAPI document) and the
// workflow's validators (which refuse an update carrying more).
const (
	// MaxReasonLen bounds a reason in bytes: hold, resume, write-off,
	// cancel, credit note, dispute.
	MaxReasonLen = 500
	// MaxNoteLen bounds a note in bytes: case notes, call outcomes.
	MaxNoteLen = 4000
)

// Date horizons: how far ahead a date may be.
const (
	// DefaultPromiseMaxAhead is how far ahead a promise may be dated when
	// the policy says nothing.
	DefaultPromiseMaxAhead = Duration(90 * 24 * time.Hour)
	// MaxHoldAhead bounds a hold's end set by a collector; a manager may
	// go up to MaxDateAhead.
	MaxHoldAhead = Duration(366 * 24 * time.Hour)
	// MaxDateAhead bounds every other date (plan installments, callbacks,
	// a manager's hold): five years.
	MaxDateAhead = Duration(5 * 366 * 24 * time.Hour)
)

// PromiseMaxAhead is how far ahead the policy lets a promise be dated.
func (p Policy) PromiseMaxAhead() time.Duration {
	if p.MaxPromiseAhead > 0 {
		return p.MaxPromiseAhead.Std()
	}
	return DefaultPromiseMaxAhead.Std()
}
