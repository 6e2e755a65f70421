//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
	"github.com/relance/relance/internal/webhook"
)

var (
	testNow      = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	stripeKey    = []byte("whsec_test")
	stripeOld    = []byte("whsec_retiring")
	bankKey      = []byte("bank-secret")
	ledgerTables = []string{"payments", "payment_allocations", "webhook_events", "case_commands", "audit_log"}
)

func init() { gin.SetMode(gin.TestMode) }

type fixture struct {
	t        *testing.T
	st       *store.Store
	h        http.Handler
	handlers *Handlers
}

// newFixture seeds debtor C-1 with three EUR invoices — F-1 (100.00, due
// 2026-01-15), F-2 (200.00, due 2026-02-01), F-3 (50.00, due 2026-04-01) —
// and debtor C-2 with one USD invoice U-1 (75.00).
func newFixture(t *testing.T) *fixture {
	st := testenv.Postgres(t)
	ctx := context.Background()
	_, err := st.Pool.Exec(ctx, `
		INSERT INTO debtors (id, name) VALUES ('C-1', 'ACME SAS'), ('C-2', 'Globex');
		INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents) VALUES
			('inv1', 'C-1', 'F-1', '2025-12-15', '2026-01-15', 'EUR', 10000, 10000),
			('inv2', 'C-1', 'F-2', '2026-01-01', '2026-02-01', 'EUR', 20000, 20000),
			('inv3', 'C-1', 'F-3', '2026-03-01', '2026-04-01', 'EUR', 5000, 5000),
			('inv4', 'C-2', 'U-1', '2026-01-01', '2026-02-01', 'USD', 7500, 7500)`)
	if err != nil {
		t.Fatal(err)
	}
	h := &Handlers{
		Store: st,
		Providers: map[string]Provider{
			"stripe": {Name: "stripe", Verifier: webhook.Stripe{Secrets: [][]byte{stripeKey, stripeOld}}, Parse: ParseStripeEvent},
			"bank":   {Name: "bank", Verifier: webhook.HMAC{Secrets: [][]byte{bankKey}}, Parse: ParseGenericEvent},
		},
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return testNow },
	}
	return &fixture{t: t, st: st, h: h.Router(), handlers: h}
}

func stripeBody(id, typ string, created time.Time, objectID string, amount int64, currency string, metadata map[string]string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "created": created.Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": objectID, "amount": amount, "currency": currency, "metadata": metadata,
		}},
	})
	return b
}

type response struct {
	Code int
	Body map[string]any
	Raw  string
}

func (f *fixture) do(req *http.Request) response {
	f.t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	out := response{Code: rec.Code, Raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.Body)
	return out
}

func (f *fixture) postStripe(body []byte, signature string) response {
	req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/stripe", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(webhook.StripeHeader, signature)
	}
	return f.do(req)
}

func (f *fixture) sendStripe(body []byte) response {
	return f.postStripe(body, webhook.SignStripe(body, testNow.Add(-3*time.Second), stripeKey))
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.st.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) counts() map[string]int {
	out := map[string]int{}
	for _, table := range ledgerTables {
		out[table] = f.count(table)
	}
	return out
}

