package payhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/relance/relance/internal/webhook"
)

func TestSignatureVerifiesWithThePaymentsScheme(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	ev := Event{ID: "evt_1", Type: "charge.succeeded", Intent: "pi_1", AmountCents: 1234, InvoiceNumber: "F-1", DebtorID: "D-1", Created: now}
	body := ev.Body()
	v := webhook.Stripe{Secrets: webhook.Secrets([]string{"whsec_x"}), Tolerance: 300 * time.Second}
	h := http.Header{webhook.StripeHeader: {Signature("whsec_x", body, now)}}
	if err := v.Verify(h, body, now); err != nil {
		t.Fatalf("a good signature is refused: %v", err)
	}
	forged := http.Header{webhook.StripeHeader: {Signature("whsec_other", body, now)}}
	if err := v.Verify(forged, body, now); !errors.Is(err, webhook.ErrUnauthenticated) {
		t.Fatalf("a forged signature gives %v", err)
	}
	stale := http.Header{webhook.StripeHeader: {Signature("whsec_x", body, now.Add(-time.Hour))}}
	if err := v.Verify(stale, body, now); !errors.Is(err, webhook.ErrStale) {
		t.Fatalf("a stale signature gives %v", err)
	}
	var decoded struct {
		Data struct {
			Object struct {
				PaymentIntent string `json:"payment_intent"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil || decoded.Data.Object.PaymentIntent != "pi_1" {
		t.Fatalf("a charge must name its payment intent: %s", body)
	}
}
