// Package channels defines how Relance reaches a debtor: the small
// interfaces each adapter implements (e-mail, SMS, post) and the errors
// that tell the caller whether a send may be retried. The adapters live in
// the sub-packages: email (SendGrid), sms (Twilio), postal (file drop and
// registered-mail HTTP API), outbox (the dev default), letter (PDF), agency
// (handoff packs) and templates (French and English texts).
package channels

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Email is one rendered e-mail.
type Email struct {
	To          string
	ToName      string
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
	// CustomArgs come back on every provider event (invoice_id,
	// interaction_id), so feedback finds its case.
	CustomArgs map[string]string
}

// Attachment is a file joined to an e-mail.
type Attachment struct {
	Filename    string
	ContentType string
	Content     []byte
}

// Mailer sends e-mails. It returns the provider's message ID.
type Mailer interface {
	Provider() string
	SendEmail(ctx context.Context, m Email) (string, error)
}

// SMS is one rendered text message.
type SMS struct {
	To   string // E.164
	Body string
	// StatusCallback is where the provider reports delivery; "" for none.
	StatusCallback string
	// Reference is the interaction ID, for adapters that keep files.
	Reference string
}

// Texter sends text messages. It returns the provider's message ID.
type Texter interface {
	Provider() string
	SendSMS(ctx context.Context, m SMS) (string, error)
}

// Letter is a PDF to post to one recipient.
type Letter struct {
	// Reference is the interaction ID: file names and the provider's custom ID.
	Reference  string
	Registered bool // lettre recommandée avec accusé de réception
	// Recipient is the postal address: at most 6 lines of 38 characters.
	Recipient []string
	PDF       []byte
}

// Posted is what a postal adapter reports once it took a letter.
type Posted struct {
	ID             string // the provider's sending ID
	TrackingNumber string // registered-letter number, when known
	FilePath       string // where the PDF was written, for file-based adapters
}

// Poster posts letters.
type Poster interface {
	Provider() string
	Post(ctx context.Context, l Letter) (Posted, error)
}

// RejectedError is a provider's final refusal of a recipient or message:
// the channel cannot be used for it, another attempt would fail the same
// way, and the workflow falls back to its next channel.
type RejectedError struct {
	// Reason is a short code recorded on the interaction: opted_out,
	// phone_unusable, invalid_request...
	Reason string
	Err    error
}

func (e *RejectedError) Error() string { return fmt.Sprintf("rejected (%s): %v", e.Reason, e.Err) }
func (e *RejectedError) Unwrap() error { return e.Err }

// Reasons a provider rejects a recipient for good.
const (
	ReasonOptedOut      = "opted_out"
	ReasonPhoneUnusable = "phone_unusable"
	ReasonEmailInvalid  = "email_invalid"
	ReasonInvalid       = "invalid_request"
)

// NotAcceptedError means the provider certainly did not take the message
// (HTTP 429 or 5xx, connection refused): retrying cannot send it twice.
// Any other error leaves the outcome unknown.
type NotAcceptedError struct{ Err error }

func (e *NotAcceptedError) Error() string { return fmt.Sprintf("not accepted: %v", e.Err) }
func (e *NotAcceptedError) Unwrap() error { return e.Err }

// IsRejected returns the rejection inside err, if any.
func IsRejected(err error) (*RejectedError, bool) {
	var r *RejectedError
	ok := errors.As(err, &r)
	return r, ok
}

// IsNotAccepted reports whether err says the provider did not take the message.
func IsNotAccepted(err error) bool {
	var n *NotAcceptedError
	return errors.As(err, &n)
}

// Address is a postal address with the name it is for.
type Address struct {
	Name       string
	Lines      []string // street lines, building, complement
	PostalCode string
	City       string
	Country    string // ISO 3166 alpha-2; "" or FR for France
}

// MaxLineRunes and MaxLines are the French postal standard (NF Z10-011)
// that registered-mail APIs enforce: 6 lines of 38 characters.
const (
	MaxLineRunes = 38
	MaxLines     = 6
)

// Complete reports whether the address can receive a letter.
func (a Address) Complete() bool {
	return strings.TrimSpace(a.Name) != "" && len(a.Lines) > 0 && a.PostalCode != "" && a.City != ""
}

var countryNames = map[string]string{
	"BE": "BELGIQUE", "CH": "SUISSE", "DE": "ALLEMAGNE", "ES": "ESPAGNE", "GB": "ROYAUME-UNI",
	"IT": "ITALIE", "LU": "LUXEMBOURG", "NL": "PAYS-BAS", "US": "ETATS-UNIS",
}
