//go:build integration

package caserelay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// fakeCases records updates and answers from a script keyed by update ID.
type fakeCases struct {
	mu      sync.Mutex
	calls   []call
	answers map[string][]error // popped per call; nil or empty = success
	seen    chan string
}

type call struct {
	InvoiceID, Name, UpdateID string
	Payload                   json.RawMessage
}

func newFake() *fakeCases {
	return &fakeCases{answers: map[string][]error{}, seen: make(chan string, 100)}
}

func (f *fakeCases) Update(_ context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, ok := arg.(json.RawMessage)
	if !ok {
		return domain.CaseState{}, fmt.Errorf("payload is %T, want json.RawMessage", arg)
	}
	f.calls = append(f.calls, call{invoiceID, name, updateID, raw})
	f.seen <- updateID
	if q := f.answers[updateID]; len(q) > 0 {
		f.answers[updateID] = q[1:]
		return domain.CaseState{}, q[0]
	}
	return domain.CaseState{Status: domain.StatusActive}, nil
}

// Reopen is recorded as an update named "reopen:<name>".
func (f *fakeCases) Reopen(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error) {
	return f.Update(ctx, invoiceID, "reopen:"+name, updateID, arg)
}

func (f *fakeCases) callsOf(updateID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.UpdateID == updateID {
			n++
		}
	}
	return n
}

func seed(t *testing.T, st *store.Store, invoices ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `INSERT INTO debtors (id, name) VALUES ('d1', 'ACME')`); err != nil {
		t.Fatal(err)
	}
	for i, id := range invoices {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			VALUES ($1, 'd1', $2, '2026-01-01', '2026-02-01', 'EUR', 10000, 10000)`, id, fmt.Sprintf("F-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
}

func enqueue(t *testing.T, st *store.Store, invoiceID, name, updateID string, payload any) {
	t.Helper()
	if _, err := store.EnqueueCaseCommand(context.Background(), st.Pool, invoiceID, name, updateID, payload); err != nil {
		t.Fatal(err)
	}
}

func command(t *testing.T, st *store.Store, updateID string) store.CaseCommand {
	t.Helper()
	var c store.CaseCommand
	err := st.Pool.QueryRow(context.Background(), `SELECT id, attempts, last_error, next_attempt_at, done_at FROM case_commands WHERE update_id = $1`, updateID).
		Scan(&c.ID, &c.Attempts, &c.LastError, &c.NextAttemptAt, &c.DoneAt)
	if err != nil {
		t.Fatalf("command %s: %v", updateID, err)
	}
	return c
}

func TestIntegrationRelayDeliversAndMarksDone(t *testing.T) {
	st := testenv.Postgres(t)
	seed(t, st, "inv1")
	ctx := context.Background()
	// A payment with its allocation, as the ledger writes it.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at) VALUES ('stripe:evt_1', 'd1', 'stripe', 2500, 'EUR', now());
		INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ('stripe:evt_1', 'inv1', 2500)`); err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	want := domain.PaymentUpdate{ID: "stripe:evt_1:inv1", AmountCents: 2500, Currency: "EUR", ReceivedAt: received, Source: "stripe"}
	enqueue(t, st, "inv1", domain.UpdatePayment, want.ID, want)

	fake := newFake()
	r := &Relay{Store: st, Cases: fake}
	n, err := r.Drain(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Drain = %d, %v; want 1 attempt", n, err)
	}
	if len(fake.calls) != 1 {
		t.Fatalf("fake got %d calls", len(fake.calls))
	}
	c := fake.calls[0]
	var got domain.PaymentUpdate
	if err := json.Unmarshal(c.Payload, &got); err != nil {
		t.Fatal(err)
	}
	// The door adds the ledger's figures read at delivery (the payment
	// rows above were written without ledger entries: 10000 still owed).
	if got.Ledger == nil || got.Ledger.BalanceCents != 10000 || got.Ledger.OwedCents != 10000 {
		t.Fatalf("delivered ledger %+v, want the invoice's ledger (10000 owed)", got.Ledger)
	}
	got.Ledger = nil
	if c.InvoiceID != "inv1" || c.Name != domain.UpdatePayment || c.UpdateID != want.ID || got != want {
		t.Fatalf("delivered %+v with %+v, want inv1/payment/%s with %+v", c, got, want.ID, want)
	}
	row := command(t, st, want.ID)
	if row.DoneAt == nil || row.LastError != "" || row.Attempts != 1 {
		t.Fatalf("command after delivery: %+v", row)
	}
	var applied bool
	if err := st.Pool.QueryRow(ctx, `SELECT applied_at IS NOT NULL FROM payment_allocations WHERE payment_id = 'stripe:evt_1'`).Scan(&applied); err != nil || !applied {
		t.Fatalf("allocation applied = %v, %v", applied, err)
	}
	if n, err := r.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("second Drain = %d, %v; want nothing to do", n, err)
	}
}

