//go:build integration

package reconcile

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/relance/relance/internal/caseworker/caseworkertest"
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

// The daily schedule, triggered: an open invoice without a case gets one
// (restarted), a running case whose invoice was paid behind its back is
// reported as an orphan, a case handed to the agency is not; the run is in
// Postgres for the API and its findings in the metric.
func TestIntegrationScheduleRestartsAMissingCaseAndReportsAnOrphan(t *testing.T) {
	st := testenv.Postgres(t)
	tc := dev.Client(t)
	ctx := context.Background()
	queue := "reconcile-it"
	reg := prometheus.NewRegistry()
	rec, err := New(st, tc, queue, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := caseworkertest.StartWith(t, tc, st, queue, func(w worker.Registry) { rec.Register(w) })

	for _, q := range []string{
		`INSERT INTO debtors (id, name, email, address_lines, postal_code, city) VALUES ('d1', 'Debtor', 'd@example.test', '{"1 rue de la Paix"}', '75001', 'Paris')`,
		`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents) VALUES
			('inv-missing', 'd1', 'F-MISSING', current_date - 30, current_date + 30, 'EUR', 1000, 1000),
			('inv-orphan', 'd1', 'F-ORPHAN', current_date - 30, current_date + 30, 'EUR', 2000, 2000),
			('inv-fine', 'd1', 'F-FINE', current_date - 30, current_date + 30, 'EUR', 3000, 3000)`,
	} {
		if _, err := st.Pool.Exec(ctx, q); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	for _, id := range []string{"inv-orphan", "inv-fine"} {
		if _, err := cases.Start(ctx, id, id); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	// Paid behind the case's back (a projection write lost, a manual fix).
	if _, err := st.Pool.Exec(ctx, `UPDATE invoices SET status = 'paid', balance_cents = 0 WHERE id = 'inv-orphan'`); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, tc, queue, 2)

	id := "reconcile-it-" + time.Now().Format("150405.000")
	if err := EnsureSchedule(ctx, tc, id, queue); err != nil {
		t.Fatal(err)
	}
	if err := EnsureSchedule(ctx, tc, id, queue); err != nil {
		t.Fatalf("a second EnsureSchedule: %v", err)
	}
	h := tc.ScheduleClient().GetHandle(ctx, id)
	t.Cleanup(func() { _ = h.Delete(context.Background()) })
	desc, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cal := desc.Schedule.Spec.Calendars; len(cal) != 1 || desc.Schedule.Spec.TimeZoneName != "Europe/Paris" {
		t.Fatalf("schedule spec %+v", desc.Schedule.Spec)
	}
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}

	var run store.ReconciliationRun
	deadline := time.Now().Add(60 * time.Second)
	for {
		run, err = store.LatestReconciliation(ctx, st.Pool)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconciliation recorded: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	ids := func(f []store.ReconciliationFinding) []string {
		var out []string
		for _, x := range f {
			out = append(out, x.InvoiceID+":"+x.Status)
		}
		return out
	}
	if got := ids(run.Restarted); !slices.Equal(got, []string{"inv-missing:"}) {
		t.Errorf("restarted %v, want inv-missing", got)
	}
	if got := ids(run.Orphans); !slices.Equal(got, []string{"inv-orphan:paid"}) {
		t.Errorf("orphans %v, want inv-orphan (paid)", got)
	}
	if run.OpenInvoices != 2 || run.RunningCases != 2 || len(run.Failed) != 0 || len(run.EndedCases) != 0 {
		t.Errorf("run %+v", run)
	}
	d, err := tc.DescribeWorkflowExecution(ctx, temporalx.CaseWorkflowID("inv-missing"), "")
	if err != nil || d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("the missing case: %v %v", d.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	if v := testutil.ToFloat64(rec.findings.WithLabelValues("orphan")); v != 1 {
		t.Errorf("orphan gauge %v, want 1", v)
	}
	if v := testutil.ToFloat64(rec.findings.WithLabelValues("restarted")); v != 1 {
		t.Errorf("restarted gauge %v, want 1", v)
	}
}

// waitRunning waits until visibility lists n running cases on queue.
func waitRunning(t *testing.T, tc client.Client, queue string, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := tc.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
			Query: "WorkflowType = 'CollectionCase' AND ExecutionStatus = 'Running' AND TaskQueue = '" + queue + "'"})
		if err == nil && resp.GetCount() == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("visibility: %d running cases (err %v), want %d", resp.GetCount(), err, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
