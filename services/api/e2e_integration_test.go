//go:build integration

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/caseworker/caseworkertest"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

var dev testenv.Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

// eventually polls check until it returns true, failing after limit.
func eventually(t *testing.T, limit time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// TestIntegrationEndToEnd runs the API on the real dev server with the real
// worker (outbox channels): import → the case starts → its call task shows
// in the worklist → completing it with a promise pauses the case → a
// payment (delivered three times with one update ID, as the payments relay
// does) settles it once → the API's projection shows it paid.
func TestIntegrationEndToEnd(t *testing.T) {
	st := testenv.Postgres(t)
	tc := dev.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	cases, _ := caseworkertest.Start(t, tc, st, "api-e2e")
	api := &API{Store: st, Cases: cases, Logger: logger, Intake: &intake.Importer{Store: st, Cases: cases}}
	hs := &harness{t: t, st: st, h: api.Handler(), tok: map[string]string{}}
	if err := store.UpsertCollector(ctx, st.Pool, store.Collector{ID: "c-alice", Name: "Alice", Active: true}); err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"service": store.RoleService, "alice": store.RoleCollector} {
		collector := ""
		if role == store.RoleCollector {
			collector = "c-alice"
		}
		_, secret, err := store.CreateToken(ctx, st.Pool, name, role, collector)
		if err != nil {
			t.Fatal(err)
		}
		hs.tok[name] = secret
	}

	// Intake: a demo-segment debtor reachable at any hour, one overdue invoice.
	hs.expect(hs.do("service", "PUT", "/v1/debtors/d-e2e", map[string]any{
		"name": "Boulangerie Martin SARL", "email": "compta@martin.example", "phone": "+33612345678",
		"address_lines": []string{"12 rue des Lilas"}, "postal_code": "75011", "city": "Paris",
		"segment": "demo", "collector_id": "c-alice", "contact_window_start": 0, "contact_window_end": 1440,
	}), http.StatusCreated)
	due := time.Now().AddDate(0, 0, -3).Format(intake.DateLayout)
	var rep intake.Report
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", []any{invoice("F-E2E-1", "d-e2e", due, 1_234_56)}), http.StatusOK).json(t, &rep)
	if rep.Created != 1 || rep.Lines[0].Case != intake.CaseStarted {
		t.Fatalf("import report = %+v", rep)
	}
	inv := rep.Lines[0].InvoiceID
	// Importing again neither duplicates the invoice nor starts a second case.
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", []any{invoice("F-E2E-1", "d-e2e", due, 1_234_56)}), http.StatusOK).json(t, &rep)
	if rep.Unchanged != 1 {
		t.Fatalf("re-import report = %+v", rep)
	}

	// The demo ladder creates the call task seconds later; Alice sees it.
	task := hs.awaitCallTask("alice", inv)

	// Completing it with a promise drives the case through its update.
	var done CompleteResponse
	hs.expect(hs.do("alice", "POST", "/v1/tasks/"+task.TaskID+"/complete", map[string]any{
		"outcome": "promise", "note": "paiera dans l'heure",
		"promise": map[string]any{"amount_cents": 1_234_56, "date": time.Now().Add(time.Hour).Format(time.RFC3339)},
	}), http.StatusOK).json(t, &done)
	if done.Case.Status != domain.StatusPaused || done.Case.Pause != domain.PausePromise || done.Case.Promise == nil {
		t.Fatalf("case after the promise = %+v", done.Case)
	}
	// The call itself is on the timeline as a contact made.
	var callStatus string
	if err := st.Pool.QueryRow(ctx, `SELECT i.status FROM interactions i JOIN tasks t ON i.idempotency_key = 'call:' || t.idempotency_key WHERE t.id = $1`, task.TaskID).Scan(&callStatus); err != nil || callStatus != "delivered" {
		t.Errorf("call interaction of the completed task: status %q, err %v; want delivered", callStatus, err)
	}
	// A retry of the same completion applies once and answers the same.
	var again CompleteResponse
	hs.expect(hs.do("alice", "POST", "/v1/tasks/"+task.TaskID+"/complete", map[string]any{
		"outcome": "promise", "note": "paiera dans l'heure",
		"promise": map[string]any{"amount_cents": 1_234_56, "date": time.Now().Add(time.Hour).Format(time.RFC3339)},
	}), http.StatusOK).json(t, &again)
	if again.Case.Promise == nil || again.Case.Promise.ID != done.Case.Promise.ID {
		t.Errorf("retried completion changed the promise: %+v", again.Case.Promise)
	}

	// The payment, delivered three times under one update ID, counts once.
	pay := domain.PaymentUpdate{ID: "evt_e2e_1", AmountCents: 1_234_56, Currency: "EUR", ReceivedAt: time.Now(), Source: "stripe"}
	for range 3 {
		state, err := cases.Update(ctx, inv, domain.UpdatePayment, "stripe:evt_e2e_1:"+inv, pay)
		if err != nil && !errorsIsClosed(err) {
			t.Fatalf("payment: %v", err)
		}
		if err == nil && (state.Status != domain.StatusPaid || state.PaidCents != 1_234_56) {
			t.Fatalf("state after payment = %+v", state)
		}
	}
	// The API reads the projection: the case is paid, and the 360 shows the story.
	eventually(t, 30*time.Second, "the paid projection", func() bool {
		var l CaseList
		hs.expect(hs.do("alice", "GET", "/v1/cases?status=paid", nil), http.StatusOK).json(t, &l)
		return len(l.Items) == 1 && l.Items[0].InvoiceID == inv && l.Items[0].BalanceCents == 0
	})
	var v Debtor360
	hs.expect(hs.do("alice", "GET", "/v1/debtors/d-e2e/360", nil), http.StatusOK).json(t, &v)
	if len(v.Promises) != 1 || len(v.Tasks) == 0 || v.Tasks[0].Outcome != "promise" || len(v.Timeline) == 0 {
		t.Errorf("360 = promises %+v tasks %+v timeline %d entries", v.Promises, v.Tasks, len(v.Timeline))
	}
	// Actions on the finished case are refused with 409 and change nothing.
	hs.expect(hs.do("alice", "POST", "/v1/cases/"+inv+"/hold", map[string]any{"reason": "trop tard"}), http.StatusConflict)

	// Two completions of one call task at once, with different outcomes: the
	// case keeps one, the other answers 409, and the task row says the same
	// as the case.
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", []any{invoice("F-E2E-2", "d-e2e", due, 500_00)}), http.StatusOK).json(t, &rep)
	inv2 := rep.Lines[0].InvoiceID
	task2 := hs.awaitCallTask("alice", inv2)
	outcomes := []string{"reached", "no_answer"}
	codes := make([]int, len(outcomes))
	var wg sync.WaitGroup
	for i, o := range outcomes {
		wg.Go(func() {
			codes[i] = hs.do("alice", "POST", "/v1/tasks/"+task2.TaskID+"/complete", map[string]any{"outcome": o}).Code
		})
	}
	wg.Wait()
	winner := slices.Index(codes, http.StatusOK)
	if winner < 0 || codes[1-winner] != http.StatusConflict {
		t.Fatalf("concurrent completions answered %v, want one 200 and one 409", codes)
	}
	var outcome string
	if err := st.Pool.QueryRow(ctx, `SELECT coalesce(outcome, '') FROM tasks WHERE id = $1`, task2.TaskID).Scan(&outcome); err != nil || outcome != outcomes[winner] {
		t.Errorf("task row outcome %q (%v), want the accepted %q", outcome, err, outcomes[winner])
	}
	eventually(t, 30*time.Second, "the completion on the case timeline", func() bool {
		kinds, err := store.CaseEventKinds(ctx, st.Pool, inv2)
		return err == nil && slices.Contains(kinds, "task_completed")
	})
	if kinds, _ := store.CaseEventKinds(ctx, st.Pool, inv2); countKind(kinds, "task_completed") != 1 {
		t.Errorf("case timeline %v: want one task_completed", kinds)
	}
}

// awaitCallTask waits until the invoice's call task is in who's worklist.
func (hs *harness) awaitCallTask(who, invoiceID string) store.WorkItem {
	hs.t.Helper()
	var task store.WorkItem
	eventually(hs.t, 60*time.Second, "the call task of "+invoiceID+" in the worklist", func() bool {
		var wl Worklist
		hs.expect(hs.do(who, "GET", "/v1/worklist", nil), http.StatusOK).json(hs.t, &wl)
		for _, it := range wl.Items {
			if it.InvoiceID == invoiceID && it.Kind == "call" {
				task = it
				return true
			}
		}
		return false
	})
	return task
}

func countKind(kinds []string, kind string) int {
	n := 0
	for _, k := range kinds {
		if k == kind {
			n++
		}
	}
	return n
}

// errorsIsClosed: after the first delivery the case has ended, so later
// deliveries of the same update may meet a closed case, which the relay
// treats as done.
func errorsIsClosed(err error) bool { return errors.Is(err, caseclient.ErrCaseClosed) }
