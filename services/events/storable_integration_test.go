//go:build integration

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/webhook"
)

// Authentic events Postgres cannot store (a \u0000 escape, a lone
// surrogate, a NUL in a Twilio parameter) are refused with a 400 naming
// the body and nothing written: the INSERT used to fail, answered 503
// "retry", and the provider retried in vain.
func TestIntegrationUnstorableEventsAreRefusedWithNothingWritten(t *testing.T) {
	f := newFixture(t)
	priv, pub := sendGridKeys(t)
	f.h.SendGridKey = mustKey(t, pub)
	agencySecret := []byte("agency-secret")
	f.h.AgencySecrets = [][]byte{agencySecret}
	cases := &agencyCases{}
	f.h.Cases = cases // records agency reports, refuses delivery signals
	if _, err := f.st.Pool.Exec(context.Background(), `INSERT INTO agency_handoffs (id, idempotency_key, invoice_id, status)
		VALUES ('hand-1', 'inv1:agency-d39:1', 'inv1', 'sent')`); err != nil {
		t.Fatal(err)
	}
	ts := fmt.Sprint(f.now.Unix())
	sendGrid := func(body string) *httptest.ResponseRecorder {
		return f.post("/v1/webhooks/sendgrid", []byte(body), map[string]string{
			SendGridSignatureHeader: signSendGrid(t, priv, []byte(body), ts), SendGridTimestampHeader: ts})
	}
	signed := func(path string, secret []byte) func(string) *httptest.ResponseRecorder {
		return func(body string) *httptest.ResponseRecorder {
			return f.post(path, []byte(body), map[string]string{SignatureHeader: webhook.SignStripe([]byte(body), f.now, secret)})
		}
	}
	postal, agency := signed("/v1/webhooks/postal", postalSecret), signed("/v1/webhooks/agency", agencySecret)
	twilio := func(form url.Values) *httptest.ResponseRecorder {
		path := "/v1/webhooks/twilio?interaction_id=int-sms"
		return f.post(path, []byte(form.Encode()), map[string]string{
			"Content-Type":       "application/x-www-form-urlencoded",
			"X-Twilio-Signature": signTwilio(twilioToken, publicBaseURL+path, form)})
	}
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"sendgrid NUL in a bounce reason": sendGrid(fmt.Sprintf(`[{"email":"ap@d.fr","timestamp":%d,"event":"bounce","type":"bounce",
			"reason":"550\u0000","sg_event_id":"ev-1","interaction_id":"int-email"}]`, f.now.Unix())),
		"sendgrid lone surrogate": sendGrid(`[{"event":"delivered","sg_event_id":"ev-2","interaction_id":"int-email","email":"\udc00"}]`),
		"twilio NUL in a parameter": twilio(url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"},
			"ErrorCode": {"30005"}, "Body": {"stop\x00"}}),
		"twilio invalid UTF-8 in the status": twilio(url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered\xff"}}),
		"postal NUL in the event id": postal(`{"event_id":"t\u0000","reference":"int-letter","status":"acknowledged",
			"occurred_at":"2026-02-20T10:30:00Z"}`),
		"agency NUL in the note": agency(`{"event_id":"a1","reference":"hand-1","status":"paid","paid_cents":10000,"note":"\u0000"}`),
	} {
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(rec.Body.String(), `"field":"body"`) {
			t.Errorf("%s: %d %s, want a 400 problem naming body", name, rec.Code, rec.Body)
		}
	}
	if n := f.count(`SELECT count(*) FROM webhook_events`); n != 0 {
		t.Errorf("%d webhook events stored", n)
	}
	if n := f.count(`SELECT count(*) FROM interaction_events`); n != 0 {
		t.Errorf("%d interaction events stored", n)
	}
	for id, want := range map[string]string{"int-email": "sent", "int-sms": "sent", "int-letter": "sent"} {
		if row := f.interaction(id); row.Status != want {
			t.Errorf("%s moved to %s", id, row.Status)
		}
	}
	d, err := store.GetDebtor(context.Background(), f.st.Pool, "d1")
	if err != nil || d.EmailStatus == "bounced" || d.PhoneStatus == "unusable" {
		t.Errorf("debtor changed: email %s phone %s (%v)", d.EmailStatus, d.PhoneStatus, err)
	}
	if n := f.count(`SELECT count(*) FROM agency_handoffs WHERE status = 'sent'`); n != 1 {
		t.Errorf("handoff changed")
	}
	if len(cases.reports) != 0 {
		t.Errorf("cases told: %+v", cases.reports)
	}
}
