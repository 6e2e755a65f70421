package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relance/relance/internal/domain"
)

// PaymentEvent is a provider event reduced to what the ledger needs.
type PaymentEvent struct {
	ID   string
	Type string
	// Payment is true for money received. Reversal, when set, is the
	// ledger kind of money going back (refund, chargeback,
	// chargeback_reversal). Events that are neither move no money we
	// book: they are recorded (so the provider stops retrying) and ignored.
	Payment  bool
	Reversal string
	// ReversalID identifies a reversal at the provider (the refund's or
	// the dispute's ID); PaymentEventID names the payment it reverses by
	// its event ID (generic scheme) when ProviderRef does not.
	ReversalID     string
	PaymentEventID string
	ProviderRef    string
	AmountCents    int64
	Currency       string
	ReceivedAt     time.Time
	InvoiceNumber  string
	DebtorID       string
	Method         string
	// Reference is the remittance reference of a transfer; an ISO 11649
	// reference the portal gave names its invoice (see resolveReference).
	Reference string
}

// ErrMalformed means the body is not an event of the provider's format.
var ErrMalformed = errors.New("malformed event")

func malformed(field, reason string) error {
	return fmt.Errorf("%w: %w", ErrMalformed, domain.FieldError{Field: field, Reason: reason})
}

// decode unmarshals exactly one JSON value.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return malformed(fieldPath("", typeErr.Field, "body"), "has the wrong type")
		}
		return malformed("body", "is not valid JSON")
	}
	if dec.More() {
		return malformed("body", "holds more than one JSON value")
	}
	return nil
}

// fieldPath joins a JSON field path under prefix; whole names the value itself.
func fieldPath(prefix, field, whole string) string {
	switch {
	case field == "":
		return whole
	case prefix == "":
		return field
	}
	return prefix + "." + field
}

// Stripe event types that book a payment. A succeeded payment intent
// and its charge report the same money: both name the payment intent,
// which the ledger books once.
const (
	stripePaymentIntentSucceeded = "payment_intent.succeeded"
	stripeChargeSucceeded        = "charge.succeeded"
)

type stripeEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type stripeObject struct {
	ID             string            `json:"id"`
	Amount         int64             `json:"amount"`
	AmountReceived int64             `json:"amount_received"`
	Currency       string            `json:"currency"`
	Metadata       map[string]string `json:"metadata"`
	// PaymentIntent is the intent's ID on a charge (an object when expanded).
	PaymentIntent json.RawMessage `json:"payment_intent"`
	// PaymentMethodTypes on an intent; PaymentMethodDetails.Type on a charge.
	PaymentMethodTypes   []string `json:"payment_method_types"`
	PaymentMethodDetails struct {
		Type string `json:"type"`
	} `json:"payment_method_details"`
}