func (f *fixture) balance(invoiceID string) (int64, string) {
	f.t.Helper()
	var cents int64
	var status string
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT balance_cents, status FROM invoices WHERE id = $1`, invoiceID).Scan(&cents, &status); err != nil {
		f.t.Fatal(err)
	}
	return cents, status
}

func (f *fixture) commands(invoiceID string) []store.CaseCommand {
	f.t.Helper()
	cmds, err := store.ListCaseCommands(context.Background(), f.st.Pool, invoiceID)
	if err != nil {
		f.t.Fatal(err)
	}
	return cmds
}

func wantCounts(t *testing.T, got map[string]int, want map[string]int) {
	t.Helper()
	for _, table := range ledgerTables {
		if got[table] != want[table] {
			t.Errorf("%s: %d rows, want %d", table, got[table], want[table])
		}
	}
}

func TestIntegrationSignedPaymentSettlesInvoice(t *testing.T) {
	f := newFixture(t)
	created := testNow.Add(-time.Minute)
	body := stripeBody("evt_1", "payment_intent.succeeded", created, "pi_1", 10000, "eur", map[string]string{"invoice_number": "F-1"})
	res := f.sendStripe(body)
	if res.Code != http.StatusOK || res.Body["status"] != "processed" || res.Body["payment_id"] != "stripe:evt_1" {
		t.Fatalf("response %d %s", res.Code, res.Raw)
	}
	if bal, status := f.balance("inv1"); bal != 0 || status != "paid" {
		t.Fatalf("inv1 balance %d %s, want 0 paid", bal, status)
	}
	if bal, _ := f.balance("inv2"); bal != 20000 {
		t.Fatalf("inv2 touched: %d", bal)
	}
	wantCounts(t, f.counts(), map[string]int{"payments": 1, "payment_allocations": 1, "webhook_events": 1, "case_commands": 1, "audit_log": 1})
	var p store.Payment
	p, err := store.FindPayment(context.Background(), f.st.Pool, "stripe:evt_1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.DebtorID != "C-1" || p.AmountCents != 10000 || p.Currency != "EUR" || p.UnallocatedCents != 0 || p.ProviderRef != "pi_1" || !p.ReceivedAt.Equal(created) {
		t.Fatalf("payment %+v", p)
	}
	cmds := f.commands("inv1")
	if len(cmds) != 1 || cmds[0].UpdateName != domain.UpdatePayment || cmds[0].UpdateID != "stripe:evt_1:inv1" || cmds[0].DoneAt != nil {
		t.Fatalf("commands %+v", cmds)
	}
	var upd domain.PaymentUpdate
	if err := json.Unmarshal(cmds[0].Payload, &upd); err != nil {
		t.Fatal(err)
	}
	want := domain.PaymentUpdate{ID: "stripe:evt_1:inv1", AmountCents: 10000, Currency: "EUR", ReceivedAt: created, Source: "stripe"}
	if !upd.ReceivedAt.Equal(want.ReceivedAt) || upd.ID != want.ID || upd.AmountCents != want.AmountCents || upd.Currency != want.Currency || upd.Source != want.Source {
		t.Fatalf("payload %+v, want %+v", upd, want)
	}
}

func TestIntegrationSameEventThreeTimesAppliesOnce(t *testing.T) {
	f := newFixture(t)
	body := stripeBody("evt_dup", "payment_intent.succeeded", testNow, "pi_dup", 4000, "eur", map[string]string{"invoice_number": "F-2"})
	statuses := []string{}
	for range 3 {
		res := f.sendStripe(body)
		if res.Code != http.StatusOK {
			t.Fatalf("delivery answered %d %s", res.Code, res.Raw)
		}
		statuses = append(statuses, res.Body["status"].(string))
	}
	if fmt.Sprint(statuses) != "[processed duplicate duplicate]" {
		t.Fatalf("statuses %v", statuses)
	}
	wantCounts(t, f.counts(), map[string]int{"payments": 1, "payment_allocations": 1, "webhook_events": 1, "case_commands": 1, "audit_log": 1})
	if bal, _ := f.balance("inv2"); bal != 16000 {
		t.Fatalf("inv2 balance %d, want 16000", bal)
	}
}

func TestIntegrationConcurrentDuplicatesApplyOnce(t *testing.T) {
	f := newFixture(t)
	body := stripeBody("evt_race", "payment_intent.succeeded", testNow, "pi_race", 1000, "eur", map[string]string{"debtor_id": "C-1"})
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Go(func() { codes[i] = f.sendStripe(body).Code })
	}
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("codes %v", codes)
		}
	}
	wantCounts(t, f.counts(), map[string]int{"payments": 1, "payment_allocations": 1, "webhook_events": 1, "case_commands": 1, "audit_log": 1})
	if bal, _ := f.balance("inv1"); bal != 9000 {
		t.Fatalf("inv1 balance %d, want 9000", bal)
	}
}

func TestIntegrationIntentAndChargeBookOnce(t *testing.T) {
	f := newFixture(t)
	intent := stripeBody("evt_pi", "payment_intent.succeeded", testNow, "pi_7", 2500, "eur", map[string]string{"invoice_number": "F-1"})
	charge, _ := json.Marshal(map[string]any{"id": "evt_ch", "type": "charge.succeeded", "created": testNow.Unix(),
		"data": map[string]any{"object": map[string]any{"id": "ch_7", "payment_intent": "pi_7", "amount": 2500, "currency": "eur",
			"metadata": map[string]string{"invoice_number": "F-1"}}}})
	if res := f.sendStripe(charge); res.Body["status"] != "processed" {
		t.Fatalf("charge: %s", res.Raw)
	}
	if res := f.sendStripe(intent); res.Code != http.StatusOK || res.Body["status"] != "duplicate" || res.Body["payment_id"] != "stripe:evt_ch" {
		t.Fatalf("intent after its charge: %d %s", res.Code, res.Raw)
	}
	wantCounts(t, f.counts(), map[string]int{"payments": 1, "payment_allocations": 1, "webhook_events": 2, "case_commands": 1, "audit_log": 1})
	if bal, _ := f.balance("inv1"); bal != 7500 {
		t.Fatalf("inv1 balance %d, want 7500", bal)
	}
}

func TestIntegrationRejectedRequestsWriteNothing(t *testing.T) {
	f := newFixture(t)
	good := stripeBody("evt_x", "payment_intent.succeeded", testNow, "pi_x", 1000, "eur", map[string]string{"invoice_number": "F-1"})
	signed := func(b []byte) string { return webhook.SignStripe(b, testNow, stripeKey) }
	zero := stripeBody("evt_z", "payment_intent.succeeded", testNow, "pi_z", 0, "eur", map[string]string{"invoice_number": "F-1"})
	malformed := []byte(`{"id":"evt_m","type":"payment_intent.succeeded","created":`)
	tests := []struct {
		name      string
		body      []byte
		signature string
		code      int
		field     string
	}{
		{"forged signature", good, webhook.SignStripe(good, testNow, []byte("whsec_guess")), http.StatusUnauthorized, ""},
		{"no signature", good, "", http.StatusUnauthorized, ""},
		{"malformed signature header", good, "t=now,v1=zz", http.StatusUnauthorized, ""},
		{"signed body then changed", good, signed(append([]byte(" "), good...)), http.StatusUnauthorized, ""},
		{"stale timestamp", good, webhook.SignStripe(good, testNow.Add(-10*time.Minute), stripeKey), http.StatusBadRequest, ""},
		{"future timestamp", good, webhook.SignStripe(good, testNow.Add(10*time.Minute), stripeKey), http.StatusBadRequest, ""},
		{"malformed JSON", malformed, signed(malformed), http.StatusBadRequest, "body"},
		{"zero amount", zero, signed(zero), http.StatusUnprocessableEntity, "amount_cents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.postStripe(tt.body, tt.signature)
			if res.Code != tt.code {
				t.Fatalf("code %d, want %d: %s", res.Code, tt.code, res.Raw)
			}
			if !strings.Contains(res.Raw, `"status":`) || res.Body["title"] == nil {
				t.Fatalf("not a problem+json body: %s", res.Raw)
			}
			if tt.field != "" && res.Body["field"] != tt.field {
				t.Fatalf("field %v, want %s: %s", res.Body["field"], tt.field, res.Raw)
			}
			wantCounts(t, f.counts(), map[string]int{})
			if bal, status := f.balance("inv1"); bal != 10000 || status != "open" {
				t.Fatalf("inv1 changed to %d %s", bal, status)
			}
		})
	}
	// A rejected event is not remembered: once fixed, the provider's retry books it.
	if res := f.sendStripe(good); res.Body["status"] != "processed" {
		t.Fatalf("good event after rejections: %s", res.Raw)
	}
	// The rotated-out secret still signs during rotation.
	rotated := stripeBody("evt_r", "payment_intent.succeeded", testNow, "pi_r", 1000, "eur", map[string]string{"invoice_number": "F-1"})
	if res := f.postStripe(rotated, webhook.SignStripe(rotated, testNow, stripeOld)); res.Body["status"] != "processed" {
		t.Fatalf("old secret during rotation: %s", res.Raw)
	}
	// An unconfigured provider has no endpoint.
	req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/paypal", strings.NewReader("{}"))
	if res := f.do(req); res.Code != http.StatusNotFound {
		t.Fatalf("unknown provider: %d", res.Code)
	}
}

func TestIntegrationUnsupportedTypeIsRecordedAndIgnored(t *testing.T) {
	f := newFixture(t)
	body := []byte(`{"id":"evt_cust","type":"customer.updated","created":1772445600,"data":{"object":{"id":"cus_1"}}}`)
	if res := f.sendStripe(body); res.Code != http.StatusOK || res.Body["status"] != "ignored" {
		t.Fatalf("ignored event: %d %s", res.Code, res.Raw)
	}
	if res := f.sendStripe(body); res.Body["status"] != "duplicate" {
		t.Fatalf("ignored event again: %s", res.Raw)
	}
	wantCounts(t, f.counts(), map[string]int{"webhook_events": 1})
	var kind string
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT kind FROM webhook_events WHERE provider = 'stripe' AND event_id = 'evt_cust'`).Scan(&kind); err != nil || kind != "customer.updated" {
		t.Fatalf("kind %q, %v", kind, err)
	}
}

