// Package reconcile keeps Postgres and Temporal in step: a daily Temporal
// Schedule runs a check that every open invoice has a running case and
// every running case an open invoice, starts the cases that are missing
// and records what a person must look at (API and metric).
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
	"github.com/relance/relance/workflows"
)

// Reconciler is the reconciliation activity and its dependencies.
type Reconciler struct {
	Store    *store.Store
	Temporal client.Client
	// TaskQueue is the cases' queue: only its cases are compared.
	TaskQueue string
	Logger    *slog.Logger
	findings  *prometheus.GaugeVec
}

// New returns a reconciler whose findings of the last run are the gauge
// relance_reconciliation_findings{kind} on reg.
func New(st *store.Store, tc client.Client, queue string, reg prometheus.Registerer, logger *slog.Logger) (*Reconciler, error) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "relance_reconciliation_findings",
		Help: "What the last reconciliation between Postgres and Temporal found: open invoices whose case it started (restarted), whose case has ended (ended_case), running cases without an open invoice (orphan), starts that failed (failed).",
	}, []string{"kind"})
	if err := reg.Register(g); err != nil {
		return nil, fmt.Errorf("register reconciliation metric: %w", err)
	}
	return &Reconciler{Store: st, Temporal: tc, TaskQueue: queue, Logger: logger, findings: g}, nil
}

// Register puts the reconciliation workflow and activity on a worker.
func (r *Reconciler) Register(w worker.Registry) {
	w.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: domain.ReconcileWorkflowType})
	w.RegisterActivityWithOptions(r.Reconcile, activity.RegisterOptions{Name: domain.ActivityReconcile})
}

// Reconcile compares the open invoices with the running cases. A missing
// case is started (the same idempotent start as intake's); an open invoice
// whose case has ended, and a running case whose invoice is not open (nor
// with the agency, whose cases stay open for its reports), are recorded
// for a person. Visibility lags: a case that seems missing is described
// before anything is started.
func (r *Reconciler) Reconcile(ctx context.Context, _ domain.ReconcileInput) (domain.ReconcileResult, error) {
	run := store.ReconciliationRun{StartedAt: time.Now().UTC()}
	open, err := store.OpenInvoiceRefs(ctx, r.Store.Pool)
	if err != nil {
		return domain.ReconcileResult{}, err
	}
	running, err := r.runningCases(ctx)
	if err != nil {
		return domain.ReconcileResult{}, err
	}
	run.OpenInvoices, run.RunningCases = len(open), len(running)
	cases := &caseclient.Client{Temporal: r.Temporal, TaskQueue: r.TaskQueue}
	isOpen := map[string]bool{}
	for _, inv := range open {
		isOpen[inv.ID] = true
		if running[inv.ID] {
			continue
		}
		f := store.ReconciliationFinding{InvoiceID: inv.ID}
		status, err := r.caseStatus(ctx, inv.ID)
		switch {
		case err != nil:
			f.Error = err.Error()
			run.Failed = append(run.Failed, f)
		case status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
			// Visibility had not caught up: nothing to do.
		case status != enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED:
			f.Status = status.String()
			run.EndedCases = append(run.EndedCases, f)
		default:
			err := cases.EnsureStarted(ctx, caseclient.StartRequest{
				InvoiceID: inv.ID,
				Summary:   fmt.Sprintf("%s · %s · restarted", inv.Number, domain.NewMoney(inv.BalanceCents, inv.Currency).FormatFR()),
				Attributes: caseclient.Attributes{CustomerID: inv.DebtorID, InvoiceNumber: inv.Number, Segment: inv.Segment,
					AmountDueCents: inv.BalanceCents, Collector: inv.CollectorID},
			})
			if err != nil {
				f.Error = err.Error()
				run.Failed = append(run.Failed, f)
				continue
			}
			run.Restarted = append(run.Restarted, f)
		}
	}
	var strays []string
	for id := range running {
		if !isOpen[id] {
			strays = append(strays, id)
		}
	}
	if len(strays) > 0 {
		statuses, err := store.InvoiceStatuses(ctx, r.Store.Pool, strays)
		if err != nil {
			return domain.ReconcileResult{}, err
		}
		for _, id := range strays {
			status, known := statuses[id]
			switch {
			case !known:
				run.Orphans = append(run.Orphans, store.ReconciliationFinding{InvoiceID: id, Status: "unknown"})
			case status != "agency" && status != "open":
				run.Orphans = append(run.Orphans, store.ReconciliationFinding{InvoiceID: id, Status: status})
			}
		}
	}
	id, err := store.RecordReconciliation(ctx, r.Store.Pool, run)
	if err != nil {
		return domain.ReconcileResult{}, err
	}
	for kind, n := range map[string]int{"restarted": len(run.Restarted), "ended_case": len(run.EndedCases),
		"orphan": len(run.Orphans), "failed": len(run.Failed)} {
		r.findings.WithLabelValues(kind).Set(float64(n))
	}
	if r.Logger != nil && len(run.EndedCases)+len(run.Orphans)+len(run.Failed) > 0 {
		r.Logger.Error("reconciliation found cases a person must look at", "run_id", id,
			"ended_cases", len(run.EndedCases), "orphans", len(run.Orphans), "failed", len(run.Failed))
	}
	return domain.ReconcileResult{RunID: id, OpenInvoices: run.OpenInvoices, RunningCases: run.RunningCases,
		Restarted: len(run.Restarted), EndedCases: len(run.EndedCases), Orphans: len(run.Orphans), Failed: len(run.Failed)}, nil
}

// runningCases lists the invoices of the queue's running cases from
// Temporal's visibility.
func (r *Reconciler) runningCases(ctx context.Context) (map[string]bool, error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND TaskQueue = '%s'", temporalx.CaseWorkflowType, r.TaskQueue)
	out := map[string]bool{}
	var token []byte
	for {
		resp, err := r.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list running cases: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			if id, ok := temporalx.InvoiceIDFromWorkflowID(e.GetExecution().GetWorkflowId()); ok {
				out[id] = true
			}
		}
		activity.RecordHeartbeat(ctx, len(out))
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

// caseStatus is the status of the invoice's case, UNSPECIFIED when it
// never started.
func (r *Reconciler) caseStatus(ctx context.Context, invoiceID string) (enumspb.WorkflowExecutionStatus, error) {
	desc, err := r.Temporal.DescribeWorkflowExecution(ctx, temporalx.CaseWorkflowID(invoiceID), "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, nil
	}
	if err != nil {
		return 0, fmt.Errorf("describe case of %s: %w", invoiceID, err)
	}
	return desc.GetWorkflowExecutionInfo().GetStatus(), nil
}

// ScheduleID is the reconciliation's Temporal Schedule.
const ScheduleID = "relance-reconcile"

// EnsureSchedule creates the daily reconciliation schedule (03:00 Paris
// time, one run at a time) unless it exists. id names it (ScheduleID;
// tests use their own).
func EnsureSchedule(ctx context.Context, tc client.Client, id, queue string) error {
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: id,
		Spec: client.ScheduleSpec{
			Calendars:    []client.ScheduleCalendarSpec{{Hour: []client.ScheduleRange{{Start: 3}}}},
			TimeZoneName: "Europe/Paris",
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID:        id + "-run",
			Workflow:  domain.ReconcileWorkflowType,
			Args:      []any{domain.ReconcileInput{}},
			TaskQueue: queue,
		},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return nil
}