// ParseStripeEvent reads a Stripe-style event:
//
//	{"id": "evt_…", "type": "payment_intent.succeeded", "created": 1772445600,
//	 "data": {"object": {"id": "pi_…", "amount": 12000, "currency": "eur",
//	                     "metadata": {"invoice_number": "F-2026-0042", "debtor_id": "C-001"}}}}
//
// payment_intent.succeeded and charge.succeeded book a payment (amount in
// minor units; amount_received when present); other types are ignored.
func ParseStripeEvent(body []byte) (PaymentEvent, error) {
	var ev stripeEvent
	if err := decode(body, &ev); err != nil {
		return PaymentEvent{}, err
	}
	if ev.ID == "" {
		return PaymentEvent{}, malformed("id", "is required")
	}
	if ev.Type == "" {
		return PaymentEvent{}, malformed("type", "is required")
	}
	out := PaymentEvent{ID: ev.ID, Type: ev.Type}
	if kind, ok := stripeReversals[ev.Type]; ok {
		return parseStripeReversal(out, ev, kind)
	}
	if ev.Type != stripePaymentIntentSucceeded && ev.Type != stripeChargeSucceeded {
		return out, nil
	}
	if ev.Created <= 0 {
		return PaymentEvent{}, malformed("created", "must be a unix time")
	}
	if len(ev.Data.Object) == 0 || ev.Data.Object[0] != '{' {
		return PaymentEvent{}, malformed("data.object", "must be an object")
	}
	var obj stripeObject
	if err := json.Unmarshal(ev.Data.Object, &obj); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return PaymentEvent{}, malformed(fieldPath("data.object", typeErr.Field, "data.object"), "has the wrong type")
		}
		return PaymentEvent{}, malformed("data.object", "is not valid JSON")
	}
	if obj.ID == "" {
		return PaymentEvent{}, malformed("data.object.id", "is required")
	}
	out.Payment = true
	out.AmountCents = obj.Amount
	if obj.AmountReceived > 0 {
		out.AmountCents = obj.AmountReceived
	}
	out.Currency = strings.ToUpper(obj.Currency)
	out.ReceivedAt = time.Unix(ev.Created, 0).UTC()
	out.InvoiceNumber = strings.TrimSpace(obj.Metadata["invoice_number"])
	out.DebtorID = strings.TrimSpace(obj.Metadata["debtor_id"])
	out.ProviderRef = obj.ID
	if ev.Type == stripeChargeSucceeded {
		var intent string
		if json.Unmarshal(obj.PaymentIntent, &intent) == nil && intent != "" {
			out.ProviderRef = intent
		}
		var expanded struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(obj.PaymentIntent, &expanded) == nil && expanded.ID != "" {
			out.ProviderRef = expanded.ID
		}
		out.Method = obj.PaymentMethodDetails.Type
	} else if len(obj.PaymentMethodTypes) > 0 {
		out.Method = obj.PaymentMethodTypes[0]
	}
	return out, nil
}

// Stripe event types that move money back, and the ledger kind each books.
// A refund is booked once it succeeded (created or updated, whichever
// says so first: both name the refund, booked once). A dispute takes the
// money when created; the funds come back when it is won.
var stripeReversals = map[string]string{
	"refund.created":                  domain.EntryRefund,
	"refund.updated":                  domain.EntryRefund,
	"charge.dispute.created":          domain.EntryChargeback,
	"charge.dispute.funds_reinstated": domain.EntryChargebackReversal,
	"charge.dispute.funds_withdrawn":  domain.EntryChargeback,
	"charge.dispute.closed":           domain.EntryChargebackReversal,
}

type stripeReversalObject struct {
	ID            string          `json:"id"`
	Amount        int64           `json:"amount"`
	Currency      string          `json:"currency"`
	Status        string          `json:"status"`
	PaymentIntent json.RawMessage `json:"payment_intent"`
}

// parseStripeReversal reads a refund or a dispute object. A refund not
// (yet) succeeded and a dispute closed other than won move no money.
func parseStripeReversal(out PaymentEvent, ev stripeEvent, kind string) (PaymentEvent, error) {
	if ev.Created <= 0 {
		return PaymentEvent{}, malformed("created", "must be a unix time")
	}
	var obj stripeReversalObject
	if len(ev.Data.Object) == 0 || ev.Data.Object[0] != '{' || json.Unmarshal(ev.Data.Object, &obj) != nil {
		return PaymentEvent{}, malformed("data.object", "must be a refund or dispute object")
	}
	if obj.ID == "" {
		return PaymentEvent{}, malformed("data.object.id", "is required")
	}
	switch {
	case kind == domain.EntryRefund && obj.Status != "succeeded":
		return out, nil
	case ev.Type == "charge.dispute.closed" && obj.Status != "won":
		return out, nil
	}
	var intent string
	if json.Unmarshal(obj.PaymentIntent, &intent) != nil || intent == "" {
		var expanded struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(obj.PaymentIntent, &expanded) == nil {
			intent = expanded.ID
		}
	}
	if intent == "" {
		return PaymentEvent{}, malformed("data.object.payment_intent", "is required")
	}
	out.Reversal, out.ReversalID, out.ProviderRef = kind, obj.ID, intent
	out.AmountCents, out.Currency = obj.Amount, strings.ToUpper(obj.Currency)
	if kind == domain.EntryChargebackReversal {
		out.AmountCents = 0 // whatever the dispute took comes back
	}
	out.ReceivedAt = time.Unix(ev.Created, 0).UTC()
	return out, nil
}