func TestIntegrationPartialThenOverpayment(t *testing.T) {
	f := newFixture(t)
	partial := stripeBody("evt_p1", "payment_intent.succeeded", testNow.Add(-2*time.Hour), "pi_p1", 3000, "eur", map[string]string{"invoice_number": "F-1"})
	if res := f.sendStripe(partial); res.Body["status"] != "processed" {
		t.Fatal(res.Raw)
	}
	if bal, status := f.balance("inv1"); bal != 7000 || status != "open" {
		t.Fatalf("after partial: %d %s", bal, status)
	}
	over := stripeBody("evt_p2", "payment_intent.succeeded", testNow.Add(-time.Hour), "pi_p2", 10000, "eur", map[string]string{"invoice_number": "F-1"})
	res := f.sendStripe(over)
	if res.Body["status"] != "processed" || res.Body["unallocated_cents"] != float64(3000) {
		t.Fatalf("overpayment: %s", res.Raw)
	}
	if bal, status := f.balance("inv1"); bal != 0 || status != "paid" {
		t.Fatalf("after overpayment: %d %s", bal, status)
	}
	// The surplus stays on the payment: the payer named F-1, not F-2.
	if bal, _ := f.balance("inv2"); bal != 20000 {
		t.Fatalf("surplus spread to inv2: %d", bal)
	}
	p, err := store.FindPayment(context.Background(), f.st.Pool, "stripe:evt_p2", "", "")
	if err != nil || p.UnallocatedCents != 3000 || p.AmountCents != 10000 {
		t.Fatalf("payment %+v, %v", p, err)
	}
	var amounts []int64
	for _, c := range f.commands("inv1") {
		var u domain.PaymentUpdate
		_ = json.Unmarshal(c.Payload, &u)
		amounts = append(amounts, u.AmountCents)
	}
	if fmt.Sprint(amounts) != "[3000 7000]" {
		t.Fatalf("case told of %v, want [3000 7000]", amounts)
	}
	// A further payment naming the settled invoice is kept whole, unallocated.
	late := stripeBody("evt_p3", "payment_intent.succeeded", testNow, "pi_p3", 500, "eur", map[string]string{"invoice_number": "F-1"})
	if res := f.sendStripe(late); res.Body["status"] != "processed" || res.Body["unallocated_cents"] != float64(500) {
		t.Fatalf("payment on a settled invoice: %s", res.Raw)
	}
	if n := len(f.commands("inv1")); n != 2 {
		t.Fatalf("%d commands for inv1, want 2 (nothing owed to the case for unallocated money)", n)
	}
}

