//go:build integration

package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/caseworker/caseworkertest"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
	"github.com/relance/relance/internal/testenv"
)

var dev testenv.Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

// harness is one test's database, worker and case client.
type harness struct {
	t      *testing.T
	st     *store.Store
	tc     client.Client
	cases  *caseclient.Client
	outbox string
}

func newHarness(t *testing.T) *harness {
	st := testenv.Postgres(t)
	tc := dev.Client(t)
	cases, outbox := caseworkertest.Start(t, tc, st, "it-"+t.Name())
	return &harness{t: t, st: st, tc: tc, cases: cases, outbox: outbox}
}

// count runs a counting query with args.
func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.st.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// invoice inserts a debtor of segment and an invoice due in dueInDays.
func (h *harness) invoice(id, segment string, dueInDays int, cents int64) string {
	h.t.Helper()
	ctx := context.Background()
	number := "F-IT-" + id
	for _, q := range []string{
		`INSERT INTO collectors (id, name) VALUES ('col-it', 'Collector') ON CONFLICT DO NOTHING`,
		fmt.Sprintf(`INSERT INTO debtors (id, name, email, phone, address_lines, postal_code, city, segment, collector_id)
			VALUES ('deb-%s', 'Debtor', 'd@example.test', '+33600000000', '{"1 rue de la Paix"}', '75001', 'Paris', '%s', 'col-it')`, id, segment),
		fmt.Sprintf(`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			VALUES ('%s', 'deb-%s', '%s', current_date - 30, current_date + %d, 'EUR', %d, %d)`, id, id, number, dueInDays, cents, cents),
	} {
		if _, err := h.st.Pool.Exec(ctx, q); err != nil {
			h.t.Fatalf("seed: %v", err)
		}
	}
	return number
}