// GenericPaymentType is the one event type of the generic scheme that
// books a payment.
const GenericPaymentType = "payment.received"

// Generic event types that move money back, naming the payment by its
// event ID in payment_id; a chargeback reversal names the chargeback's
// event ID in chargeback_id instead.
var genericReversals = map[string]string{
	"payment.refunded":            domain.EntryRefund,
	"payment.charged_back":        domain.EntryChargeback,
	"payment.chargeback_reversed": domain.EntryChargebackReversal,
}

type genericEvent struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	PaymentID     string `json:"payment_id"`
	ChargebackID  string `json:"chargeback_id"`
	OccurredAt    string `json:"occurred_at"`
	AmountCents   int64  `json:"amount_cents"`
	Currency      string `json:"currency"`
	InvoiceNumber string `json:"invoice_number"`
	DebtorID      string `json:"debtor_id"`
	Method        string `json:"method"`
	Reference     string `json:"reference"`
}

// ParseGenericEvent reads the generic scheme's event, documented for
// banks and PSPs:
//
//	{"id": "line-2026-03-01-0042", "type": "payment.received",
//	 "occurred_at": "2026-03-01T09:30:00Z", "amount_cents": 12000, "currency": "EUR",
//	 "invoice_number": "F-2026-0042", "debtor_id": "C-001", "method": "sepa_credit_transfer"}
//
// id is unique per sender; invoice_number or debtor_id says whose payment
// it is, or reference: the ISO 11649 "RF…" reference the portal gave for
// an invoice, as the debtor typed it in the transfer. Types other than payment.received are ignored.
func ParseGenericEvent(body []byte) (PaymentEvent, error) {
	var ev genericEvent
	if err := decode(body, &ev); err != nil {
		return PaymentEvent{}, err
	}
	if ev.ID == "" {
		return PaymentEvent{}, malformed("id", "is required")
	}
	if ev.Type == "" {
		return PaymentEvent{}, malformed("type", "is required")
	}
	out := PaymentEvent{ID: ev.ID, Type: ev.Type}
	kind, reversal := genericReversals[ev.Type]
	if ev.Type != GenericPaymentType && !reversal {
		return out, nil
	}
	at, err := time.Parse(time.RFC3339, ev.OccurredAt)
	if err != nil {
		return PaymentEvent{}, malformed("occurred_at", "must be an RFC 3339 time")
	}
	if reversal {
		out.Reversal, out.ReversalID = kind, ev.ID
		out.AmountCents, out.Currency, out.ReceivedAt = ev.AmountCents, strings.ToUpper(ev.Currency), at.UTC()
		switch {
		case kind == domain.EntryChargebackReversal && ev.ChargebackID == "":
			return PaymentEvent{}, malformed("chargeback_id", "is required")
		case kind == domain.EntryChargebackReversal:
			out.ReversalID = ev.ChargebackID
		case ev.PaymentID == "":
			return PaymentEvent{}, malformed("payment_id", "is required")
		}
		out.PaymentEventID = ev.PaymentID
		return out, nil
	}
	out.Payment = true
	out.AmountCents = ev.AmountCents
	out.Currency = strings.ToUpper(ev.Currency)
	out.ReceivedAt = at.UTC()
	out.InvoiceNumber = strings.TrimSpace(ev.InvoiceNumber)
	out.DebtorID = strings.TrimSpace(ev.DebtorID)
	out.Method = ev.Method
	out.Reference = strings.TrimSpace(ev.Reference)
	return out, nil
}
