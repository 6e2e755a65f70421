//go:build integration

package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
	"github.com/relance/relance/internal/webhook"
)

type fixture struct {
	t     *testing.T
	st    *store.Store
	h     *Handlers
	cases *fakeCases
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	st := testenv.Postgres(t)
	now := time.Now().UTC().Truncate(time.Second)
	h, _ := unitHandlers(t, now)
	f := &fixture{t: t, st: st, h: h, cases: h.Cases.(*fakeCases), now: now}
	h.Store = st
	h.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	_, err := st.Pool.Exec(ctx, `
		INSERT INTO debtors (id, name, email, phone) VALUES ('d1', 'Débiteur', 'ap@d.fr', '+33611223344');
		INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			VALUES ('inv1', 'd1', 'F-1', '2026-01-01', '2026-01-31', 'EUR', 10000, 10000);
		INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, provider, provider_message_id, status, sent_at)
			VALUES ('int-email', 'k1', 'inv1', 'd1', 'email', 'sendgrid', 'sg-1', 'sent', now()),
			       ('int-sms', 'k2', 'inv1', 'd1', 'sms', 'twilio', 'SM1', 'sent', now()),
			       ('int-letter', 'k3', 'inv1', 'd1', 'registered_letter', 'postal_http', 'snd-1', 'sent', now());
		UPDATE interactions SET tracking_number = '1A234' WHERE id = 'int-letter';`)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) post(path string, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.h.Routes().ServeHTTP(rec, req)
	return rec
}

