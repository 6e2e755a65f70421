package domain

// Statuses of promises, plans and installments in Postgres (the API creates
// the rows; the case keeps their status current).
const (
	CommitmentKept      = "kept"      // promise
	CommitmentBroken    = "broken"    // promise or plan
	CommitmentCompleted = "completed" // plan
	CommitmentCancelled = "cancelled" // promise or plan
	CommitmentPaid      = "paid"      // installment
	CommitmentMissed    = "missed"    // installment
)

// CommitmentStatus is a new status of a promise (PromiseID), a plan
// (PlanID) or one of its installments (PlanID and Installment, from 1).
type CommitmentStatus struct {
	PromiseID   string `json:"promise_id,omitempty"`
	PlanID      string `json:"plan_id,omitempty"`
	Installment int    `json:"installment,omitempty"`
	Status      string `json:"status"`
}
