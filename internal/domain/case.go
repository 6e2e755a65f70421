package domain

import "time"

// CaseStatus is where a collection case stands. Terminal statuses end the workflow.
type CaseStatus string

const (
	StatusActive     CaseStatus = "active"      // walking the ladder
	StatusPaused     CaseStatus = "paused"      // promise, plan, dispute or hold
	StatusPaid       CaseStatus = "paid"        // settled (terminal)
	StatusCredited   CaseStatus = "credited"    // credited after a dispute or credit note (terminal)
	StatusWrittenOff CaseStatus = "written_off" // written off (terminal)
	StatusCancelled  CaseStatus = "cancelled"   // invoice cancelled (terminal)
	StatusAgency     CaseStatus = "agency"      // handed to a collection agency (terminal for internal dunning)
)

// Terminal reports whether the status ends the case.
func (s CaseStatus) Terminal() bool {
	switch s {
	case StatusPaid, StatusCredited, StatusWrittenOff, StatusCancelled, StatusAgency:
		return true
	}
	return false
}

// PauseKind names why a case is paused.
type PauseKind string

const (
	PauseNone     PauseKind = ""
	PausePromise  PauseKind = "promise"
	PausePlan     PauseKind = "plan"
	PauseDispute  PauseKind = "dispute"
	PauseHold     PauseKind = "hold"
	PauseCallback PauseKind = "callback"
)

// Names of the collection workflow's messages. Updates answer the caller
// with a validated result; signals are fire-and-forget.
const (
	UpdatePayment        = "payment"
	UpdatePromise        = "promise"
	UpdatePlan           = "plan"
	UpdateOpenDispute    = "open-dispute"
	UpdateResolveDispute = "resolve-dispute"
	UpdateHold           = "hold"
	UpdateResume         = "resume"
	UpdateWriteOff       = "write-off"
	UpdateCancel         = "cancel"
	UpdateCompleteTask   = "complete-task"
	UpdateCredit         = "credit"
	UpdateReassign       = "reassign"
	UpdateTerms          = "terms"
	// UpdateStart is the no-op update used with UpdateWithStart so intake
	// learns the case state in the same call that (maybe) starts it.
	UpdateStart = "start"

	SignalDelivery     = "delivery"
	SignalAgencyReport = "agency-report"

	QueryState = "state"
)

// CaseInput starts a collection workflow. IDs only: personal data is loaded
// by activities and never enters the history.
type CaseInput struct {
	InvoiceID string `json:"invoice_id"`
	// Resume carries the state of a case across continue-as-new.
	Resume *CaseState `json:"resume,omitempty"`
}

// CaseResult is what a finished case returns.
type CaseResult struct {
	Status        CaseStatus `json:"status"`
	BalanceCents  int64      `json:"balance_cents"`
	PaidCents     int64      `json:"paid_cents"`
	OverpaidCents int64      `json:"overpaid_cents"`
}

// CaseFacts are the non-personal facts of an invoice and its debtor that the
// workflow needs to decide; loaded once at start by an activity.
type CaseFacts struct {
	InvoiceID     string    `json:"invoice_id"`
	InvoiceNumber string    `json:"invoice_number"`
	DebtorID      string    `json:"debtor_id"`
	Currency      string    `json:"currency"`
	AmountCents   int64     `json:"amount_cents"`
	BalanceCents  int64     `json:"balance_cents"`
	DueDate       time.Time `json:"due_date"`
	Segment       string    `json:"segment"`
	RiskRating    string    `json:"risk_rating"`
	CollectorID   string    `json:"collector_id,omitempty"`
	Policy        Policy    `json:"policy"`
	// Contact lets the case compute when a rung will really run (business
	// calendar, contact window); nil for cases started before it existed,
	// which show the policy's dates.
	Contact *ContactCalendar `json:"contact,omitempty"`
}

// RungStatus is where one rung of the ladder stands.
type RungStatus string

const (
	RungPending RungStatus = "pending"
	RungDone    RungStatus = "done"
	RungSkipped RungStatus = "skipped"
	RungFailed  RungStatus = "failed"
)

