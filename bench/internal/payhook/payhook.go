// Package payhook builds signed Stripe-style payment events, the way the
// payments service receives them, and posts them.
package payhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Event is one payment event.
type Event struct {
	ID            string
	Type          string // payment_intent.succeeded or charge.succeeded
	Intent        string // the payment intent both types name
	AmountCents   int64
	InvoiceNumber string
	DebtorID      string
	Created       time.Time
}

// Body is the event's JSON as the provider sends it.
func (e Event) Body() []byte {
	obj := map[string]any{
		"id": e.Intent, "amount": e.AmountCents, "currency": "eur",
		"metadata":             map[string]string{"invoice_number": e.InvoiceNumber, "debtor_id": e.DebtorID},
		"payment_method_types": []string{"card"},
	}
	if e.Type == "charge.succeeded" {
		obj["id"] = "ch_" + strings.TrimPrefix(e.Intent, "pi_")
		obj["payment_intent"] = e.Intent
		obj["payment_method_details"] = map[string]string{"type": "card"}
	}
	b, _ := json.Marshal(map[string]any{"id": e.ID, "type": e.Type, "created": e.Created.Unix(), "data": map[string]any{"object": obj}})
	return b
}

// Signature is the Stripe-Signature header of body signed with secret at t.
func Signature(secret string, body []byte, t time.Time) string {
	ts := fmt.Sprint(t.Unix())
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Post sends body with the signature header to url and returns the status.
func Post(ctx context.Context, c *http.Client, url string, body []byte, signature string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signature)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
