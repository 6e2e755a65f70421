// Package form turns the console's posted forms into the API's requests.
// It only reads what people type (an amount in euros, a list of
// installments); every rule about what is allowed stays in the API. A
// value it cannot read is reported on the API's field name, so errors show
// the same way whoever found them.
package form

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Errors maps an API field name to the reason its value was not read.
type Errors map[string]string

// Amount reads an amount in major units ("1 234,56", "1234.56", "80")
// into minor units.
func Amount(s string) (int64, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "€", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, false
	}
	// A comma is the French decimal mark; a dot the English one.
	s = strings.Replace(s, ",", ".", 1)
	units, frac, hasFrac := strings.Cut(s, ".")
	if units == "" {
		units = "0"
	}
	if strings.HasPrefix(units, "-") || strings.HasPrefix(units, "+") {
		return 0, false
	}
	n, err := strconv.ParseInt(units, 10, 64)
	if err != nil || n > 1_000_000_000_000 {
		return 0, false
	}
	cents := n * 100
	if hasFrac {
		if len(frac) == 0 || len(frac) > 2 {
			return 0, false
		}
		if len(frac) == 1 {
			frac += "0"
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
		cents += f
	}
	return cents, true
}

// amountField reads an optional amount of field into out.
func amountField(vals url.Values, field string, errs Errors, required bool) int64 {
	s := strings.TrimSpace(vals.Get(field))
	if s == "" {
		if required {
			errs[field] = "is required"
		}
		return 0
	}
	n, ok := Amount(s)
	if !ok {
		errs[field] = "must be an amount such as 1 234,56"
	}
	return n
}

// Completion is POST /v1/tasks/{id}/complete.
type Completion struct {
	Outcome    string          `json:"outcome"`
	Note       string          `json:"note,omitempty"`
	CallbackAt string          `json:"callback_at,omitempty"`
	Promise    *PromiseRequest `json:"promise,omitempty"`
	Dispute    *DisputeRequest `json:"dispute,omitempty"`
}

// PromiseRequest is a promise to pay.
type PromiseRequest struct {
	AmountCents int64  `json:"amount_cents"`
	Date        string `json:"date"`
}

// DisputeRequest opens a dispute from a call.
type DisputeRequest struct {
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason"`
}

// ParseCompletion reads the call-outcome form; its fields are named as the
// API's ("promise.amount_cents", in euros here).
func ParseCompletion(vals url.Values) (Completion, Errors) {
	errs := Errors{}
	c := Completion{Outcome: vals.Get("outcome"), Note: strings.TrimSpace(vals.Get("note")), CallbackAt: strings.TrimSpace(vals.Get("callback_at"))}
	switch c.Outcome {
	case "promise":
		c.Promise = &PromiseRequest{AmountCents: amountField(vals, "promise.amount_cents", errs, true), Date: strings.TrimSpace(vals.Get("promise.date"))}
	case "dispute":
		c.Dispute = &DisputeRequest{AmountCents: amountField(vals, "dispute.amount_cents", errs, false), Reason: strings.TrimSpace(vals.Get("dispute.reason"))}
	}
	return c, errs
}

// Promise reads the case's promise form.
func Promise(vals url.Values) (PromiseRequest, Errors) {
	errs := Errors{}
	return PromiseRequest{AmountCents: amountField(vals, "amount_cents", errs, true), Date: strings.TrimSpace(vals.Get("date"))}, errs
}

// Installment is one installment of a plan.
type Installment struct {
	DueDate     string `json:"due_date"`
	AmountCents int64  `json:"amount_cents"`
}

// PlanRequest is an installment plan.
type PlanRequest struct {
	Installments []Installment `json:"installments"`
}

// Plan reads one installment per line: "2026-12-28 500,00".
func Plan(vals url.Values) (PlanRequest, Errors) {
	errs := Errors{}
	var p PlanRequest
	for _, line := range strings.Split(vals.Get("installments"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		i := len(p.Installments)
		date, amount, _ := strings.Cut(line, " ")
		n, ok := Amount(amount)
		if !ok {
			errs[fmt.Sprintf("installments[%d].amount_cents", i)] = "must be an amount such as 1 234,56"
		}
		p.Installments = append(p.Installments, Installment{DueDate: date, AmountCents: n})
	}
	return p, errs
}

// Text reads the trimmed text fields of a form into a request body.
func Text(vals url.Values, fields ...string) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		if v := strings.TrimSpace(vals.Get(f)); v != "" {
			out[f] = v
		}
	}
	return out
}