func TestIntegrationRelayRetriesTransientFailures(t *testing.T) {
	st := testenv.Postgres(t)
	seed(t, st, "inv1")
	ctx := context.Background()
	enqueue(t, st, "inv1", domain.UpdatePayment, "p1", domain.PaymentUpdate{ID: "p1", AmountCents: 1, Currency: "EUR"})
	fake := newFake()
	fake.answers["p1"] = []error{errors.New("temporal unavailable"), errors.New("deadline exceeded")}
	r := &Relay{Store: st, Cases: fake, Backoff: func(n int) time.Duration { return time.Duration(n) * time.Hour }}

	before := time.Now()
	if _, err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	row := command(t, st, "p1")
	if row.DoneAt != nil || row.Attempts != 1 || row.LastError != "temporal unavailable" {
		t.Fatalf("after a failure: %+v", row)
	}
	if row.NextAttemptAt.Before(before.Add(59 * time.Minute)) {
		t.Fatalf("next attempt at %s, want about an hour after %s", row.NextAttemptAt, before)
	}
	// Not due yet: nothing is attempted.
	if n, _ := r.Drain(ctx); n != 0 {
		t.Fatalf("attempted %d commands not yet due", n)
	}
	for want := 2; want <= 3; want++ {
		if _, err := st.Pool.Exec(ctx, `UPDATE case_commands SET next_attempt_at = now()`); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if row = command(t, st, "p1"); row.Attempts != want {
			t.Fatalf("attempts = %d, want %d", row.Attempts, want)
		}
	}
	if row.DoneAt == nil || row.LastError != "" {
		t.Fatalf("third attempt succeeded but row is %+v", row)
	}
	if fake.callsOf("p1") != 3 {
		t.Fatalf("calls = %d, want 3", fake.callsOf("p1"))
	}
}