func (h *harness) waitStatus(invoiceID string, want domain.CaseStatus, within time.Duration) domain.CaseState {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := h.cases.State(context.Background(), invoiceID)
		if err == nil && st.Status == want {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("case %s: status %s (err %v), want %s", invoiceID, st.Status, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitVisible polls the visibility API (eventually consistent) until query matches one case.
func (h *harness) waitVisible(query string) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := h.tc.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err == nil && resp.GetCount() == 1 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("visibility: %q matched %d (err %v), want 1", query, resp.GetCount(), err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// finish waits for the case's workflow to end and returns its history
// length, writing the history to testdata when RELANCE_RECORD_HISTORIES=1.
func (h *harness) finish(invoiceID, record string) (domain.CaseResult, int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var res domain.CaseResult
	if err := h.tc.GetWorkflow(ctx, temporalx.CaseWorkflowID(invoiceID), "").Get(ctx, &res); err != nil {
		h.t.Fatalf("case %s: %v", invoiceID, err)
	}
	hist := &historypb.History{}
	it := h.tc.GetWorkflowHistory(ctx, temporalx.CaseWorkflowID(invoiceID), "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			h.t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	if os.Getenv("RELANCE_RECORD_HISTORIES") == "1" {
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", record+".json"), b, 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
	return res, len(hist.Events)
}

// scaledDefault is the default ladder with a day lasting half a second and
// every step counted from the previous one, so it walks all eight rungs in
// about 20 s with the default ladder's exact sequence of waits.
func scaledDefault() domain.Policy {
	p := domain.DefaultPolicy()
	p.Name, p.Segments = "it-scaled-default", []string{"it-ladder"}
	const dayLen = 500 * time.Millisecond
	prev := p.Steps[0].Offset
	for i := range p.Steps {
		off := p.Steps[i].Offset
		p.Steps[i].From = domain.FromPrevious
		p.Steps[i].Offset = domain.Duration(time.Duration(off-prev) / (24 * time.Hour / dayLen))
		if p.Steps[i].TaskDeadline != 0 {
			p.Steps[i].TaskDeadline = domain.Duration(time.Duration(p.Steps[i].TaskDeadline) / (24 * time.Hour / dayLen))
		}
		prev = off
	}
	p.DefaultTaskDeadline = domain.Duration(2 * dayLen)
	return p
}

func TestIntegrationFullLadderToTheAgency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	if _, err := store.SavePolicy(ctx, h.st.Pool, scaledDefault(), "test"); err != nil {
		t.Fatal(err)
	}
	number := h.invoice("inv-ladder", "it-ladder", 5, 123456)
	first, err := h.cases.StartCase(ctx, caseclient.StartRequest{InvoiceID: "inv-ladder", Summary: number + " · 1 234,56 € · it",
		Attributes: caseclient.Attributes{InvoiceNumber: number, CustomerID: "deb-inv-ladder", Segment: "it-ladder", AmountDueCents: 123456}})
	if err != nil {
		t.Fatal(err)
	}
	if first.Facts.Policy.Name != "it-scaled-default" || first.Facts.InvoiceNumber != number {
		t.Fatalf("start returned %+v", first.Facts)
	}
	st := h.waitStatus("inv-ladder", domain.StatusAgency, 90*time.Second)
	for _, r := range st.Rungs {
		if r.Status != domain.RungDone {
			t.Errorf("rung %s %s", r.Step.Name, r.Status)
		}
	}
	h.waitVisible(fmt.Sprintf(`InvoiceNumber = %q AND CaseStatus = "agency" AND CollectionStage = "agency-d39" AND AmountDueCents = 123456`, number))
	ladderEvents := historyLength(t, h.tc, "inv-ladder")
	t.Logf("full default ladder (scaled): %d history events up to the handoff", ladderEvents)
	if ladderEvents > 60 {
		t.Errorf("full ladder took %d history events, budget 60", ladderEvents)
	}
	if err := h.cases.Signal(ctx, "inv-ladder", domain.SignalAgencyReport, domain.AgencyReport{EventID: "ag-1", Status: domain.StatusWrittenOff, Note: "uncollectable"}); err != nil {
		t.Fatal(err)
	}
	res, total := h.finish("inv-ladder", "ladder_to_agency")
	t.Logf("with the agency's closing report: %d events", total)
	if res.Status != domain.StatusWrittenOff {
		t.Fatalf("result %+v", res)
	}
	proj, err := store.GetCaseProjection(ctx, h.st.Pool, "inv-ladder")
	if err != nil || proj.Status != "written_off" || proj.Stage != "agency-d39" || proj.ClosedAt == nil {
		t.Fatalf("projection %+v %v", proj, err)
	}
	kinds, _ := store.CaseEventKinds(ctx, h.st.Pool, "inv-ladder")
	if n := countOf(kinds, "step_done"); n != 8 {
		t.Fatalf("timeline %v: want 8 step_done", kinds)
	}
	sent := h.count(`SELECT count(*) FROM interactions WHERE invoice_id = 'inv-ladder' AND direction = 'outbound' AND sent_at IS NOT NULL AND channel <> 'agency'`)
	tasks := h.count(`SELECT count(*) FROM tasks WHERE invoice_id = 'inv-ladder'`)
	closed := h.count(`SELECT count(*) FROM tasks WHERE invoice_id = 'inv-ladder' AND status = 'cancelled'`)
	handoffs := h.count(`SELECT count(*) FROM agency_handoffs WHERE invoice_id = 'inv-ladder'`)
	if sent != 6 || tasks != 1 || closed != 1 || handoffs != 1 {
		t.Fatalf("channels: %d sent, %d tasks (%d closed), %d handoffs; want 6, 1 (1), 1", sent, tasks, closed, handoffs)
	}
	if files, _ := filepath.Glob(filepath.Join(h.outbox, "*")); len(files) == 0 {
		t.Fatalf("outbox %s is empty", h.outbox)
	}
}

func TestIntegrationPaid(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	number := h.invoice("inv-paid", "standard", 10, 50000)
	st, err := h.cases.Start(ctx, "inv-paid", number+" · 500,00 € · standard-b2b")
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.cases.Start(ctx, "inv-paid", "again")
	if err != nil || again.Facts.Policy.Name != "standard-b2b" || st.Status != domain.StatusActive {
		t.Fatalf("second start: %+v %v", again.Status, err)
	}
	if err := h.cases.EnsureStarted(ctx, caseclient.StartRequest{InvoiceID: "inv-paid", Summary: "bulk"}); err != nil {
		t.Fatalf("bulk start of a running case: %v", err)
	}
	var rej *caseclient.RejectedError
	_, err = h.cases.Update(ctx, "inv-paid", domain.UpdatePayment, "bad-1", domain.PaymentUpdate{ID: "x", AmountCents: 100, Currency: "USD"})
	if !errors.As(err, &rej) || rej.Field != "currency" {
		t.Fatalf("USD payment: %v, want a rejection on currency", err)
	}
	for range 2 { // the same update ID twice applies once
		st, err = h.cases.Update(ctx, "inv-paid", domain.UpdatePayment, "stripe:evt_1:inv-paid", domain.PaymentUpdate{ID: "pay-1", AmountCents: 20000, Currency: "EUR"})
		if err != nil || st.BalanceCents != 30000 {
			t.Fatalf("partial payment: balance %d, %v", st.BalanceCents, err)
		}
	}
	proj, err := store.GetCaseProjection(ctx, h.st.Pool, "inv-paid")
	if err != nil || proj.BalanceCents != 30000 || proj.Status != "active" {
		t.Fatalf("projection right after the update: %+v %v", proj, err)
	}
	st, err = h.cases.Update(ctx, "inv-paid", domain.UpdatePayment, "stripe:evt_2:inv-paid", domain.PaymentUpdate{ID: "pay-2", AmountCents: 35000, Currency: "EUR"})
	if err != nil || st.Status != domain.StatusPaid || st.OverpaidCents != 5000 {
		t.Fatalf("final payment: %+v %v", st, err)
	}
	res, _ := h.finish("inv-paid", "paid")
	if res.Status != domain.StatusPaid || res.PaidCents != 50000 || res.OverpaidCents != 5000 {
		t.Fatalf("result %+v", res)
	}
	_, err = h.cases.Update(ctx, "inv-paid", domain.UpdatePayment, "late", domain.PaymentUpdate{ID: "pay-3", AmountCents: 1, Currency: "EUR"})
	if !errors.Is(err, caseclient.ErrCaseClosed) {
		t.Fatalf("update after the end: %v, want ErrCaseClosed", err)
	}
	if _, err := h.cases.Update(ctx, "nope", domain.UpdatePayment, "x", domain.PaymentUpdate{ID: "p", AmountCents: 1, Currency: "EUR"}); !errors.Is(err, caseclient.ErrCaseNotFound) {
		t.Fatalf("update of an unknown case: %v", err)
	}
	if st, err := h.cases.Start(ctx, "inv-paid", "re-import"); err != nil || st.Status != domain.StatusPaid {
		t.Fatalf("re-import of a paid invoice: %+v %v, want the paid case back", st.Status, err)
	}
	// Bulk intake's start neither fails nor starts a second run on a closed case.
	if err := h.cases.EnsureStarted(ctx, caseclient.StartRequest{InvoiceID: "inv-paid", Summary: "bulk re-import"}); err != nil {
		t.Fatalf("bulk re-import of a paid invoice: %v", err)
	}
	if st, err := h.cases.State(ctx, "inv-paid"); err != nil || st.Status != domain.StatusPaid {
		t.Fatalf("after the bulk re-import: %+v %v, want the paid case untouched", st.Status, err)
	}
	h.waitVisible(fmt.Sprintf(`InvoiceNumber = %q AND CaseStatus = "paid" AND AmountDueCents = 0`, number))
	var status string
	if err := h.st.Pool.QueryRow(ctx, `SELECT status FROM invoices WHERE id = 'inv-paid'`).Scan(&status); err != nil || status != "paid" {
		t.Fatalf("invoice status %q %v", status, err)
	}
}

func TestIntegrationCredited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	number := h.invoice("inv-cred", "standard", 10, 80000)
	if _, err := h.cases.Start(ctx, "inv-cred", number); err != nil {
		t.Fatal(err)
	}
	st, err := h.cases.Update(ctx, "inv-cred", domain.UpdateOpenDispute, "disp-1", domain.DisputeUpdate{ID: "d-1", Reason: "goods returned"})
	if err != nil || st.Pause != domain.PauseDispute || st.Status != domain.StatusPaused {
		t.Fatalf("open dispute: %s/%s %v", st.Status, st.Pause, err)
	}
	var rej *caseclient.RejectedError
	if _, err := h.cases.Update(ctx, "inv-cred", domain.UpdateResolveDispute, "r-0", domain.DisputeResolution{ID: "d-404"}); !errors.As(err, &rej) || rej.Field != "id" {
		t.Fatalf("unknown dispute: %v", err)
	}
	st, err = h.cases.Update(ctx, "inv-cred", domain.UpdateResolveDispute, "r-1", domain.DisputeResolution{ID: "d-1", ForDebtor: true})
	if err != nil || st.Status != domain.StatusCredited || st.CreditedCents != 80000 {
		t.Fatalf("resolution: %+v %v", st, err)
	}
	res, _ := h.finish("inv-cred", "credited")
	if res.Status != domain.StatusCredited {
		t.Fatalf("result %+v", res)
	}
	kinds, _ := store.CaseEventKinds(ctx, h.st.Pool, "inv-cred")
	if !slices.Equal(kinds, []string{"case_started", "dispute_opened", "dispute_upheld"}) {
		t.Fatalf("timeline %v", kinds)
	}
	h.waitVisible(fmt.Sprintf(`InvoiceNumber = %q AND CaseStatus = "credited"`, number))
}

func TestIntegrationDemoLadder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	// Overdue: the demo ladder catches up on its call, then walks a rung
	// every five seconds.
	h.invoice("inv-demo", "demo", -5, 42000)
	if _, err := h.cases.Start(ctx, "inv-demo", "demo"); err != nil {
		t.Fatal(err)
	}
	h.waitStatus("inv-demo", domain.StatusAgency, 120*time.Second)
	n := historyLength(t, h.tc, "inv-demo")
	t.Logf("demo ladder: %d history events up to the handoff", n)
	if n > 60 {
		t.Errorf("demo ladder took %d events, budget 60", n)
	}
	if err := h.cases.Signal(ctx, "inv-demo", domain.SignalAgencyReport, domain.AgencyReport{EventID: "a", PaidCents: 42000, Status: domain.StatusPaid}); err != nil {
		t.Fatal(err)
	}
	if res, _ := h.finish("inv-demo", "demo_ladder"); res.Status != domain.StatusPaid {
		t.Fatalf("result %+v", res)
	}
}

func historyLength(t *testing.T, tc client.Client, invoiceID string) int {
	t.Helper()
	it := tc.GetWorkflowHistory(context.Background(), temporalx.CaseWorkflowID(invoiceID), "", false, 0)
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// waitRow polls a one-value query until it returns want.
func (h *harness) waitRow(want, query string, args ...any) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got string
		err := h.st.Pool.QueryRow(context.Background(), query, args...).Scan(&got)
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s %v: %q (%v), want %q", query, args, got, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The case keeps the API's promise, plan and installment rows current:
// broken and kept promises, a plan broken on a missed installment, a plan
// paid installment by installment to completion.
func TestIntegrationPromisesAndPlansAreProjected(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	p := domain.DefaultPolicy()
	p.Name, p.Segments = "it-commitments", []string{"it-commit"}
	p.PromiseGrace, p.InstallmentGrace, p.InstallmentReminder = domain.Duration(time.Second), domain.Duration(time.Second), 0
	if _, err := store.SavePolicy(ctx, h.st.Pool, p, "test"); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	date := func(d time.Time) string { return d.Format("2006-01-02") }
	promise := func(inv, id string, cents int64, on time.Time) {
		t.Helper()
		if err := store.RecordPromise(ctx, h.st.Pool, store.PromiseView{ID: id, InvoiceID: inv, AmountCents: cents, Currency: "EUR", PromisedDate: date(on)}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.cases.Update(ctx, inv, domain.UpdatePromise, id, domain.PromiseUpdate{ID: id, AmountCents: cents, Date: on}); err != nil {
			t.Fatalf("promise %s: %v", id, err)
		}
	}
	plan := func(inv, id string, installments ...domain.Installment) {
		t.Helper()
		view := store.PlanView{ID: id, InvoiceID: inv}
		for i, in := range installments {
			view.Installments = append(view.Installments, store.InstallmentView{Seq: i + 1, DueDate: date(in.DueDate), AmountCents: in.AmountCents})
		}
		if err := store.RecordPlan(ctx, h.st.Pool, view); err != nil {
			t.Fatal(err)
		}
		if _, err := h.cases.Update(ctx, inv, domain.UpdatePlan, id, domain.PlanUpdate{ID: id, Installments: installments}); err != nil {
			t.Fatalf("plan %s: %v", id, err)
		}
	}
	pay := func(inv, id string, cents int64) {
		t.Helper()
		if _, err := h.cases.Update(ctx, inv, domain.UpdatePayment, id, domain.PaymentUpdate{ID: id, AmountCents: cents, Currency: "EUR"}); err != nil {
			t.Fatalf("payment %s: %v", id, err)
		}
	}
	status := `SELECT status FROM promises WHERE id = $1`
	planStatus := `SELECT status FROM payment_plans WHERE id = $1`
	installment := `SELECT string_agg(status, ',' ORDER BY seq) FROM plan_installments WHERE plan_id = $1`

	h.invoice("inv-commit", "it-commit", 10, 60000)
	if _, err := h.cases.Start(ctx, "inv-commit", "commitments"); err != nil {
		t.Fatal(err)
	}
	promise("inv-commit", "pr-broken", 10000, today) // due today, grace 1 s: broken at once
	h.waitRow("broken", status, "pr-broken")
	promise("inv-commit", "pr-kept", 10000, today.Add(24*time.Hour))
	pay("inv-commit", "pay-1", 10000)
	h.waitRow("kept", status, "pr-kept")
	plan("inv-commit", "pl-broken", domain.Installment{DueDate: today, AmountCents: 20000},
		domain.Installment{DueDate: today.Add(24 * time.Hour), AmountCents: 30000})
	h.waitRow("broken", planStatus, "pl-broken")
	h.waitRow("missed,pending", installment, "pl-broken")

	h.invoice("inv-plan", "it-commit", 10, 30000)
	if _, err := h.cases.Start(ctx, "inv-plan", "plan"); err != nil {
		t.Fatal(err)
	}
	plan("inv-plan", "pl-paid", domain.Installment{DueDate: today.Add(24 * time.Hour), AmountCents: 10000},
		domain.Installment{DueDate: today.Add(48 * time.Hour), AmountCents: 20000})
	pay("inv-plan", "pay-2", 10000)
	h.waitRow("paid,pending", installment, "pl-paid")
	h.waitRow("active", planStatus, "pl-paid")
	pay("inv-plan", "pay-3", 20000)
	h.waitRow("completed", planStatus, "pl-paid")
	h.waitRow("paid,paid", installment, "pl-paid")
	// The worklist's priority counts the broken promise.
	if n := h.count(`SELECT count(*) FROM promises WHERE invoice_id = 'inv-commit' AND status = 'broken'`); n != 1 {
		t.Fatalf("%d broken promises, want 1", n)
	}
}