func TestIntegrationOutOfOrderEventsOldestInvoiceFirst(t *testing.T) {
	f := newFixture(t)
	// The provider sends the later payment first.
	second := stripeBody("evt_b", "payment_intent.succeeded", testNow.Add(-time.Hour), "pi_b", 15000, "eur", map[string]string{"debtor_id": "C-1"})
	first := stripeBody("evt_a", "payment_intent.succeeded", testNow.Add(-2*time.Hour), "pi_a", 8000, "eur", map[string]string{"debtor_id": "C-1"})
	for _, b := range [][]byte{second, first, second} {
		if res := f.sendStripe(b); res.Code != http.StatusOK {
			t.Fatal(res.Raw)
		}
	}
	// 150 → F-1 100 + F-2 50; then 80 → F-2 80. F-3 (due last) untouched.
	for inv, want := range map[string]int64{"inv1": 0, "inv2": 7000, "inv3": 5000} {
		if bal, _ := f.balance(inv); bal != want {
			t.Errorf("%s balance %d, want %d", inv, bal, want)
		}
	}
	ids := []string{}
	for _, c := range f.commands("inv2") {
		ids = append(ids, c.UpdateID)
	}
	if fmt.Sprint(ids) != "[stripe:evt_b:inv2 stripe:evt_a:inv2]" {
		t.Fatalf("inv2 commands %v", ids)
	}
	wantCounts(t, f.counts(), map[string]int{"payments": 2, "payment_allocations": 3, "webhook_events": 2, "case_commands": 3, "audit_log": 2})
	// The USD invoice of another debtor is never touched by EUR money.
	if bal, _ := f.balance("inv4"); bal != 7500 {
		t.Fatalf("inv4 balance %d", bal)
	}
}