func TestIntegrationRelayRecordsRefusalsOnce(t *testing.T) {
	st := testenv.Postgres(t)
	seed(t, st, "inv1", "inv2", "inv3")
	ctx := context.Background()
	enqueue(t, st, "inv1", domain.UpdateResolveDispute, "dispute:x:resolve", domain.DisputeResolution{ID: "x"})
	enqueue(t, st, "inv2", domain.UpdatePayment, "closed", domain.PaymentUpdate{ID: "closed"})
	enqueue(t, st, "inv3", domain.UpdatePayment, "nocase", domain.PaymentUpdate{ID: "nocase"})
	fake := newFake()
	fake.answers["dispute:x:resolve"] = []error{&caseclient.RejectedError{Field: "id", Reason: "no open dispute x"}}
	fake.answers["closed"] = []error{fmt.Errorf("update payment: %w", &caseclient.RejectedError{Reason: caseclient.ErrCaseClosed.Error()})}
	fake.answers["nocase"] = []error{fmt.Errorf("update payment on invoice:inv3: %w", caseclient.ErrCaseNotFound)}
	r := &Relay{Store: st, Cases: fake}
	if n, err := r.Drain(ctx); err != nil || n != 3 {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	for id, reason := range map[string]string{"dispute:x:resolve": "no open dispute x", "closed": "case is closed", "nocase": "no case for this invoice"} {
		row := command(t, st, id)
		if row.DoneAt == nil || row.Attempts != 1 {
			t.Fatalf("%s: refused command not recorded done: %+v", id, row)
		}
		if row.LastError == "" || !strings.Contains(row.LastError, reason) {
			t.Fatalf("%s: last_error %q does not say %q", id, row.LastError, reason)
		}
	}
	// Listed as refused with the reason; the payments as money.
	refused, err := store.ListRefusedCommands(ctx, st.Pool, false, 10)
	if err != nil || len(refused) != 3 {
		t.Fatalf("refused commands %+v, %v", refused, err)
	}
	money, err := store.ListRefusedCommands(ctx, st.Pool, true, 10)
	if err != nil || len(money) != 2 || !money[0].Refused || !money[0].Money || money[0].LastError == "" {
		t.Fatalf("refused money commands %+v, %v", money, err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE case_commands SET next_attempt_at = now() - interval '1 day'`); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.Drain(ctx); n != 0 {
		t.Fatalf("refused commands attempted again (%d)", n)
	}
}

func TestIntegrationRelayKeepsOrderWithinAnInvoice(t *testing.T) {
	st := testenv.Postgres(t)
	seed(t, st, "inv1", "inv2")
	ctx := context.Background()
	enqueue(t, st, "inv1", domain.UpdateOpenDispute, "dispute:a:open", domain.DisputeUpdate{ID: "a"})
	enqueue(t, st, "inv1", domain.UpdateResolveDispute, "dispute:a:resolve", domain.DisputeResolution{ID: "a"})
	enqueue(t, st, "inv2", domain.UpdatePayment, "other", domain.PaymentUpdate{ID: "other"})
	fake := newFake()
	fake.answers["dispute:a:open"] = []error{errors.New("transient")}
	r := &Relay{Store: st, Cases: fake, Workers: 4}
	if _, err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if fake.callsOf("dispute:a:resolve") != 0 {
		t.Fatal("resolve delivered while the open before it was still pending")
	}
	if fake.callsOf("other") != 1 {
		t.Fatal("another invoice's command waited behind inv1's failure")
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE case_commands SET next_attempt_at = now() WHERE done_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range fake.calls {
		if c.InvoiceID == "inv1" {
			order = append(order, c.UpdateID)
		}
	}
	if fmt.Sprint(order) != "[dispute:a:open dispute:a:open dispute:a:resolve]" {
		t.Fatalf("inv1 deliveries in order %v", order)
	}
}

func TestIntegrationRelaysShareWorkWithoutDoubleDelivery(t *testing.T) {
	st := testenv.Postgres(t)
	var invoices []string
	for i := range 12 {
		invoices = append(invoices, fmt.Sprintf("inv%d", i))
	}
	seed(t, st, invoices...)
	for _, inv := range invoices {
		for k := range 2 {
			id := fmt.Sprintf("%s:%d", inv, k)
			enqueue(t, st, inv, domain.UpdatePayment, id, domain.PaymentUpdate{ID: id})
		}
	}
	fake := newFake()
	a := &Relay{Store: st, Cases: fake, Workers: 3}
	b := &Relay{Store: st, Cases: fake, Workers: 3}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { _, _ = a.Drain(ctx) })
		wg.Go(func() { _, _ = b.Drain(ctx) })
	}
	wg.Wait()
	for _, inv := range invoices {
		for k := range 2 {
			if n := fake.callsOf(fmt.Sprintf("%s:%d", inv, k)); n != 1 {
				t.Fatalf("%s:%d delivered %d times", inv, k, n)
			}
		}
	}
	var pending int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM case_commands WHERE done_at IS NULL`).Scan(&pending); err != nil || pending != 0 {
		t.Fatalf("%d commands left pending (%v)", pending, err)
	}
}

func TestIntegrationRelayWakesOnNotify(t *testing.T) {
	st := testenv.Postgres(t)
	seed(t, st, "inv1")
	fake := newFake()
	// A poll interval far longer than the test: only the notification can wake it.
	r := &Relay{Store: st, Cases: fake, PollInterval: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	// Wait until the listener's first pass (which finds nothing) has run,
	// by delivering a first command queued before Run could poll again.
	enqueue(t, st, "inv1", domain.UpdatePayment, "first", domain.PaymentUpdate{ID: "first"})
	waitFor(t, fake, "first")
	err := st.InTx(context.Background(), func(tx pgx.Tx) error {
		_, err := store.EnqueueCaseCommand(context.Background(), tx, "inv1", domain.UpdatePayment, "second", domain.PaymentUpdate{ID: "second"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, fake, "second")
}

func waitFor(t *testing.T, f *fakeCases, updateID string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case id := <-f.seen:
			if id == updateID {
				return
			}
		case <-deadline:
			t.Fatalf("%s never delivered", updateID)
		}
	}
}

// blockingCases holds every update until release is closed: a door
// that hangs in the Temporal call (a process frozen or dying there).
type blockingCases struct {
	entered chan string
	release chan struct{}
}

func (b *blockingCases) Update(_ context.Context, _, _, updateID string, _ any) (domain.CaseState, error) {
	b.entered <- updateID
	<-b.release
	return domain.CaseState{}, errors.New("connection reset")
}

func (b *blockingCases) Reopen(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error) {
	return b.Update(ctx, invoiceID, name, updateID, arg)
}

// A door that dies between taking a command and recording its delivery
// loses nothing: it held no transaction open during the call, and once
// its lease runs out another door delivers the command (same update ID,
// so Temporal would apply it once) and the ones queued behind it, in
// order; the dead door's late write is refused.
func TestIntegrationDoorCrashDuringDeliveryLosesNothing(t *testing.T) {
	st := testenv.Postgres(t)
	seed(t, st, "inv1")
	ctx := context.Background()
	enqueue(t, st, "inv1", domain.UpdatePayment, "pay-1", domain.PaymentUpdate{ID: "pay-1", AmountCents: 100, Currency: "EUR"})
	enqueue(t, st, "inv1", domain.UpdatePayment, "pay-2", domain.PaymentUpdate{ID: "pay-2", AmountCents: 200, Currency: "EUR"})

	hung := &blockingCases{entered: make(chan string, 1), release: make(chan struct{})}
	dying := &Relay{Store: st, Cases: hung, Lease: time.Hour, Workers: 1}
	died := make(chan error, 1)
	go func() {
		_, err := dying.DeliverOne(ctx)
		died <- err
	}()
	if got := <-hung.entered; got != "pay-1" {
		t.Fatalf("first door took %s, want pay-1", got)
	}
	// Inside the Temporal call, no transaction of this database is open.
	var open int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&open); err != nil || open != 0 {
		t.Fatalf("%d transactions open during the delivery (%v), want 0", open, err)
	}
	// While the lease holds, nobody else takes pay-1, nor pay-2 behind it.
	fake := newFake()
	other := &Relay{Store: st, Cases: fake, Lease: time.Minute}
	if n, err := other.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("second door attempted %d during the first's lease (%v)", n, err)
	}
	// The hour passes: the lease has run out.
	if _, err := st.Pool.Exec(ctx, `UPDATE case_commands SET leased_until = now() - interval '1 second' WHERE update_id = 'pay-1'`); err != nil {
		t.Fatal(err)
	}
	if n, err := other.Drain(ctx); err != nil || n != 2 {
		t.Fatalf("second door delivered %d, %v; want both commands", n, err)
	}
	var order []string
	for _, c := range fake.calls {
		order = append(order, c.UpdateID)
	}
	if fmt.Sprint(order) != "[pay-1 pay-2]" {
		t.Fatalf("delivered %v, want pay-1 then pay-2", order)
	}
	for _, id := range []string{"pay-1", "pay-2"} {
		if row := command(t, st, id); row.DoneAt == nil || row.LastError != "" || row.Attempts != 1 {
			t.Fatalf("%s after the second door: %+v", id, row)
		}
	}
	// The frozen door wakes up: its outcome is not written over the other's.
	close(hung.release)
	if err := <-died; !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("late write by the first door: %v, want ErrLeaseLost", err)
	}
	if row := command(t, st, "pay-1"); row.DoneAt == nil || row.LastError != "" {
		t.Fatalf("pay-1 after the first door woke: %+v", row)
	}
}

// A refund on an invoice whose case ended paid reopens the case (a new
// run, through Reopen); one a person credited stays closed, refused with
// its reason.
func TestIntegrationLedgerCommandReopensPaidCaseOnly(t *testing.T) {
	st := testenv.Postgres(t)
	seed(t, st, "inv1", "inv2")
	ctx := context.Background()
	// Both invoices owe 3000 again after a refund; inv2 was credited.
	if _, err := st.Pool.Exec(ctx, `
		INSERT INTO ledger_entries (entry_key, kind, invoice_id, amount_cents, currency, occurred_at) VALUES
			('t:1', 'payment', 'inv1', -10000, 'EUR', now()), ('t:2', 'refund', 'inv1', 3000, 'EUR', now()),
			('t:3', 'payment', 'inv2', -10000, 'EUR', now()), ('t:4', 'refund', 'inv2', 3000, 'EUR', now());
		UPDATE invoices SET balance_cents = 3000, status = 'open' WHERE id = 'inv1';
		UPDATE invoices SET balance_cents = 3000, status = 'credited' WHERE id = 'inv2'`); err != nil {
		t.Fatal(err)
	}
	enqueue(t, st, "inv1", domain.UpdateLedger, "refund:1", domain.LedgerEntryUpdate{ID: "refund:1", Kind: "refund", AmountCents: 3000, Currency: "EUR"})
	enqueue(t, st, "inv2", domain.UpdateLedger, "refund:2", domain.LedgerEntryUpdate{ID: "refund:2", Kind: "refund", AmountCents: 3000, Currency: "EUR"})
	fake := newFake()
	closed := func() []error {
		return []error{fmt.Errorf("update ledger: %w", &caseclient.RejectedError{Reason: caseclient.ErrCaseClosed.Error()})}
	}
	fake.answers["refund:1"], fake.answers["refund:2"] = closed(), closed()
	r := &Relay{Store: st, Cases: fake}
	if _, err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var reopened []string
	for _, c := range fake.calls {
		if strings.HasPrefix(c.Name, "reopen:") {
			reopened = append(reopened, c.UpdateID)
			var got domain.LedgerEntryUpdate
			if err := json.Unmarshal(c.Payload, &got); err != nil || got.Ledger == nil || got.Ledger.BalanceCents != 3000 {
				t.Fatalf("reopen payload %s (%v): want the ledger owing 3000", c.Payload, err)
			}
		}
	}
	if fmt.Sprint(reopened) != "[refund:1]" {
		t.Fatalf("reopened %v, want only the paid invoice's case", reopened)
	}
	if row := command(t, st, "refund:1"); row.DoneAt == nil || row.LastError != "" {
		t.Fatalf("refund:1 after reopening: %+v", row)
	}
	if row := command(t, st, "refund:2"); row.DoneAt == nil || !strings.Contains(row.LastError, "credited") {
		t.Fatalf("refund:2 on a credited invoice: %+v, want refused saying credited", row)
	}
}
