//go:build integration

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/ledger"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/webhook"
)

// ledgerSum is an invoice's balance computed from its ledger entries.
func (f *fixture) ledgerSum(invoiceID string) int64 {
	f.t.Helper()
	b, err := store.InvoiceLedger(context.Background(), f.st.Pool, invoiceID)
	if err != nil {
		f.t.Fatal(err)
	}
	return b.BalanceCents
}

func (f *fixture) postBank(body string) response {
	req := httptest.NewRequest(http.MethodPost, "/v1/webhooks/bank", strings.NewReader(body))
	webhook.SignHMAC(req.Header, []byte(body), testNow, bankKey)
	return f.do(req)
}

// Money the service acknowledges is never lost: naming no known invoice or
// debtor, or in another currency than its invoice, it is booked
// unallocated with the reason, and listed for a person.
func TestIntegrationUnbookablePaymentsAreKeptUnallocated(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name   string
		body   []byte
		debtor string
		reason string
	}{
		{"unknown invoice", stripeBody("evt_u", "payment_intent.succeeded", testNow, "pi_u", 1000, "eur", map[string]string{"invoice_number": "F-404"}), "", "unknown invoice"},
		{"unknown debtor", stripeBody("evt_d", "payment_intent.succeeded", testNow, "pi_d", 1000, "eur", map[string]string{"debtor_id": "C-404"}), "", "unknown debtor"},
		{"no invoice nor debtor", stripeBody("evt_n", "payment_intent.succeeded", testNow, "pi_n", 1000, "eur", nil), "", "names no invoice"},
		{"currency mismatch", stripeBody("evt_c", "payment_intent.succeeded", testNow, "pi_c", 1000, "usd", map[string]string{"invoice_number": "F-1"}), "C-1", "is in EUR, not USD"},
		{"invoice of another debtor", stripeBody("evt_o", "payment_intent.succeeded", testNow, "pi_o", 1000, "eur", map[string]string{"invoice_number": "F-1", "debtor_id": "C-2"}), "", "another debtor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := f.sendStripe(tt.body)
			if res.Code != http.StatusOK || res.Body["status"] != "processed" || res.Body["unallocated_cents"] != float64(1000) {
				t.Fatalf("%d %s, want 200 processed with 1000 unallocated", res.Code, res.Raw)
			}
			if r, _ := res.Body["unallocated_reason"].(string); !strings.Contains(r, tt.reason) {
				t.Fatalf("reason %q, want it to say %q", r, tt.reason)
			}
			id := res.Body["payment_id"].(string)
			held, err := store.SuspenseCents(context.Background(), f.st.Pool, id)
			if err != nil || held != 1000 {
				t.Fatalf("suspense of %s = %d (%v), want 1000", id, held, err)
			}
			var debtor string
			if err := f.st.Pool.QueryRow(context.Background(), `SELECT coalesce(debtor_id, '') FROM payments WHERE id = $1`, id).Scan(&debtor); err != nil || debtor != tt.debtor {
				t.Fatalf("payment debtor %q (%v), want %q", debtor, err, tt.debtor)
			}
			if bal, status := f.balance("inv1"); bal != 10000 || status != "open" || f.ledgerSum("inv1") != 10000 {
				t.Fatalf("inv1 changed to %d %s", bal, status)
			}
			// The provider's retry is a duplicate, not a second receipt.
			if res := f.sendStripe(tt.body); res.Body["status"] != "duplicate" {
				t.Fatalf("retry: %s", res.Raw)
			}
		})
	}
	list, err := store.ListUnallocatedPayments(context.Background(), f.st.Pool, 100)
	if err != nil || len(list) != 5 {
		t.Fatalf("unallocated list %d (%v), want 5", len(list), err)
	}
	wantCounts(t, f.counts(), map[string]int{"payments": 5, "webhook_events": 5, "audit_log": 5})
}

