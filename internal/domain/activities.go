package domain

import "time"

// Names of the activities the collection workflow calls. The worker
// registers the methods of activities.Activities under these names, so the
// workflow package needs nothing but this one.
const (
	ActivityLoadCase        = "LoadCase"
	ActivityRecordCase      = "RecordCase"
	ActivityCheckContact    = "CheckContact"
	ActivitySendMessage     = "SendMessage"
	ActivityCreateCallTask  = "CreateCallTask"
	ActivityCloseTasks      = "CloseTasks"
	ActivityHandOffToAgency = "HandOffToAgency"
)

// ErrTypePermanent marks a non-retryable activity error (bad input, a
// provider's permanent 4xx, an opted-out recipient). Retry policies list it.
const ErrTypePermanent = "Permanent"

// LoadCaseInput asks for the facts of an invoice and the policy snapshot.
type LoadCaseInput struct {
	InvoiceID string `json:"invoice_id"`
}

// CaseRecord is one transition written to Postgres: the case projection
// and, when Event is set, a timeline entry. EventKey makes the write
// idempotent across activity retries.
type CaseRecord struct {
	InvoiceID     string         `json:"invoice_id"`
	DebtorID      string         `json:"debtor_id"`
	Status        CaseStatus     `json:"status"`
	Stage         string         `json:"stage"`
	BalanceCents  int64          `json:"balance_cents"`
	Currency      string         `json:"currency"`
	PolicyName    string         `json:"policy_name"`
	PolicyVersion int            `json:"policy_version"`
	CollectorID   string         `json:"collector_id,omitempty"`
	NextActionAt  time.Time      `json:"next_action_at,omitempty"`
	PauseReason   string         `json:"pause_reason,omitempty"`
	EventKey      string         `json:"event_key,omitempty"`
	Event         *TimelineEvent `json:"event,omitempty"`
	// More carries further timeline entries of the same transition, so a
	// workflow wake-up writes its whole timeline in one activity.
	More []KeyedEvent `json:"more,omitempty"`
	// CloseTasks, when set, closes the case's open call tasks in the same
	// transaction, with this reason.
	CloseTasks string `json:"close_tasks,omitempty"`
	// Commitments are the promises', plans' and installments' new statuses.
	Commitments []CommitmentStatus `json:"commitments,omitempty"`
}

// KeyedEvent is a timeline entry with its idempotency key.
type KeyedEvent struct {
	Key   string        `json:"key"`
	Event TimelineEvent `json:"event"`
}

// TimelineEvent is an entry on the case timeline.
type TimelineEvent struct {
	Kind    string         `json:"kind"` // e.g. step_done, step_skipped, payment, promise_broken
	Message string         `json:"message"`
	Data    map[string]any `json:"data,omitempty"`
	At      time.Time      `json:"at"`
}

// ContactCheckInput asks whether a channel may be used now for a debtor.
type ContactCheckInput struct {
	DebtorID string    `json:"debtor_id"`
	Channel  Channel   `json:"channel"`
	At       time.Time `json:"at"`
}

// ContactDecision is the contact rules' answer.
type ContactDecision struct {
	Allowed bool `json:"allowed"`
	// Skip means the channel cannot be used (opt-out, no address, unusable):
	// fall back to the next channel. When neither Allowed nor Skip, wait
	// until NotBefore and ask again.
	Skip      bool      `json:"skip"`
	NotBefore time.Time `json:"not_before,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// SendInput asks a channel to send one message of a rung. IdempotencyKey
// (case + rung + attempt) is recorded before the provider is called, so a
// retry never sends twice.
type SendInput struct {
	InvoiceID      string  `json:"invoice_id"`
	DebtorID       string  `json:"debtor_id"`
	Rung           string  `json:"rung"`
	Attempt        int     `json:"attempt"`
	Channel        Channel `json:"channel"`
	Action         Action  `json:"action"`
	Template       string  `json:"template"`
	Attach         bool    `json:"attach,omitempty"`
	BalanceCents   int64   `json:"balance_cents"`
	Currency       string  `json:"currency"`
	IdempotencyKey string  `json:"idempotency_key"`
}

// SendResult says what happened to the message.
type SendResult struct {
	InteractionID string `json:"interaction_id"`
	// Sent is false when the channel could not be used (opt-out, unusable
	// number, permanent rejection): the step falls back.
	Sent   bool   `json:"sent"`
	Reason string `json:"reason,omitempty"`
}

// CallTaskInput asks for a call task for a collector.
type CallTaskInput struct {
	InvoiceID      string    `json:"invoice_id"`
	DebtorID       string    `json:"debtor_id"`
	Rung           string    `json:"rung"`
	CollectorID    string    `json:"collector_id,omitempty"`
	BalanceCents   int64     `json:"balance_cents"`
	Currency       string    `json:"currency"`
	DaysOverdue    int       `json:"days_overdue"`
	BrokenPromises int       `json:"broken_promises"`
	DueAt          time.Time `json:"due_at"`
	DeadlineAt     time.Time `json:"deadline_at"`
	IdempotencyKey string    `json:"idempotency_key"`
}

// CallTaskResult identifies the task created (or found, on retry).
type CallTaskResult struct {
	TaskID      string `json:"task_id"`
	CollectorID string `json:"collector_id"`
}

// CloseTasksInput closes a case's open tasks (case ended or moved on).
type CloseTasksInput struct {
	InvoiceID string `json:"invoice_id"`
	Reason    string `json:"reason"`
}

// HandoffInput hands a case to the collection agency.
type HandoffInput struct {
	InvoiceID      string `json:"invoice_id"`
	DebtorID       string `json:"debtor_id"`
	BalanceCents   int64  `json:"balance_cents"`
	Currency       string `json:"currency"`
	IdempotencyKey string `json:"idempotency_key"`
}

// HandoffResult identifies the handoff.
type HandoffResult struct {
	HandoffID string `json:"handoff_id"`
	Reference string `json:"reference,omitempty"`
}