func TestIntegrationGenericHMACScheme(t *testing.T) {
	f := newFixture(t)
	body := []byte(`{"id":"line-2026-03-01-0042","type":"payment.received","occurred_at":"2026-03-01T09:30:00Z",
		"amount_cents":2000,"currency":"EUR","invoice_number":"F-3","method":"sepa_credit_transfer"}`)
	post := func(sign func(h http.Header)) response {
		req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/bank", strings.NewReader(string(body)))
		sign(req.Header)
		return f.do(req)
	}
	if res := post(func(h http.Header) { webhook.SignHMAC(h, body, testNow, []byte("nope")) }); res.Code != http.StatusUnauthorized {
		t.Fatalf("forged: %d %s", res.Code, res.Raw)
	}
	if res := post(func(h http.Header) { webhook.SignHMAC(h, body, testNow.Add(-time.Hour), bankKey) }); res.Code != http.StatusBadRequest {
		t.Fatalf("stale: %d %s", res.Code, res.Raw)
	}
	wantCounts(t, f.counts(), map[string]int{})
	res := post(func(h http.Header) { webhook.SignHMAC(h, body, testNow, bankKey) })
	if res.Code != http.StatusOK || res.Body["status"] != "processed" || res.Body["payment_id"] != "bank:line-2026-03-01-0042" {
		t.Fatalf("signed: %d %s", res.Code, res.Raw)
	}
	if bal, _ := f.balance("inv3"); bal != 3000 {
		t.Fatalf("inv3 balance %d", bal)
	}
	cmds := f.commands("inv3")
	if len(cmds) != 1 || cmds[0].UpdateID != "bank:line-2026-03-01-0042:inv3" {
		t.Fatalf("commands %+v", cmds)
	}
}

func TestIntegrationManualPayments(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.st.Pool.Exec(ctx, `INSERT INTO collectors (id, name) VALUES ('col1', 'Alice')`); err != nil {
		t.Fatal(err)
	}
	_, service, err := store.CreateToken(ctx, f.st.Pool, "erp", store.RoleService, "")
	if err != nil {
		t.Fatal(err)
	}
	_, collector, err := store.CreateToken(ctx, f.st.Pool, "alice", store.RoleCollector, "col1")
	if err != nil {
		t.Fatal(err)
	}
	post := func(token, body string) response {
		req := httptest.NewRequest(http.MethodPost, "/v1/payments", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return f.do(req)
	}
	line := `{"source":"bank","reference":"REL-2026-03-01-7","amount_cents":12000,"currency":"EUR","received_at":"2026-03-01T08:00:00Z","debtor_id":"C-1","method":"transfer"}`
	if res := post("", line); res.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", res.Code)
	}
	if res := post("rl_forged", line); res.Code != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", res.Code)
	}
	if res := post(collector, line); res.Code != http.StatusForbidden {
		t.Fatalf("collector token: %d", res.Code)
	}
	for body, field := range map[string]string{
		`{"reference":"r1","amount_cents":0,"currency":"EUR","debtor_id":"C-1"}`:       "amount_cents",
		`{"reference":"r1","amount_cents":10,"currency":"euro","debtor_id":"C-1"}`:     "currency",
		`{"amount_cents":10,"currency":"EUR","debtor_id":"C-1"}`:                       "reference",
		`{"reference":"r1","amount_cents":"10","currency":"EUR","debtor_id":"C-1"}`:    "amount_cents",
		`{"reference":"r1","amount_cents":10,"currency":"EUR","debtor":"C-1"}`:         "debtor",
		`{"source":"cash","reference":"r1","amount_cents":10,"currency":"EUR"}`:        "source",
		`{"reference":"r1","amount_cents":10,"currency":"EUR","received_at":"monday"}`: "received_at",
	} {
		res := post(service, body)
		if res.Code/100 != 4 || res.Body["field"] != field {
			t.Errorf("%s: %d field %v, want 4xx naming %s", body, res.Code, res.Body["field"], field)
		}
	}
	wantCounts(t, f.counts(), map[string]int{})

	res := post(service, line)
	if res.Code != http.StatusCreated {
		t.Fatalf("statement line: %d %s", res.Code, res.Raw)
	}
	if bal, _ := f.balance("inv1"); bal != 0 {
		t.Fatalf("inv1 balance %d", bal)
	}
	if bal, _ := f.balance("inv2"); bal != 18000 {
		t.Fatalf("inv2 balance %d", bal)
	}
	if res := post(service, line); res.Code != http.StatusOK || res.Body["status"] != "duplicate" {
		t.Fatalf("same line again: %d %s", res.Code, res.Raw)
	}
	if res := post(service, strings.Replace(line, "12000", "12001", 1)); res.Code != http.StatusConflict {
		t.Fatalf("same reference, other amount: %d %s", res.Code, res.Raw)
	}
	wantCounts(t, f.counts(), map[string]int{"payments": 1, "payment_allocations": 2, "webhook_events": 0, "case_commands": 2, "audit_log": 1})
	var actor, role string
	if err := f.st.Pool.QueryRow(ctx, `SELECT actor, role FROM audit_log WHERE action = 'payment.receive'`).Scan(&actor, &role); err != nil || role != store.RoleService || !strings.HasPrefix(actor, "tok_") {
		t.Fatalf("audit actor %q role %q (%v)", actor, role, err)
	}
}