// A person allocates money held in suspense; the invoice's case gets it
// as a payment carrying the update ID of the allocation.
func TestIntegrationSuspenseAllocationSettlesInvoice(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.sendStripe(stripeBody("evt_u", "payment_intent.succeeded", testNow, "pi_u", 12000, "eur", map[string]string{"invoice_number": "F-0001"}))
	if res.Body["unallocated_cents"] != float64(12000) {
		t.Fatalf("webhook: %s", res.Raw)
	}
	actor := store.Actor{ID: "tok_manager", Role: store.RoleManager}
	allocate := func(a ledger.SuspenseAllocation) (ledger.Allocated, error) {
		var out ledger.Allocated
		err := f.st.InTx(ctx, func(tx pgx.Tx) error {
			var err error
			out, err = ledger.AllocateSuspense(ctx, tx, a, actor)
			return err
		})
		return out, err
	}
	// Another currency's invoice is refused, naming the field.
	if _, err := allocate(ledger.SuspenseAllocation{PaymentID: "stripe:evt_u", InvoiceID: "inv4"}); !isField(err, "invoice_id") {
		t.Fatalf("USD invoice: %v", err)
	}
	got, err := allocate(ledger.SuspenseAllocation{PaymentID: "stripe:evt_u", InvoiceID: "inv1"})
	if err != nil || got.AmountCents != 10000 || got.Payment.UnallocatedCents != 2000 || got.Payment.DebtorID != "C-1" {
		t.Fatalf("allocate all it can: %+v, %v", got, err)
	}
	if bal, status := f.balance("inv1"); bal != 0 || status != "paid" {
		t.Fatalf("inv1 after allocation: %d %s", bal, status)
	}
	cmds := f.commands("inv1")
	if len(cmds) != 1 || cmds[0].UpdateName != domain.UpdatePayment || cmds[0].UpdateID != got.UpdateID || !cmds[0].Money {
		t.Fatalf("commands %+v", cmds)
	}
	// The rest goes on F-2; nothing is left in suspense, nothing more can go.
	if got, err = allocate(ledger.SuspenseAllocation{PaymentID: "stripe:evt_u", InvoiceID: "inv2", AmountCents: 2000}); err != nil || got.Payment.UnallocatedCents != 0 {
		t.Fatalf("allocate the rest: %+v, %v", got, err)
	}
	if _, err := allocate(ledger.SuspenseAllocation{PaymentID: "stripe:evt_u", InvoiceID: "inv3"}); !isField(err, "payment_id") {
		t.Fatalf("allocating an empty suspense: %v", err)
	}
	if f.ledgerSum("inv2") != 18000 {
		t.Fatalf("inv2 ledger balance %d", f.ledgerSum("inv2"))
	}
	if list, _ := store.ListUnallocatedPayments(ctx, f.st.Pool, 10); len(list) != 0 {
		t.Fatalf("still listed unallocated: %+v", list)
	}
}

func isField(err error, field string) bool {
	var fe domain.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

// A manual "bank" line and the bank's signed webhook live in separate
// namespaces; the same identity reported with other terms is a conflict:
// 409 for a person, 200 + a recorded conflict + a metric for a webhook.
func TestIntegrationPaymentIdentityAndConflicts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	counter := NewWebhookCounter(reg)
	f.handlers.Webhooks = counter
	_, service, err := store.CreateToken(ctx, f.st.Pool, "erp", store.RoleService, "")
	if err != nil {
		t.Fatal(err)
	}
	manual := func(body string) response {
		req := httptest.NewRequest(http.MethodPost, "/v1/payments", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+service)
		return f.do(req)
	}
	if res := manual(`{"source":"bank","reference":"L-1","amount_cents":100,"currency":"EUR","invoice_number":"F-2"}`); res.Code != http.StatusCreated {
		t.Fatalf("manual bank line: %d %s", res.Code, res.Raw)
	}
	hook := `{"id":"L-1","type":"payment.received","occurred_at":"2026-03-01T09:30:00Z","amount_cents":15000,"currency":"EUR","invoice_number":"F-2"}`
	if res := f.postBank(hook); res.Body["status"] != "processed" || res.Body["payment_id"] != "bank:L-1" {
		t.Fatalf("signed webhook with the manual line's id: %s", res.Raw)
	}
	if bal, _ := f.balance("inv2"); bal != 20000-100-15000 {
		t.Fatalf("inv2 balance %d, want both booked", bal)
	}
	// The manual line again with another amount or invoice: 409.
	for _, body := range []string{
		`{"source":"bank","reference":"L-1","amount_cents":200,"currency":"EUR","invoice_number":"F-2"}`,
		`{"source":"bank","reference":"L-1","amount_cents":100,"currency":"EUR","invoice_number":"F-3"}`,
	} {
		if res := manual(body); res.Code != http.StatusConflict || res.Body["field"] != "reference" {
			t.Fatalf("%s: %d %s, want 409", body, res.Code, res.Raw)
		}
	}
	// The webhook's event again with another amount: 200, recorded once, counted.
	changed := strings.Replace(hook, "15000", "50000", 1)
	for range 2 {
		if res := f.postBank(changed); res.Code != http.StatusOK || res.Body["status"] != "conflict" {
			t.Fatalf("conflicting duplicate: %d %s", res.Code, res.Raw)
		}
	}
	conflicts, err := store.ListPaymentConflicts(ctx, f.st.Pool, 10)
	if err != nil || len(conflicts) != 1 || conflicts[0].PaymentID != "bank:L-1" || !strings.Contains(conflicts[0].Reason, "15000") {
		t.Fatalf("conflicts %+v, %v", conflicts, err)
	}
	if n := testutil.ToFloat64(counter.WithLabelValues("bank", "conflict")); n != 2 {
		t.Fatalf("conflict metric %v, want 2", n)
	}
	if bal, _ := f.balance("inv2"); bal != 4900 {
		t.Fatalf("inv2 balance %d after conflicts, want unchanged 4900", bal)
	}
}

