package domain

// ReconcileWorkflowType and ActivityReconcile name the daily
// reconciliation between Postgres and Temporal: every open invoice has a
// running case, every running case an open invoice.
const (
	ReconcileWorkflowType = "Reconcile"
	ActivityReconcile     = "Reconcile"
)

// ReconcileInput starts a reconciliation run.
type ReconcileInput struct{}

// ReconcileResult counts what a run found and did; the invoice IDs are in
// Postgres (reconciliation_runs).
type ReconcileResult struct {
	RunID        int64 `json:"run_id"`
	OpenInvoices int   `json:"open_invoices"`
	RunningCases int   `json:"running_cases"`
	Restarted    int   `json:"restarted"`
	EndedCases   int   `json:"ended_cases"`
	Orphans      int   `json:"orphans"`
	Failed       int   `json:"failed"`
}
