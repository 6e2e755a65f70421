//go:build integration

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/relance/relance/internal/caserelay"
	"github.com/relance/relance/internal/caseworker/caseworkertest"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

var dev testenv.Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

// TestIntegrationWebhookSettlesCaseEndToEnd runs the real path: a case on
// the real dev server with the real worker (outbox channels), a signed
// payment webhook sent three times, the relay delivering the update with
// the real case client; the case ends paid, having counted the money once.
func TestIntegrationWebhookSettlesCaseEndToEnd(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tc := dev.Client(t)
	cases, _ := caseworkertest.Start(t, tc, f.st, "payments-e2e")

	st, err := cases.Start(ctx, "inv1", "F-1 e2e")
	if err != nil {
		t.Fatalf("start case: %v", err)
	}
	if st.Status.Terminal() || st.BalanceCents != 10000 {
		t.Fatalf("case started as %s with balance %d", st.Status, st.BalanceCents)
	}

	relay := &caserelay.Relay{Store: f.st, Cases: cases, PollInterval: 500 * time.Millisecond}
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(ctx) }()
	defer func() {
		cancel()
		<-relayDone
	}()

	body := stripeBody("evt_e2e", "payment_intent.succeeded", testNow, "pi_e2e", 10000, "eur", map[string]string{"invoice_number": "F-1"})
	for range 3 {
		if res := f.sendStripe(body); res.Code != http.StatusOK {
			t.Fatalf("webhook: %d %s", res.Code, res.Raw)
		}
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err = cases.State(ctx, "inv1")
		if err == nil && st.Status == domain.StatusPaid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("case status %s (err %v), want paid", st.Status, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.PaidCents != 10000 || st.BalanceCents != 0 || st.OverpaidCents != 0 {
		t.Fatalf("case paid %d, balance %d, overpaid %d; want 10000, 0, 0", st.PaidCents, st.BalanceCents, st.OverpaidCents)
	}
	// The door records the delivery right after the case answered it.
	var cmds []store.CaseCommand
	deadline = time.Now().Add(30 * time.Second)
	for {
		cmds, err = store.ListCaseCommands(ctx, f.st.Pool, "inv1")
		if err == nil && len(cmds) == 1 && cmds[0].DoneAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("commands %+v, %v", cmds, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cmds[0].LastError != "" || cmds[0].Refused {
		t.Fatalf("command %+v", cmds[0])
	}
	var applied bool
	if err := f.st.Pool.QueryRow(ctx, `SELECT applied_at IS NOT NULL FROM payment_allocations WHERE payment_id = 'stripe:evt_e2e'`).Scan(&applied); err != nil || !applied {
		t.Fatalf("allocation applied %v, %v", applied, err)
	}

	// Money for an invoice that has no case (F-2, oldest open now) is booked
	// all the same, and its command is recorded as refused, once.
	late := stripeBody("evt_late", "payment_intent.succeeded", testNow, "pi_late", 2000, "eur", map[string]string{"debtor_id": "C-1"})
	if res := f.sendStripe(late); res.Code != http.StatusOK {
		t.Fatalf("late webhook: %d %s", res.Code, res.Raw)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		cmds, _ = store.ListCaseCommands(ctx, f.st.Pool, "inv2")
		if len(cmds) == 1 && cmds[0].DoneAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("command for inv2 (no case) never settled: %+v", cmds)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if cmds[0].Attempts != 1 || cmds[0].LastError == "" || !cmds[0].Refused {
		t.Fatalf("command for an invoice without a case: %+v", cmds[0])
	}

	// A refund of 4000 after the case ended paid: the ledger owes 4000
	// again and the door reopens the case (a new run of invoice:inv1),
	// which takes the ledger's figures and dunns again.
	refund := []byte(fmt.Sprintf(`{"id":"evt_refund","type":"refund.created","created":%d,"data":{"object":{"id":"re_e2e","amount":4000,"currency":"eur","status":"succeeded","payment_intent":"pi_e2e"}}}`, testNow.Unix()))
	if res := f.sendStripe(refund); res.Code != http.StatusOK || res.Body["status"] != "processed" {
		t.Fatalf("refund webhook: %d %s", res.Code, res.Raw)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		st, err = cases.State(ctx, "inv1")
		// A reopened case walks its overdue rungs at once (the intake's
		// catch-up rule decides how; it may reach the agency rung here).
		if err == nil && st.Status != domain.StatusPaid && st.BalanceCents == 4000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the refund the case is %s with balance %d (%v), want reopened owing 4000", st.Status, st.BalanceCents, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.PaidCents != 6000 {
		t.Fatalf("reopened case paid %d, want 6000 net of the refund", st.PaidCents)
	}
	if bal, status := f.balance("inv1"); bal != 4000 || (status != "open" && status != "agency") {
		t.Fatalf("invoice after refund: %d %s", bal, status)
	}
}