// BenchmarkWebhookPayment measures one signed payment webhook end to end
// through the handler on real Postgres (verify, parse, one transaction).
func BenchmarkWebhookPayment(b *testing.B) {
	st := testenv.Postgres(b)
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `INSERT INTO debtors (id, name) VALUES ('C-1', 'ACME');
		INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
		VALUES ('inv1', 'C-1', 'F-1', '2026-01-01', '2026-02-01', 'EUR', 900000000000, 900000000000)`); err != nil {
		b.Fatal(err)
	}
	h := (&Handlers{
		Store:     st,
		Providers: map[string]Provider{"stripe": {Name: "stripe", Verifier: webhook.Stripe{Secrets: [][]byte{stripeKey}}, Parse: ParseStripeEvent}},
		Logger:    slog.New(slog.DiscardHandler),
		Now:       func() time.Time { return testNow },
	}).Router()
	b.ResetTimer()
	for i := range b.N {
		body := stripeBody(fmt.Sprintf("evt_b%d", i), "payment_intent.succeeded", testNow, fmt.Sprintf("pi_b%d", i), 100, "eur", map[string]string{"invoice_number": "F-1"})
		req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/stripe", strings.NewReader(string(body)))
		req.Header.Set(webhook.StripeHeader, webhook.SignStripe(body, testNow, stripeKey))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// A transfer carrying the ISO 11649 reference the portal gave for F-2
// (typed with spaces) is booked on F-2, not on the oldest invoice F-1.
func TestIntegrationBankTransferMatchedByRFReference(t *testing.T) {
	f := newFixture(t)
	ref, err := store.TransferReference(context.Background(), f.st.Pool, "inv2")
	if err != nil {
		t.Fatal(err)
	}
	printed := ref[:4] + " " + ref[4:8] + " " + ref[8:]
	body := []byte(`{"id":"line-rf-1","type":"payment.received","occurred_at":"2026-03-01T09:30:00Z",
		"amount_cents":5000,"currency":"EUR","debtor_id":"C-1","reference":"` + printed + `","method":"sepa_credit_transfer"}`)
	req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/bank", strings.NewReader(string(body)))
	webhook.SignHMAC(req.Header, body, testNow, bankKey)
	if res := f.do(req); res.Code != http.StatusOK || res.Body["status"] != "processed" {
		t.Fatalf("transfer: %d %s", res.Code, res.Raw)
	}
	if bal, _ := f.balance("inv2"); bal != 15000 {
		t.Errorf("F-2 balance %d, want 15000", bal)
	}
	if bal, _ := f.balance("inv1"); bal != 10000 {
		t.Errorf("F-1 balance %d, want 10000 (untouched)", bal)
	}
	// A reference with a wrong check digit is not taken for F-2: the
	// debtor's oldest invoice is paid, as without a reference.
	bad := []byte(`{"id":"line-rf-2","type":"payment.received","occurred_at":"2026-03-01T09:30:00Z",
		"amount_cents":1000,"currency":"EUR","debtor_id":"C-1","reference":"RF00` + ref[4:] + `"}`)
	req = httptest.NewRequest(http.MethodPost, "/v1/webhooks/bank", strings.NewReader(string(bad)))
	webhook.SignHMAC(req.Header, bad, testNow, bankKey)
	if res := f.do(req); res.Code != http.StatusOK {
		t.Fatalf("bad reference: %d %s", res.Code, res.Raw)
	}
	if bal, _ := f.balance("inv1"); bal != 9000 {
		t.Errorf("F-1 balance %d after a payment with a bad reference, want 9000", bal)
	}
}
