package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// plannedAt is when rung i will really run: its date moved by the business
// calendar and the debtor's contact window for the channel it tries next.
// The case sleeps until then, and shows that date everywhere (projection,
// NextActionAt, details). Cases whose facts carry no contact calendar
// (started before it existed) keep the policy's date.
func (w *caseWorkflow) plannedAt(ctx workflow.Context, i int) time.Time {
	return w.onCalendar(i, w.rungDue(ctx, i))
}

// onCalendar moves at, the date of rung i, by the calendar rules.
func (w *caseWorkflow) onCalendar(i int, at time.Time) time.Time {
	cal := w.st.Facts.Contact
	if cal == nil || !cal.Calendar {
		return at
	}
	r := w.st.Rungs[i]
	chs := r.Step.EffectiveChannels()
	ch := chs[min(r.ChannelIndex, len(chs)-1)]
	if w.loc == nil || w.locName != cal.Timezone {
		w.loc, w.locName = cal.Location(), cal.Timezone
	}
	return cal.Earliest(ch, at, w.loc)
}

// plannedLadder is the planned date of every rung still to come, assuming
// nothing changes the course: the next rung's real date, then each later
// one from its own anchor (the due date, or the rung before it).
func (w *caseWorkflow) plannedLadder(ctx workflow.Context) []time.Time {
	st := &w.st
	out := make([]time.Time, len(st.Rungs))
	if st.Status.Terminal() || st.Pause != domain.PauseNone || st.NextRung >= len(st.Rungs) {
		return out
	}
	prev := w.plannedAt(ctx, st.NextRung)
	out[st.NextRung] = prev
	for i := st.NextRung + 1; i < len(st.Rungs); i++ {
		s := st.Rungs[i].Step
		at := prev.Add(s.Offset.Std())
		if s.From == domain.FromDueDate {
			at = st.Facts.DueDate.Add(s.Offset.Std()).Add(st.Shift.Std())
		}
		out[i] = w.onCalendar(i, at)
		prev = out[i]
	}
	return out
}