// Rung is a step of the case's policy snapshot and what became of it.
type Rung struct {
	Step   Step       `json:"step"`
	Status RungStatus `json:"status"`
	At     time.Time  `json:"at,omitempty"`
	Note   string     `json:"note,omitempty"`
	// Channel actually used when done.
	Channel Channel `json:"channel,omitempty"`
	// Attempts counts sends / tasks made for the rung; it makes the
	// idempotency key of each attempt (case + rung + attempt).
	Attempts int `json:"attempts,omitempty"`
	// ChannelIndex is the channel of Step.EffectiveChannels() to try next.
	ChannelIndex int `json:"channel_index,omitempty"`
	// NotBefore delays the rung (contact rules, callback time).
	NotBefore time.Time `json:"not_before,omitempty"`
	// InteractionID of the message sent, to match delivery events.
	InteractionID string `json:"interaction_id,omitempty"`
	// TaskID of the call task created.
	TaskID string `json:"task_id,omitempty"`
}

// PromiseToPay is a debtor's commitment to pay an amount by a date.
type PromiseToPay struct {
	ID          string    `json:"id"`
	AmountCents int64     `json:"amount_cents"`
	Date        time.Time `json:"date"`
	// PaidAtStart is the amount already paid when the promise was made, so
	// "kept" means PaidCents - PaidAtStart >= AmountCents.
	PaidAtStart int64 `json:"paid_at_start"`
}

// Installment is one due payment of a plan.
type Installment struct {
	DueDate     time.Time `json:"due_date"`
	AmountCents int64     `json:"amount_cents"`
}

// PaymentPlan (échéancier) splits the balance into installments.
type PaymentPlan struct {
	ID           string        `json:"id"`
	Installments []Installment `json:"installments"`
	// PaidAtStart is the amount paid before the plan began.
	PaidAtStart int64 `json:"paid_at_start"`
	// Next is the index of the first installment not yet checked.
	Next int `json:"next"`
	// Reminded is how many installments have had their reminder.
	Reminded int `json:"reminded"`
}

// Dispute (litige) on the whole invoice or an amount.
type Dispute struct {
	ID string `json:"id"`
	// AmountCents is the disputed amount; equal to the balance for a whole dispute.
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason"`
}

// CaseState is the whole state of a case, returned by the state query and
// carried across continue-as-new.
type CaseState struct {
	Facts          CaseFacts     `json:"facts"`
	Status         CaseStatus    `json:"status"`
	Stage          string        `json:"stage"`
	BalanceCents   int64         `json:"balance_cents"`
	PaidCents      int64         `json:"paid_cents"`
	OverpaidCents  int64         `json:"overpaid_cents"`
	CreditedCents  int64         `json:"credited_cents"`
	Rungs          []Rung        `json:"rungs"`
	NextRung       int           `json:"next_rung"`
	NextActionAt   time.Time     `json:"next_action_at,omitempty"`
	Pause          PauseKind     `json:"pause,omitempty"`
	PauseReason    string        `json:"pause_reason,omitempty"`
	HoldUntil      time.Time     `json:"hold_until,omitempty"`
	Promise        *PromiseToPay `json:"promise,omitempty"`
	Plan           *PaymentPlan  `json:"plan,omitempty"`
	Disputes       []Dispute     `json:"disputes,omitempty"`
	OpenTaskID     string        `json:"open_task_id,omitempty"`
	AppliedIDs     []string      `json:"applied_ids,omitempty"` // payment / event IDs already applied (dedupe)
	BrokenPromises int           `json:"broken_promises"`
	// PreviousStepAt anchors steps whose offset counts from the previous step.
	PreviousStepAt time.Time `json:"previous_step_at,omitempty"`
	// StartedAt anchors the first step counted from the previous one.
	StartedAt time.Time `json:"started_at,omitempty"`
	// Held is a hold placed by a person (HoldUntil zero: until resumed).
	Held       bool   `json:"held,omitempty"`
	HoldReason string `json:"hold_reason,omitempty"`
	// PausedAt is when the current pause began; Shift is the time spent
	// paused so far, which postpones the rungs still to come.
	PausedAt time.Time `json:"paused_at,omitempty"`
	Shift    Duration  `json:"shift,omitempty"`
	// EscalateNext runs the next rung now instead of at its time (broken
	// promise or plan, delivery fallback).
	EscalateNext bool `json:"escalate_next,omitempty"`
	// CatchUp asks the main loop to catch up before the next rung (a term
	// change moved the due date).
	CatchUp bool `json:"catch_up,omitempty"`
	// EventSeq numbers timeline entries; their idempotency keys derive from it.
	EventSeq  int    `json:"event_seq"`
	HandoffID string `json:"handoff_id,omitempty"`
}

