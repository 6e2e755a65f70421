package main

import (
	"errors"
	"testing"
	"time"

	"github.com/relance/relance/internal/domain"
)

func TestParseStripeEvent(t *testing.T) {
	tests := []struct {
		name string
		body string
		want PaymentEvent
	}{
		{"payment intent", `{"id":"evt_1","type":"payment_intent.succeeded","created":1772445600,
			"data":{"object":{"id":"pi_1","object":"payment_intent","amount":12000,"amount_received":11000,"currency":"eur",
			"payment_method_types":["card"],"metadata":{"invoice_number":" F-1 ","debtor_id":"C-1"}}}}`,
			PaymentEvent{ID: "evt_1", Type: "payment_intent.succeeded", Payment: true, ProviderRef: "pi_1", AmountCents: 11000,
				Currency: "EUR", ReceivedAt: time.Unix(1772445600, 0).UTC(), InvoiceNumber: "F-1", DebtorID: "C-1", Method: "card"}},
		{"charge names its intent", `{"id":"evt_2","type":"charge.succeeded","created":1772445600,
			"data":{"object":{"id":"ch_1","amount":500,"currency":"eur","payment_intent":"pi_1","payment_method_details":{"type":"sepa_debit"},"metadata":{"debtor_id":"C-1"}}}}`,
			PaymentEvent{ID: "evt_2", Type: "charge.succeeded", Payment: true, ProviderRef: "pi_1", AmountCents: 500,
				Currency: "EUR", ReceivedAt: time.Unix(1772445600, 0).UTC(), DebtorID: "C-1", Method: "sepa_debit"}},
		{"charge with expanded intent", `{"id":"evt_3","type":"charge.succeeded","created":1772445600,
			"data":{"object":{"id":"ch_2","amount":500,"currency":"eur","payment_intent":{"id":"pi_9"}}}}`,
			PaymentEvent{ID: "evt_3", Type: "charge.succeeded", Payment: true, ProviderRef: "pi_9", AmountCents: 500,
				Currency: "EUR", ReceivedAt: time.Unix(1772445600, 0).UTC()}},
		{"charge without intent", `{"id":"evt_4","type":"charge.succeeded","created":1772445600,
			"data":{"object":{"id":"ch_3","amount":500,"currency":"eur","payment_intent":null}}}`,
			PaymentEvent{ID: "evt_4", Type: "charge.succeeded", Payment: true, ProviderRef: "ch_3", AmountCents: 500,
				Currency: "EUR", ReceivedAt: time.Unix(1772445600, 0).UTC()}},
		{"other type is ignored, not an error", `{"id":"evt_5","type":"customer.created","data":{"object":"whatever"}}`,
			PaymentEvent{ID: "evt_5", Type: "customer.created"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStripeEvent([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseStripeEventMalformed(t *testing.T) {
	tests := map[string]struct{ body, field string }{
		"not json":            {`{"id":`, "body"},
		"two values":          {`{"id":"a","type":"b"} {}`, "body"},
		"no id":               {`{"type":"payment_intent.succeeded"}`, "id"},
		"no type":             {`{"id":"evt_1"}`, "type"},
		"id not a string":     {`{"id":5,"type":"x"}`, "id"},
		"no created":          {`{"id":"e","type":"payment_intent.succeeded","data":{"object":{"id":"pi"}}}`, "created"},
		"object not object":   {`{"id":"e","type":"payment_intent.succeeded","created":1,"data":{"object":[1]}}`, "data.object"},
		"no object":           {`{"id":"e","type":"payment_intent.succeeded","created":1}`, "data.object"},
		"object without id":   {`{"id":"e","type":"payment_intent.succeeded","created":1,"data":{"object":{"amount":1}}}`, "data.object.id"},
		"amount not a number": {`{"id":"e","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"pi","amount":"12"}}}`, "data.object.amount"},
		"metadata not map":    {`{"id":"e","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"pi","metadata":[]}}}`, "data.object.metadata"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseStripeEvent([]byte(tt.body))
			var fe domain.FieldError
			if !errors.Is(err, ErrMalformed) || !errors.As(err, &fe) {
				t.Fatalf("want ErrMalformed with a field, got %v", err)
			}
			if fe.Field != tt.field {
				t.Fatalf("field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
		})
	}
}

func TestParseGenericEvent(t *testing.T) {
	got, err := ParseGenericEvent([]byte(`{"id":"line-42","type":"payment.received","occurred_at":"2026-03-01T10:30:00+01:00",
		"amount_cents":12000,"currency":"eur","invoice_number":"F-1","debtor_id":"C-1","method":"sepa_credit_transfer"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := PaymentEvent{ID: "line-42", Type: "payment.received", Payment: true, AmountCents: 12000, Currency: "EUR",
		ReceivedAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), InvoiceNumber: "F-1", DebtorID: "C-1", Method: "sepa_credit_transfer"}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	ignored, err := ParseGenericEvent([]byte(`{"id":"x","type":"payment.reversed"}`))
	if err != nil || ignored.Payment {
		t.Fatalf("other type: %+v, %v", ignored, err)
	}
	for body, field := range map[string]string{
		`[]`:                                   "body",
		`{"type":"payment.received"}`:          "id",
		`{"id":"x"}`:                           "type",
		`{"id":"x","type":"payment.received"}`: "occurred_at",
		`{"id":"x","type":"payment.received","occurred_at":"yesterday"}`: "occurred_at",
		`{"id":"x","type":"payment.received","amount_cents":1.5}`:        "amount_cents",
	} {
		_, err := ParseGenericEvent([]byte(body))
		var fe domain.FieldError
		if !errors.Is(err, ErrMalformed) || !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: want malformed %q, got %v", body, field, err)
		}
	}
}

// checkEvent is what every parser promises: an error naming a field, or
// an event with an ID and a type and, when it books a payment, a time.
func checkEvent(t *testing.T, ev PaymentEvent, err error) {
	if err != nil {
		var fe domain.FieldError
		if !errors.Is(err, ErrMalformed) || !errors.As(err, &fe) || fe.Field == "" {
			t.Fatalf("error without ErrMalformed and a field: %v", err)
		}
		return
	}
	if ev.ID == "" || ev.Type == "" {
		t.Fatalf("event without id or type: %+v", ev)
	}
	if ev.Payment && ev.ReceivedAt.IsZero() {
		t.Fatalf("payment without a time: %+v", ev)
	}
	if !ev.Payment && (ev.AmountCents != 0 || ev.ProviderRef != "") {
		t.Fatalf("ignored event carries payment fields: %+v", ev)
	}
}

func FuzzParseStripeEvent(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","type":"payment_intent.succeeded","created":1772445600,"data":{"object":{"id":"pi_1","amount":12000,"currency":"eur","metadata":{"invoice_number":"F-1"}}}}`))
	f.Add([]byte(`{"id":"evt_2","type":"charge.succeeded","created":1,"data":{"object":{"id":"ch","payment_intent":{"id":"pi"}}}}`))
	f.Add([]byte(`{"id":"evt_3","type":"customer.created"}`))
	f.Add([]byte(`{"id":`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseStripeEvent(body)
		checkEvent(t, ev, err)
	})
}

func FuzzParseGenericEvent(f *testing.F) {
	f.Add([]byte(`{"id":"line-1","type":"payment.received","occurred_at":"2026-03-01T09:30:00Z","amount_cents":100,"currency":"EUR","debtor_id":"C-1"}`))
	f.Add([]byte(`{"id":"x","type":"payment.reversed"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseGenericEvent(body)
		checkEvent(t, ev, err)
	})
}
