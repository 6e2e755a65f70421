package apiclient

import (
	"encoding/json"
	"time"
)

// The answers the console reads: the fields it shows, named as in the
// API's OpenAPI document (services/api/openapi.yaml).

// Me is the signed-in user.
type Me struct {
	UserID      string     `json:"user_id"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	CollectorID string     `json:"collector_id"`
	Language    string     `json:"language"`
	TokenID     string     `json:"token_id"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

// Session is the answer of a sign-in.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

// User is an account.
type User struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	CollectorID string     `json:"collector_id"`
	Language    string     `json:"language"`
	HasPassword bool       `json:"has_password"`
	LockedUntil *time.Time `json:"locked_until"`
	Disabled    bool       `json:"disabled"`
}

// Token is an API token (no secret).
type Token struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	CollectorID string     `json:"collector_id"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

// WorkItem is a task of the worklist.
type WorkItem struct {
	TaskID         string          `json:"task_id"`
	Kind           string          `json:"kind"`
	Status         string          `json:"status"`
	InvoiceID      string          `json:"invoice_id"`
	InvoiceNumber  string          `json:"invoice_number"`
	DebtorID       string          `json:"debtor_id"`
	DebtorName     string          `json:"debtor_name"`
	CollectorID    string          `json:"collector_id"`
	ClaimedBy      string          `json:"claimed_by"`
	DueAt          time.Time       `json:"due_at"`
	BalanceCents   int64           `json:"balance_cents"`
	Currency       string          `json:"currency"`
	DaysOverdue    int             `json:"days_overdue"`
	BrokenPromises int             `json:"broken_promises"`
	Score          int64           `json:"priority_score"`
	Script         json.RawMessage `json:"script"`
	Outcome        string          `json:"outcome"`
	Note           string          `json:"note"`
}

// CallScript is what a collector reads during a call, in the debtor's language.
type CallScript struct {
	Language      string `json:"language"`
	Opening       string `json:"opening"`
	Ask           string `json:"ask"`
	Phone         string `json:"phone"`
	AmountDue     string `json:"amount_due"`
	PaymentLink   string `json:"payment_link"`
	BrokenPromise int    `json:"broken_promises"`
	LastPromise   *struct {
		Amount string `json:"amount"`
		Date   string `json:"date"`
		Status string `json:"status"`
	} `json:"last_promise"`
}

// ParsedScript decodes the task's call script (nil when it has none).
func (w WorkItem) ParsedScript() *CallScript {
	if len(w.Script) == 0 || string(w.Script) == "null" {
		return nil
	}
	var s CallScript
	if json.Unmarshal(w.Script, &s) != nil {
		return nil
	}
	return &s
}

// Worklist is GET /v1/worklist.
type Worklist struct {
	Items []WorkItem `json:"items"`
}

// CaseRow is a case in a list.
type CaseRow struct {
	InvoiceID     string     `json:"invoice_id"`
	InvoiceNumber string     `json:"invoice_number"`
	DebtorID      string     `json:"debtor_id"`
	DebtorName    string     `json:"debtor_name"`
	Segment       string     `json:"segment"`
	CollectorID   string     `json:"collector_id"`
	Status        string     `json:"status"`
	Stage         string     `json:"stage"`
	PolicyName    string     `json:"policy_name"`
	PolicyVersion int        `json:"policy_version"`
	AmountCents   int64      `json:"amount_cents"`
	BalanceCents  int64      `json:"balance_cents"`
	Currency      string     `json:"currency"`
	DueDate       string     `json:"due_date"`
	DaysOverdue   int        `json:"days_overdue"`
	NextActionAt  *time.Time `json:"next_action_at"`
	PauseReason   string     `json:"pause_reason"`
}

// CaseList is GET /v1/cases.
type CaseList struct {
	Items      []CaseRow `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// Invoice is an invoice.
type Invoice struct {
	ID           string `json:"id"`
	Number       string `json:"number"`
	DebtorID     string `json:"debtor_id"`
	IssueDate    string `json:"issue_date"`
	DueDate      string `json:"due_date"`
	Currency     string `json:"currency"`
	AmountCents  int64  `json:"amount_cents"`
	BalanceCents int64  `json:"balance_cents"`
	Status       string `json:"status"`
	Description  string `json:"description"`
}

// TimelineEntry is a case event.
type TimelineEntry struct {
	InvoiceID  string    `json:"invoice_id"`
	Kind       string    `json:"kind"`
	Message    string    `json:"message"`
	OccurredAt time.Time `json:"occurred_at"`
}

// CaseDetail is GET /v1/cases/{id}.
type CaseDetail struct {
	Case     CaseRow         `json:"case"`
	Invoice  Invoice         `json:"invoice"`
	Tasks    []WorkItem      `json:"tasks"`
	Timeline []TimelineEntry `json:"timeline"`
}

// CaseState is the answer of an action on a case.
type CaseState struct {
	Status string `json:"status"`
	Stage  string `json:"stage"`
	Pause  string `json:"pause"`
}

// CompleteResponse is the answer of a task completion.
type CompleteResponse struct {
	Task WorkItem  `json:"task"`
	Case CaseState `json:"case"`
}