func mustKey(t *testing.T, pub string) *ecdsa.PublicKey {
	t.Helper()
	key, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(pub)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func (f *fixture) interaction(id string) store.Interaction {
	row, err := store.GetInteraction(context.Background(), f.st.Pool, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return row
}

func (f *fixture) count(sql string, args ...any) int {
	var n int
	if err := f.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestIntegrationSendGridEventsAreRecordedOnceAndBouncesSignalled(t *testing.T) {
	f := newFixture(t)
	priv, pub := sendGridKeys(t)
	f.h.SendGridKey = mustKey(t, pub)
	ts := fmt.Sprint(f.now.Unix())
	post := func(body string) *httptest.ResponseRecorder {
		return f.post("/v1/webhooks/sendgrid", []byte(body), map[string]string{
			SendGridSignatureHeader: signSendGrid(t, priv, []byte(body), ts), SendGridTimestampHeader: ts})
	}
	batch := fmt.Sprintf(`[
		{"email":"ap@d.fr","timestamp":%[1]d,"event":"delivered","sg_event_id":"ev-1","sg_message_id":"sg-1.x","interaction_id":"int-email","invoice_id":"inv1"},
		{"email":"ap@d.fr","timestamp":%[1]d,"event":"open","sg_event_id":"ev-2","sg_message_id":"sg-1.x","interaction_id":"int-email","invoice_id":"inv1"},
		{"email":"ap@d.fr","timestamp":%[1]d,"event":"delivered","sg_event_id":"ev-3","sg_message_id":"sg-1.x","interaction_id":"int-email","invoice_id":"inv1"}
	]`, f.now.Unix())
	if rec := post(batch); rec.Code != http.StatusOK {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	if row := f.interaction("int-email"); row.Status != store.InteractionOpened {
		t.Errorf("status %s, want opened (a late 'delivered' never moves it back)", row.Status)
	}
	if rec := post(batch); rec.Code != http.StatusOK {
		t.Fatalf("redelivered batch: %d", rec.Code)
	}
	if n := f.count(`SELECT count(*) FROM interaction_events WHERE interaction_id = 'int-email'`); n != 3 {
		t.Errorf("%d events recorded after the batch came twice, want 3", n)
	}
	if len(f.cases.signals) != 0 {
		t.Errorf("deliveries and opens do not change the course: %v", f.cases.signals)
	}
	if rec, dup := counterValue(t, f.h.Metrics.Events, "sendgrid", "recorded"),
		counterValue(t, f.h.Metrics.Events, "sendgrid", "duplicate"); rec != 3 || dup != 3 {
		t.Errorf("events counted %v recorded, %v duplicate; want 3 and 3", rec, dup)
	}

	bounce := fmt.Sprintf(`[{"email":"ap@d.fr","timestamp":%d,"event":"bounce","type":"bounce","reason":"550 no such user",
		"sg_event_id":"ev-4","interaction_id":"int-email","invoice_id":"inv1"}]`, f.now.Unix())
	f.cases.failures = 1 // Temporal is down the first time
	if rec := post(bounce); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("bounce with Temporal down: %d, want 503 so SendGrid retries", rec.Code)
	}
	if rec := post(bounce); rec.Code != http.StatusOK {
		t.Fatalf("bounce retried: %d %s", rec.Code, rec.Body)
	}
	row := f.interaction("int-email")
	if row.Status != store.InteractionBounced || row.Error != "550 no such user" {
		t.Errorf("after bounce: %s %q", row.Status, row.Error)
	}
	d, _ := store.GetDebtor(context.Background(), f.st.Pool, "d1")
	if d.EmailStatus != "bounced" {
		t.Errorf("email_status = %s", d.EmailStatus)
	}
	if len(f.cases.signals) != 1 || f.cases.invoices[0] != "inv1" || f.cases.signals[0].Kind != "bounced" ||
		f.cases.signals[0].InteractionID != "int-email" || f.cases.signals[0].EventID != "sendgrid:ev-4" || f.cases.signals[0].Channel != "email" {
		t.Errorf("signals = %+v", f.cases.signals)
	}
	if n := f.count(`SELECT count(*) FROM interaction_events WHERE interaction_id = 'int-email' AND event = 'bounce'`); n != 1 {
		t.Errorf("bounce recorded %d times", n)
	}

	unsub := fmt.Sprintf(`[{"email":"ap@d.fr","timestamp":%d,"event":"unsubscribe","sg_event_id":"ev-5","interaction_id":"int-email"}]`, f.now.Unix())
	if rec := post(unsub); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	consents, _ := store.Consents(context.Background(), f.st.Pool, "d1")
	if v, ok := consents["email"]; !ok || v {
		t.Errorf("consents after unsubscribe: %v", consents)
	}

	// A forged batch records nothing.
	before := f.count(`SELECT count(*) FROM webhook_events`)
	forged := strings.Replace(bounce, "ev-4", "ev-99", 1)
	rec := f.post("/v1/webhooks/sendgrid", []byte(forged), map[string]string{
		SendGridSignatureHeader: signSendGrid(t, priv, []byte(bounce), ts), SendGridTimestampHeader: ts})
	if rec.Code != http.StatusUnauthorized || f.count(`SELECT count(*) FROM webhook_events`) != before {
		t.Errorf("forged batch: %d, webhook_events %d → %d", rec.Code, before, f.count(`SELECT count(*) FROM webhook_events`))
	}
}

func TestIntegrationTwilioStatusCallbacks(t *testing.T) {
	f := newFixture(t)
	post := func(path string, form url.Values) *httptest.ResponseRecorder {
		return f.post(path, []byte(form.Encode()), map[string]string{
			"Content-Type":       "application/x-www-form-urlencoded",
			"X-Twilio-Signature": signTwilio(twilioToken, publicBaseURL+path, form)})
	}
	path := "/v1/webhooks/twilio?interaction_id=int-sms"
	delivered := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "AccountSid": {"AC1"}, "To": {"+33611223344"}}
	for range 2 {
		if rec := post(path, delivered); rec.Code != http.StatusOK {
			t.Fatalf("delivered: %d %s", rec.Code, rec.Body)
		}
	}
	if row := f.interaction("int-sms"); row.Status != store.InteractionDelivered {
		t.Errorf("status %s", row.Status)
	}
	if n := f.count(`SELECT count(*) FROM interaction_events WHERE interaction_id = 'int-sms'`); n != 1 {
		t.Errorf("duplicate callback recorded %d events", n)
	}
	// Without interaction_id in the URL the message is found by its SID.
	undelivered := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30005"}}
	if rec := post("/v1/webhooks/twilio", undelivered); rec.Code != http.StatusOK {
		t.Fatalf("undelivered: %d %s", rec.Code, rec.Body)
	}
	if row := f.interaction("int-sms"); row.Status != store.InteractionUndeliverable {
		t.Errorf("status %s", row.Status)
	}
	d, _ := store.GetDebtor(context.Background(), f.st.Pool, "d1")
	if d.PhoneStatus != "unusable" {
		t.Errorf("phone_status = %s", d.PhoneStatus)
	}
	if len(f.cases.signals) != 1 || f.cases.signals[0].Kind != "undeliverable" || f.cases.signals[0].EventID != "twilio:SM1:undelivered" {
		t.Errorf("signals = %+v", f.cases.signals)
	}
}

func TestIntegrationPostalTracking(t *testing.T) {
	f := newFixture(t)
	post := func(body string) *httptest.ResponseRecorder {
		return f.post("/v1/webhooks/postal", []byte(body),
			map[string]string{SignatureHeader: webhook.SignStripe([]byte(body), f.now, postalSecret)})
	}
	ack := time.Date(2026, 2, 20, 10, 30, 0, 0, time.UTC)
	steps := []string{
		`{"event_id":"t1","tracking_number":"1A234","status":"deposited","occurred_at":"2026-02-18T08:00:00Z","deposit_proof":"https://postal.example/proofs/1A234.pdf"}`,
		`{"event_id":"t2","reference":"int-letter","status":"delivered","occurred_at":"2026-02-20T10:30:00Z"}`,
		`{"event_id":"t3","reference":"int-letter","status":"acknowledged","occurred_at":"2026-02-20T10:30:00Z"}`,
	}
	for _, s := range steps {
		if rec := post(s); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", s, rec.Code, rec.Body)
		}
	}
	post(steps[2]) // a duplicate acknowledgement
	row := f.interaction("int-letter")
	if row.Status != store.InteractionAcknowledged || row.DepositProof != "https://postal.example/proofs/1A234.pdf" ||
		row.AcknowledgedAt == nil || !row.AcknowledgedAt.Equal(ack) {
		t.Errorf("letter = %s proof %q ack %v", row.Status, row.DepositProof, row.AcknowledgedAt)
	}
	if len(f.cases.signals) != 2 || f.cases.signals[0].Kind != "acknowledged" || f.cases.signals[0].Channel != "registered_letter" {
		// The duplicate is signalled again on purpose (the case dedupes by event ID).
		t.Errorf("signals = %+v, want the acknowledgement (sent twice, same event ID)", f.cases.signals)
	} else if f.cases.signals[0].EventID != f.cases.signals[1].EventID {
		t.Errorf("a duplicate must carry the same event ID: %+v", f.cases.signals)
	}
	if n := f.count(`SELECT count(*) FROM interaction_events WHERE interaction_id = 'int-letter'`); n != 3 {
		t.Errorf("%d tracking events recorded, want 3", n)
	}
}

// agencyCases records agency reports.
type agencyCases struct {
	reports  []domain.AgencyReport
	invoices []string
}

func (a *agencyCases) Signal(_ context.Context, invoiceID, name string, arg any) error {
	if name != domain.SignalAgencyReport {
		return fmt.Errorf("unexpected signal %s", name)
	}
	a.reports = append(a.reports, arg.(domain.AgencyReport))
	a.invoices = append(a.invoices, invoiceID)
	return nil
}

func TestIntegrationAgencyReportsFlowBackToTheCase(t *testing.T) {
	f := newFixture(t)
	secret := []byte("agency-secret")
	f.h.AgencySecrets = [][]byte{secret}
	cases := &agencyCases{}
	f.h.Cases = cases
	if _, err := f.st.Pool.Exec(context.Background(), `INSERT INTO agency_handoffs (id, idempotency_key, invoice_id, status)
		VALUES ('hand-1', 'inv1:agency-d39:1', 'inv1', 'sent')`); err != nil {
		t.Fatal(err)
	}
	post := func(body string, key []byte) *httptest.ResponseRecorder {
		return f.post("/v1/webhooks/agency", []byte(body), map[string]string{SignatureHeader: webhook.SignStripe([]byte(body), f.now, key)})
	}
	if rec := post(`{"event_id":"a1","reference":"hand-1","status":"payment","paid_cents":2500}`, []byte("forged")); rec.Code != http.StatusUnauthorized {
		t.Errorf("forged report: %d", rec.Code)
	}
	if rec := post(`{"event_id":"a0","reference":"nope","status":"accepted"}`, secret); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown handoff: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{
		`{"event_id":"a1","reference":"hand-1","status":"payment","paid_cents":2500}`,
		`{"event_id":"a1","reference":"hand-1","status":"payment","paid_cents":2500}`,
		`{"event_id":"a2","reference":"hand-1","status":"paid","paid_cents":7500,"note":"solde reçu"}`,
	} {
		if rec := post(body, secret); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}
	var status string
	f.st.Pool.QueryRow(context.Background(), `SELECT status FROM agency_handoffs WHERE id = 'hand-1'`).Scan(&status)
	if status != "closed" {
		t.Errorf("handoff status %s, want closed", status)
	}
	if n := f.count(`SELECT count(*) FROM webhook_events WHERE provider = 'agency'`); n != 2 {
		t.Errorf("%d agency events recorded, want 2 (a duplicate is not recorded)", n)
	}
	// The money is on the ledger with source agency, once, and the
	// invoice's balance is the ledger's; the signal carries no money.
	if n := f.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'payment' AND source = 'agency' AND invoice_id = 'inv1'`); n != 2 {
		t.Errorf("%d agency payments on the ledger, want 2", n)
	}
	if n := f.count(`SELECT (-sum(amount_cents))::int FROM ledger_entries WHERE kind = 'payment' AND invoice_id = 'inv1'`); n != 10000 {
		t.Errorf("agency collected %d on the ledger, want 10000", n)
	}
	if n := f.count(`SELECT balance_cents FROM invoices WHERE id = 'inv1'`); n != 0 {
		t.Errorf("invoice balance %d after the agency collected it all, want 0", n)
	}
	if n := f.count(`SELECT count(*) FROM case_commands WHERE invoice_id = 'inv1' AND update_name = 'payment' AND money`); n != 2 {
		t.Errorf("%d payment commands for the case, want 2", n)
	}
	want := []domain.AgencyReport{{EventID: "agency:a1"}, {EventID: "agency:a1"},
		{EventID: "agency:a2", Status: domain.StatusPaid, Note: "solde reçu"}}
	if len(cases.reports) != len(want) {
		t.Fatalf("reports = %+v", cases.reports)
	}
	for i, w := range want {
		got := cases.reports[i]
		if got.EventID != w.EventID || got.PaidCents != w.PaidCents || got.Status != w.Status || got.Note != w.Note || cases.invoices[i] != "inv1" {
			t.Errorf("report %d = %+v, want %+v", i, got, w)
		}
	}
}
