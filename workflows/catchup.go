package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// versionCatchUp: a case that starts after some rungs' dates runs the one
// rung its policy's catch-up picks and postpones the rest, instead of
// running every late rung at once. Asked only when a rung is late at
// start, so other runs pay no marker.
const versionCatchUp = "catch-up"

// dueDates is the date of each rung counted from the due date (zero for a
// rung counted from the previous one), with the pauses' shift.
func (w *caseWorkflow) dueDates() []time.Time {
	st := &w.st
	out := make([]time.Time, len(st.Rungs))
	for i, r := range st.Rungs {
		if r.Step.From == domain.FromDueDate {
			out[i] = st.Facts.DueDate.Add(r.Step.Offset.Std()).Add(st.Shift.Std())
		}
	}
	return out
}

// planCatchUp is the catch-up the case needs now, if any.
func (w *caseWorkflow) planCatchUp(ctx workflow.Context) (domain.CatchUpPlan, bool) {
	st := &w.st
	pending := make([]bool, len(st.Rungs))
	for i, r := range st.Rungs {
		pending[i] = i >= st.NextRung && r.Status == domain.RungPending
	}
	return domain.PlanCatchUp(st.Facts.Policy, w.dueDates(), pending, workflow.Now(ctx))
}

// catchUpAtStart applies the catch-up of a case that starts late (on
// versionCatchUp; earlier runs walked every late rung in turn).
func (w *caseWorkflow) catchUpAtStart(ctx workflow.Context) {
	if w.st.Status != domain.StatusActive {
		return
	}
	plan, ok := w.planCatchUp(ctx)
	if !ok || workflow.GetVersion(ctx, versionCatchUp, workflow.DefaultVersion, 1) < 1 {
		return
	}
	w.applyCatchUp(ctx, plan)
}

// applyCatchUp skips the rungs the plan skips and postpones the rest so
// that the plan's rung is due now.
func (w *caseWorkflow) applyCatchUp(ctx workflow.Context, plan domain.CatchUpPlan) {
	st := &w.st
	run := st.Rungs[plan.Run].Step.Name
	now := workflow.Now(ctx)
	dates := w.dueDates()
	for _, i := range plan.Skip {
		late := 0
		if !dates[i].IsZero() {
			late = int(now.Sub(dates[i]) / (24 * time.Hour))
		}
		w.skipRung(ctx, i, domain.CatchUpNote(run, late))
	}
	st.Shift += domain.Duration(plan.Shift)
	w.note(ctx, "caught_up", "late start: "+run+" runs now, the rungs after it keep the policy's intervals",
		map[string]any{"rung": run, "shift_seconds": int64(plan.Shift / time.Second), "skipped": len(plan.Skip)})
}
