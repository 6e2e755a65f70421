// Package bare holds the baseline workflows: the same shape of work as a
// collection case (activities and timers) doing nothing, so a benchmark can
// tell Relance's own cost from the floor set by Temporal on this machine.
package bare

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Registered names.
const (
	LadderWorkflow = "BenchBareLadder"
	EmptyWorkflow  = "BenchEmpty"
	NoopActivity   = "BenchNoop"
	// TaskQueue of the baseline worker, apart from the cases' queue.
	TaskQueue = "relance-bench-bare"
)

// LadderInput shapes a bare ladder like a real case's history.
type LadderInput struct {
	// Timers are slept in turn; Activities (and LocalActivities) are
	// spread over them.
	Timers          int           `json:"timers"`
	Activities      int           `json:"activities"`
	LocalActivities int           `json:"local_activities"`
	Delay           time.Duration `json:"delay"`
	// Sleep, when set, is one long sleep before the ladder (sleeping cases).
	Sleep time.Duration `json:"sleep,omitempty"`
}

// NoopInput carries an ID like the real activities' inputs.
type NoopInput struct {
	ID   string `json:"id"`
	Step int    `json:"step"`
}

// Ladder sleeps Timers times and runs Activities no-op activities, spread
// evenly after each timer (the remainder before the first).
func Ladder(ctx workflow.Context, in LadderInput) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second},
	})
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second},
	})
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	if in.Sleep > 0 {
		if err := workflow.Sleep(ctx, in.Sleep); err != nil {
			return 0, err
		}
	}
	spread := func(n int) (per, first int) {
		if in.Timers == 0 {
			return 0, n
		}
		return n / in.Timers, n % in.Timers
	}
	per, first := spread(in.Activities)
	perLocal, firstLocal := spread(in.LocalActivities)
	done := 0
	run := func(n, local int) error {
		for range local {
			if err := workflow.ExecuteLocalActivity(ctx, NoopActivity, NoopInput{ID: id, Step: done}).Get(ctx, nil); err != nil {
				return err
			}
			done++
		}
		for range n {
			if err := workflow.ExecuteActivity(ctx, NoopActivity, NoopInput{ID: id, Step: done}).Get(ctx, nil); err != nil {
				return err
			}
			done++
		}
		return nil
	}
	if err := run(first, firstLocal); err != nil {
		return done, err
	}
	for range in.Timers {
		if err := workflow.Sleep(ctx, in.Delay); err != nil {
			return done, err
		}
		if err := run(per, perLocal); err != nil {
			return done, err
		}
	}
	return done, nil
}

// Empty returns at once: the floor of a start.
func Empty(ctx workflow.Context) error { return nil }

// Noop does nothing.
func Noop(ctx context.Context, in NoopInput) error { return nil }

// Register adds the baseline workflows and activity to w.
func Register(w worker.Registry) {
	w.RegisterWorkflowWithOptions(Ladder, workflow.RegisterOptions{Name: LadderWorkflow})
	w.RegisterWorkflowWithOptions(Empty, workflow.RegisterOptions{Name: EmptyWorkflow})
	w.RegisterActivityWithOptions(Noop, activity.RegisterOptions{Name: NoopActivity})
}