// Debtor is a debtor.
type Debtor struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone"`
	Language    string   `json:"language"`
	City        string   `json:"city"`
	Segment     string   `json:"segment"`
	CollectorID string   `json:"collector_id"`
	Address     []string `json:"address_lines"`
}

// Interaction is a message, letter or call.
type Interaction struct {
	ID          string     `json:"id"`
	InvoiceID   string     `json:"invoice_id"`
	Channel     string     `json:"channel"`
	Direction   string     `json:"direction"`
	Rung        string     `json:"rung"`
	Template    string     `json:"template"`
	Status      string     `json:"status"`
	Subject     string     `json:"subject"`
	BodyText    string     `json:"body_text"`
	FileURL     string     `json:"file_url"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"sent_at"`
	AmountCents int64      `json:"amount_cents"`
	Currency    string     `json:"currency"`
}

// TimelineItem is one entry of the debtor's timeline.
type TimelineItem struct {
	At          time.Time      `json:"at"`
	Type        string         `json:"type"`
	InvoiceID   string         `json:"invoice_id"`
	Event       *TimelineEntry `json:"event"`
	Interaction *Interaction   `json:"interaction"`
}

// Balance is a debtor's total in one currency.
type Balance struct {
	Currency         string `json:"currency"`
	OutstandingCents int64  `json:"outstanding_cents"`
	OverdueCents     int64  `json:"overdue_cents"`
	OpenInvoices     int    `json:"open_invoices"`
}

// InvoiceWithCase is an invoice of the debtor and its case.
type InvoiceWithCase struct {
	Invoice
	Case *CaseRow `json:"case"`
}

// Payment is a payment received.
type Payment struct {
	ID          string    `json:"id"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	ReceivedAt  time.Time `json:"received_at"`
	Method      string    `json:"method"`
	Reference   string    `json:"reference"`
}

// Promise is a promise to pay.
type Promise struct {
	ID           string `json:"id"`
	InvoiceID    string `json:"invoice_id"`
	AmountCents  int64  `json:"amount_cents"`
	Currency     string `json:"currency"`
	PromisedDate string `json:"promised_date"`
	Status       string `json:"status"`
}

// Plan is an installment plan.
type Plan struct {
	ID           string `json:"id"`
	InvoiceID    string `json:"invoice_id"`
	Status       string `json:"status"`
	Installments []struct {
		Seq         int    `json:"seq"`
		DueDate     string `json:"due_date"`
		AmountCents int64  `json:"amount_cents"`
		Status      string `json:"status"`
	} `json:"installments"`
}

// Dispute is a dispute.
type Dispute struct {
	ID          string `json:"id"`
	InvoiceID   string `json:"invoice_id"`
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason"`
	Status      string `json:"status"`
}

// Debtor360 is GET /v1/debtors/{id}/360.
type Debtor360 struct {
	Debtor   Debtor            `json:"debtor"`
	Balances []Balance         `json:"balances"`
	Invoices []InvoiceWithCase `json:"invoices"`
	Payments []Payment         `json:"payments"`
	Promises []Promise         `json:"promises"`
	Plans    []Plan            `json:"plans"`
	Disputes []Dispute         `json:"disputes"`
	Tasks    []WorkItem        `json:"tasks"`
	Timeline []TimelineItem    `json:"timeline"`
}

// AgingBucket is what is owed by age.
type AgingBucket struct {
	Bucket       string `json:"bucket"`
	BalanceCents int64  `json:"balance_cents"`
	Invoices     int    `json:"invoices"`
}

// KPIs are one currency's figures of GET /v1/reports/kpis.
type KPIs struct {
	Currency                string        `json:"currency"`
	ReceivablesCents        int64         `json:"receivables_cents"`
	OverdueReceivablesCents int64         `json:"overdue_receivables_cents"`
	DSOSimpleDays           *float64      `json:"dso_simple_days"`
	DSOCountbackDays        *float64      `json:"dso_countback_days"`
	CEIPercent              *float64      `json:"cei_percent"`
	Aging                   []AgingBucket `json:"aging"`
	CollectedCents          int64         `json:"collected_cents"`
	PromisesKept            int           `json:"promises_kept"`
	PromisesBroken          int           `json:"promises_broken"`
	PromiseKeptRate         *float64      `json:"promise_kept_rate"`
	DisputedInvoices        int           `json:"disputed_invoices"`
}

// KPIReport is GET /v1/reports/kpis: a period and its figures per currency.
type KPIReport struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Currencies []KPIs `json:"currencies"`
}

// ImportLine is one line of an import report.
type ImportLine struct {
	Line      int    `json:"line"`
	Number    string `json:"number"`
	Outcome   string `json:"outcome"`
	Field     string `json:"field"`
	Reason    string `json:"reason"`
	InvoiceID string `json:"invoice_id"`
	Case      string `json:"case"`
}

// ImportReport is the answer of POST /v1/invoices:bulk.
type ImportReport struct {
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Rejected  int          `json:"rejected"`
	Lines     []ImportLine `json:"lines"`
}
