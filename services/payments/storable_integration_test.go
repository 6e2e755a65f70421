//go:build integration

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/webhook"
)

// A signed body Postgres cannot store (a \u0000 escape, a lone surrogate)
// is the sender's fault: 400 naming "body", nothing written, where the
// INSERT into webhook_events.payload (jsonb) used to fail with a 500.
func TestIntegrationUnstorableBodiesAreRefusedWithNothingWritten(t *testing.T) {
	f := newFixture(t)
	bank := func(body string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/bank", strings.NewReader(body))
		webhook.SignHMAC(req.Header, []byte(body), testNow, bankKey)
		return req
	}
	stripe := func(body string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/stripe", strings.NewReader(body))
		req.Header.Set(webhook.StripeHeader, webhook.SignStripe([]byte(body), testNow, stripeKey))
		return req
	}
	_, token, err := store.CreateToken(context.Background(), f.st.Pool, "erp", store.RoleService, "")
	if err != nil {
		t.Fatal(err)
	}
	manual := func(body string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/v1/payments", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
	auditBefore := f.count("audit_log")
	for name, req := range map[string]*http.Request{
		"stripe NUL in the event id": stripe(`{"id":"evt_\u0000","type":"payment_intent.succeeded","created":1772445600,
			"data":{"object":{"id":"pi_1","amount":1000,"currency":"eur","metadata":{"invoice_number":"F-1"}}}}`),
		"stripe NUL in metadata of a bookable event": stripe(`{"id":"evt_2","type":"payment_intent.succeeded","created":1772445600,
			"data":{"object":{"id":"pi_2","amount":1000,"currency":"eur","metadata":{"invoice_number":"F-1","note":"a\u0000b"}}}}`),
		"stripe NUL in an ignored event": stripe(`{"id":"evt_3","type":"customer.created","data":{"object":{"name":"\u0000"}}}`),
		"stripe lone surrogate":          stripe(`{"id":"evt_4","type":"customer.created","data":{"object":{"name":"\ud83d"}}}`),
		"bank NUL in the invoice number": bank(`{"id":"line-1","type":"payment.received","occurred_at":"2026-03-01T09:30:00Z",
			"amount_cents":1000,"currency":"EUR","invoice_number":"F-1\u0000"}`),
		"manual NUL in the reference": manual(`{"reference":"r\u0000","amount_cents":1000,"currency":"EUR","debtor_id":"C-1"}`),
	} {
		t.Run(name, func(t *testing.T) {
			res := f.do(req)
			if res.Code != http.StatusBadRequest || res.Body["field"] != "body" || res.Body["title"] == nil {
				t.Fatalf("%d %s, want a 400 problem naming body", res.Code, res.Raw)
			}
			counts := f.counts()
			counts["audit_log"] -= auditBefore
			wantCounts(t, counts, map[string]int{})
			if bal, status := f.balance("inv1"); bal != 10000 || status != "open" {
				t.Fatalf("inv1 changed to %d %s", bal, status)
			}
		})
	}
	// An escaped backslash before "u0000" is text, not NUL: it books.
	res := f.do(stripe(`{"id":"evt_5","type":"payment_intent.succeeded","created":1772445600,
		"data":{"object":{"id":"pi_5","amount":1000,"currency":"eur","metadata":{"invoice_number":"F-1","note":"C:\\u0000"}}}}`))
	if res.Code != http.StatusOK || res.Body["status"] != "processed" {
		t.Fatalf("escaped backslash: %d %s", res.Code, res.Raw)
	}
	var stored string
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT payload->'data'->'object'->'metadata'->>'note' FROM webhook_events WHERE event_id = 'evt_5'`).Scan(&stored); err != nil || stored != `C:\u0000` {
		t.Fatalf("stored note %q (%v)", stored, err)
	}
}
