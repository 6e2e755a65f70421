package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// Reconcile is the daily reconciliation the worker's Temporal Schedule
// starts: one regular activity that compares open invoices with running
// cases, starts the missing cases and records the rest for a person.
func Reconcile(ctx workflow.Context, _ domain.ReconcileInput) (domain.ReconcileResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Minute,
		ScheduleToCloseTimeout: 2 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    10 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Minute,
		},
		Summary: "compare open invoices with running cases",
	})
	var res domain.ReconcileResult
	if err := workflow.ExecuteActivity(actx, domain.ActivityReconcile, domain.ReconcileInput{}).Get(actx, &res); err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	return res, nil
}