// DisputedCents is the amount under open disputes.
func (s CaseState) DisputedCents() int64 {
	var n int64
	for _, d := range s.Disputes {
		n += d.AmountCents
	}
	return n
}

// DunnableCents is the balance the ladder may still claim: what is owed
// minus what is disputed.
func (s CaseState) DunnableCents() int64 {
	return max(0, s.BalanceCents-s.DisputedCents())
}

// --- update and signal payloads ---

// PaymentUpdate applies money received to the case. ID makes it idempotent.
type PaymentUpdate struct {
	ID          string    `json:"id"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	ReceivedAt  time.Time `json:"received_at"`
	Source      string    `json:"source,omitempty"` // provider, manual, bank, agency
	// Ledger is the invoice's ledger as the door read it when it delivered
	// the payment; the case takes it as the truth. Absent on payments
	// queued before the ledger owned money: the case then subtracts.
	Ledger *LedgerBalance `json:"ledger,omitempty"`
}

// PromiseUpdate records a promise to pay.
type PromiseUpdate struct {
	ID          string    `json:"id"`
	AmountCents int64     `json:"amount_cents"`
	Date        time.Time `json:"date"`
}

// PlanUpdate sets up an installment plan for the remaining balance.
type PlanUpdate struct {
	ID           string        `json:"id"`
	Installments []Installment `json:"installments"`
}

// DisputeUpdate opens a dispute; AmountCents 0 means the whole balance.
type DisputeUpdate struct {
	ID          string `json:"id"`
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason"`
}

// DisputeResolution closes a dispute.
type DisputeResolution struct {
	ID string `json:"id"`
	// ForDebtor credits CreditCents (0 means the disputed amount).
	ForDebtor   bool  `json:"for_debtor"`
	CreditCents int64 `json:"credit_cents"`
}

// HoldUpdate pauses a case; Until zero means until resumed.
type HoldUpdate struct {
	Reason string    `json:"reason"`
	Until  time.Time `json:"until,omitempty"`
}

// ReasonUpdate carries a reason (resume, write-off, cancel).
type ReasonUpdate struct {
	Reason string `json:"reason"`
}

// CreditUpdate applies a credit note.
type CreditUpdate struct {
	ID          string `json:"id"`
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason,omitempty"`
}

// TermsUpdate carries an invoice's corrected terms from a re-import: a
// new due date, an amount at least the current one (a lower amount is a
// credit note). ID makes it idempotent.
type TermsUpdate struct {
	ID          string    `json:"id"`
	DueDate     time.Time `json:"due_date"`
	AmountCents int64     `json:"amount_cents"`
}

// ReassignUpdate changes the case's collector.
type ReassignUpdate struct {
	CollectorID string `json:"collector_id"`
}

// CallOutcome is how a call task ended.
type CallOutcome string

const (
	OutcomeReached     CallOutcome = "reached"
	OutcomePromise     CallOutcome = "promise"
	OutcomeDispute     CallOutcome = "dispute"
	OutcomeNoAnswer    CallOutcome = "no_answer"
	OutcomeWrongNumber CallOutcome = "wrong_number"
	OutcomeCallback    CallOutcome = "callback"
)

// TaskCompletion completes the case's open call task.
type TaskCompletion struct {
	TaskID     string         `json:"task_id"`
	Outcome    CallOutcome    `json:"outcome"`
	Note       string         `json:"note,omitempty"`
	CallbackAt time.Time      `json:"callback_at,omitempty"`
	Promise    *PromiseUpdate `json:"promise,omitempty"`
	Dispute    *DisputeUpdate `json:"dispute,omitempty"`
}

// DeliveryEvent reports what became of an outbound message.
type DeliveryEvent struct {
	EventID       string    `json:"event_id"`
	InteractionID string    `json:"interaction_id"`
	Channel       Channel   `json:"channel"`
	Kind          string    `json:"kind"` // bounced, undeliverable, opted_out, acknowledged, delivered
	At            time.Time `json:"at"`
}

// AgencyReport is what a collection agency reports back.
type AgencyReport struct {
	EventID   string     `json:"event_id"`
	PaidCents int64      `json:"paid_cents,omitempty"`
	Status    CaseStatus `json:"status,omitempty"` // paid, written_off when the agency closes the file
	Note      string     `json:"note,omitempty"`
	At        time.Time  `json:"at"`
}
