package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/webhook"
)

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{
		"1234,56": 123456, "1 234,56": 123456, "1\u00a0234,56 €": 123456, "1234.56": 123456,
		"1234": 123400, "0,5": 50, ",75": 75, "12.3": 1230,
	} {
		got, err := parseAmount(in)
		if err != nil || got != want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1,234,5", "12,345", "-5", "1e3", "9999999999999"} {
		if _, err := parseAmount(in); err == nil {
			t.Errorf("parseAmount(%q) accepted", in)
		}
	}
}

func TestCheckAmountRefusesZeroAndMoreThanTheBalance(t *testing.T) {
	for _, tc := range []struct {
		cents, balance int64
		ok             bool
	}{{1, 100, true}, {100, 100, true}, {0, 100, false}, {101, 100, false}} {
		err := checkAmount(tc.cents, tc.balance)
		var ie *inputError
		if tc.ok != (err == nil) || (err != nil && (!errors.As(err, &ie) || ie.Status != http.StatusUnprocessableEntity)) {
			t.Errorf("checkAmount(%d, %d) = %v", tc.cents, tc.balance, err)
		}
	}
}

func TestLimiterBlocksAfterMaxFailuresUntilTheWindowPasses(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute)
	l.Now = func() time.Time { return now }
	for range 3 {
		if l.Blocked("1.2.3.4") {
			t.Fatal("blocked before its failures")
		}
		l.Fail("1.2.3.4")
	}
	if !l.Blocked("1.2.3.4") {
		t.Fatal("not blocked after 3 failures")
	}
	if l.Blocked("5.6.7.8") {
		t.Fatal("another client is blocked")
	}
	now = now.Add(time.Minute)
	if l.Blocked("1.2.3.4") {
		t.Fatal("still blocked after the window")
	}
}

func TestPortalTokensAreLongRandomAndURLSafe(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, err := store.NewPortalToken()
		if err != nil {
			t.Fatal(err)
		}
		if !store.WellFormedPortalToken(tok) || strings.ContainsAny(tok, "+/=") || seen[tok] {
			t.Fatalf("token %q: well formed %v, seen %v", tok, store.WellFormedPortalToken(tok), seen[tok])
		}
		seen[tok] = true
	}
	if store.PortalTokenBytes*8 < 128 {
		t.Fatalf("tokens carry %d bits, want at least 128", store.PortalTokenBytes*8)
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", store.PortalTokenLen+1), strings.Repeat("!", store.PortalTokenLen)} {
		if store.WellFormedPortalToken(bad) {
			t.Errorf("%q taken as a token", bad)
		}
	}
}

// Stripe is faked at its HTTP boundary: the real stripe-go client sends
// a payment-mode session naming the invoices on the session and on its
// payment intent, and the portal follows the session's URL.
func TestStripeCheckoutSendsTheInvoicesInTheMetadata(t *testing.T) {
	var form url.Values
	var auth, idem string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(body))
		auth, idem = r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "cs_test_1", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_1"})
	}))
	defer fake.Close()
	sc := NewStripeCheckout("sk_test_123", fake.URL, fake.Client())
	id, redirect, err := sc.Start(context.Background(), CheckoutRequest{
		ID: "co_1", AmountCents: 12_345, Currency: "EUR", Label: "Facture F-1", Email: "a@b.example", Lang: fr,
		Metadata:   map[string]string{"invoice_number": "F-1", "debtor_id": "C-1", "invoice_numbers": "F-1"},
		SuccessURL: "https://portal.example/p/x?done=paid", CancelURL: "https://portal.example/p/x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != "cs_test_1" || redirect != "https://checkout.stripe.com/c/pay/cs_test_1" {
		t.Fatalf("session %q, url %q", id, redirect)
	}
	if auth != "Bearer sk_test_123" || idem != "relance-co_1" {
		t.Errorf("authorization %q, idempotency key %q", auth, idem)
	}
	for k, want := range map[string]string{
		"mode": "payment", "client_reference_id": "co_1", "locale": "fr", "customer_email": "a@b.example",
		"line_items[0][price_data][unit_amount]": "12345", "line_items[0][price_data][currency]": "eur",
		"line_items[0][quantity]": "1", "metadata[invoice_number]": "F-1", "metadata[debtor_id]": "C-1",
		"payment_intent_data[metadata][invoice_number]": "F-1", "payment_intent_data[metadata][debtor_id]": "C-1",
		"success_url": "https://portal.example/p/x?done=paid",
	} {
		if got := form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// The local checkout posts the event Stripe would, signed so that the
// payments service's verifier accepts it, with the invoices in metadata.
func TestLocalCheckoutPostsASignedPaymentIntentEvent(t *testing.T) {
	secret := []byte("whsec_test")
	now := time.Now()
	var got map[string]any
	var verr error
	payments := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		verr = webhook.Stripe{Secrets: [][]byte{secret}, Tolerance: webhook.DefaultTolerance}.Verify(r.Header, body, time.Now())
		_ = json.Unmarshal(body, &got)
		w.WriteHeader(http.StatusOK)
	}))
	defer payments.Close()
	l := &LocalCheckout{WebhookURL: payments.URL, Secret: secret, HTTP: payments.Client()}
	c := store.Checkout{ID: "co_9", AmountCents: 48_000, Currency: "EUR"}
	if err := l.post(context.Background(), c, map[string]string{"invoice_number": "F-2"}, now); err != nil {
		t.Fatal(err)
	}
	if verr != nil {
		t.Fatalf("signature refused: %v", verr)
	}
	obj := got["data"].(map[string]any)["object"].(map[string]any)
	if got["type"] != "payment_intent.succeeded" || got["id"] != "evt_local_co_9" || obj["amount"] != float64(48_000) ||
		obj["currency"] != "eur" || obj["metadata"].(map[string]any)["invoice_number"] != "F-2" {
		t.Fatalf("event %v", got)
	}
}

func TestRedactHidesTheToken(t *testing.T) {
	for in, want := range map[string]string{"/p/SECRET": "/p/…", "/p/SECRET/pay": "/p/…/pay", "/checkout/co_1": "/checkout/co_1"} {
		if got := redact(in); got != want || strings.Contains(got, "SECRET") {
			t.Errorf("redact(%q) = %q", in, got)
		}
	}
}

func TestEveryMessageKeyHasBothLanguages(t *testing.T) {
	for k, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("%s lacks a language: %q", k, m)
		}
	}
	for _, r := range disputeReasons {
		if _, ok := messages["reason_"+r]; !ok {
			t.Errorf("no text for reason %s", r)
		}
	}
}
