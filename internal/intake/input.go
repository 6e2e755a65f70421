// Package intake brings debtors and invoices in from an ERP: it validates
// them, writes them idempotently (the invoice number is the key) with an
// audit line, and starts the case of every invoice that is due.
package intake

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/pgtext"
)

// DateLayout is how calendar dates are written in every input.
const DateLayout = "2006-01-02"

// maxAmountCents bounds an invoice at a hundred billion units: anything
// larger is a unit mistake (euros sent as cents of cents), not a debt.
const maxAmountCents = 10_000_000_000_000

// InvoiceInput is one invoice as an ERP sends it.
type InvoiceInput struct {
	Number      string `json:"number"`
	DebtorID    string `json:"debtor_id"`
	IssueDate   string `json:"issue_date"`
	DueDate     string `json:"due_date"`
	Currency    string `json:"currency"`
	AmountCents int64  `json:"amount_cents"`
	Description string `json:"description,omitempty"`
	PaymentLink string `json:"payment_link,omitempty"`
}

// Normalize trims the text fields and upper-cases the currency.
func (in InvoiceInput) Normalize() InvoiceInput {
	in.Number = strings.TrimSpace(in.Number)
	in.DebtorID = strings.TrimSpace(in.DebtorID)
	in.IssueDate = strings.TrimSpace(in.IssueDate)
	in.DueDate = strings.TrimSpace(in.DueDate)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	in.Description = strings.TrimSpace(in.Description)
	in.PaymentLink = strings.TrimSpace(in.PaymentLink)
	return in
}

// Validate checks a normalized input and names the first field at fault.
func (in InvoiceInput) Validate() *domain.FieldError {
	if err := checkID("number", in.Number); err != nil {
		return err
	}
	if err := checkID("debtor_id", in.DebtorID); err != nil {
		return err
	}
	issue, err := parseDate("issue_date", in.IssueDate)
	if err != nil {
		return err
	}
	due, err := parseDate("due_date", in.DueDate)
	if err != nil {
		return err
	}
	if due.Before(issue) {
		return &domain.FieldError{Field: "due_date", Reason: "is before the issue date"}
	}
	if !domain.ValidCurrency(in.Currency) {
		return &domain.FieldError{Field: "currency", Reason: "must be a three-letter ISO 4217 code such as EUR"}
	}
	if in.AmountCents <= 0 {
		return &domain.FieldError{Field: "amount_cents", Reason: "must be greater than zero"}
	}
	if in.AmountCents > maxAmountCents {
		return &domain.FieldError{Field: "amount_cents", Reason: "is implausibly large (minor units expected)"}
	}
	if len(in.Description) > 2000 || pgtext.CheckString(in.Description) != nil {
		return &domain.FieldError{Field: "description", Reason: "must be valid UTF-8 without NUL, of at most 2000 bytes"}
	}
	if in.PaymentLink != "" {
		u, perr := url.Parse(in.PaymentLink)
		if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &domain.FieldError{Field: "payment_link", Reason: "must be an absolute http(s) URL"}
		}
	}
	return nil
}

// checkID accepts the identifiers ERPs use (numbers, letters, - _ / . ·)
// but no control characters, which would end up in logs and PDFs.
func checkID(field, v string) *domain.FieldError {
	if v == "" {
		return &domain.FieldError{Field: field, Reason: "is required"}
	}
	if len(v) > 64 {
		return &domain.FieldError{Field: field, Reason: "is longer than 64 bytes"}
	}
	if !utf8.ValidString(v) {
		return &domain.FieldError{Field: field, Reason: "is not valid UTF-8"}
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return &domain.FieldError{Field: field, Reason: "contains a control character"}
		}
	}
	return nil
}

func parseDate(field, v string) (time.Time, *domain.FieldError) {
	if v == "" {
		return time.Time{}, &domain.FieldError{Field: field, Reason: "is required"}
	}
	t, err := time.Parse(DateLayout, v)
	if err != nil {
		return time.Time{}, &domain.FieldError{Field: field, Reason: fmt.Sprintf("must be a date such as 2026-01-31, got %q", v)}
	}
	if t.Year() < 1990 || t.Year() > 2200 {
		return time.Time{}, &domain.FieldError{Field: field, Reason: "is out of range"}
	}
	return t, nil
}

// Line is one input line: the parsed invoice, or why it was rejected
// before reaching the store.
type Line struct {
	// Line is the file line (CSV, the header being line 1) or the 1-based
	// position in a JSON array.
	Line     int
	Input    InvoiceInput
	Rejected *domain.FieldError
}

// FileError is a malformed file: nothing of it is imported.
type FileError struct {
	Line   int    // 0 when not about one line
	Field  string // the column at fault, when known
	Reason string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}