// A refund after the invoice was paid books the money back on it, makes
// it owed again (status open) and queues the ledger command that reopens
// its case; a chargeback and its reversal move the balance both ways.
func TestIntegrationRefundAndChargebackReopenWhatIsOwed(t *testing.T) {
	f := newFixture(t)
	if res := f.sendStripe(stripeBody("evt_p", "payment_intent.succeeded", testNow, "pi_p", 10000, "eur", map[string]string{"invoice_number": "F-1"})); res.Body["status"] != "processed" {
		t.Fatalf("payment: %s", res.Raw)
	}
	if bal, status := f.balance("inv1"); bal != 0 || status != "paid" {
		t.Fatalf("after payment: %d %s", bal, status)
	}
	refund := reversalBody("evt_r", "refund.created", "re_1", 3000, "succeeded")
	for i := range 2 {
		res := f.sendStripe(refund)
		want := []string{"processed", "duplicate"}[i]
		if res.Code != http.StatusOK || res.Body["status"] != want {
			t.Fatalf("refund %d: %d %s, want %s", i, res.Code, res.Raw, want)
		}
	}
	// The same refund reported by refund.updated books nothing more.
	if res := f.sendStripe(reversalBody("evt_r2", "refund.updated", "re_1", 3000, "succeeded")); res.Body["status"] != "duplicate" {
		t.Fatalf("refund.updated: %s", res.Raw)
	}
	if bal, status := f.balance("inv1"); bal != 3000 || status != "open" || f.ledgerSum("inv1") != 3000 {
		t.Fatalf("after refund: %d %s, want 3000 open", bal, status)
	}
	cmds := f.commands("inv1")
	if len(cmds) != 2 || cmds[1].UpdateName != domain.UpdateLedger || cmds[1].UpdateID != "refund:stripe:re_1:inv1" || !cmds[1].Money {
		t.Fatalf("commands %+v", cmds)
	}
	// A chargeback of the rest, then its reversal when the dispute is won.
	if res := f.sendStripe(reversalBody("evt_cb", "charge.dispute.created", "dp_1", 7000, "needs_response")); res.Body["status"] != "processed" {
		t.Fatalf("chargeback: %s", res.Raw)
	}
	if bal, _ := f.balance("inv1"); bal != 10000 {
		t.Fatalf("after chargeback: %d", bal)
	}
	if res := f.sendStripe(reversalBody("evt_cbr", "charge.dispute.funds_reinstated", "dp_1", 7000, "won")); res.Body["status"] != "processed" {
		t.Fatalf("reversal: %s", res.Raw)
	}
	if bal, status := f.balance("inv1"); bal != 3000 || status != "open" {
		t.Fatalf("after reversal: %d %s", bal, status)
	}
	// A refund of more than the payment still holds is a conflict, not a booking.
	if res := f.sendStripe(reversalBody("evt_big", "refund.created", "re_2", 9000, "succeeded")); res.Body["status"] != "conflict" {
		t.Fatalf("oversized refund: %s", res.Raw)
	}
	if bal, _ := f.balance("inv1"); bal != 3000 {
		t.Fatalf("after refused refund: %d", bal)
	}
	b, err := store.InvoiceLedger(context.Background(), f.st.Pool, "inv1")
	if err != nil || b.PaidCents != 7000 || b.OwedCents != 10000 {
		t.Fatalf("ledger %+v, %v: want 7000 paid net of the refund", b, err)
	}
}

func reversalBody(eventID, typ, objectID string, amount int64, status string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"type":%q,"created":%d,"data":{"object":{"id":%q,"amount":%d,"currency":"eur","status":%q,"payment_intent":"pi_p"}}}`,
		eventID, typ, testNow.Unix(), objectID, amount, status))
}
