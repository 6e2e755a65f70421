package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// An ERP correcting an issued invoice re-imports it: a new due date moves
// the rungs still to come, a higher amount raises the balance. A lower
// amount is not a term change but a credit note (UpdateCredit).

func (w *caseWorkflow) validateTerms(_ workflow.Context, t domain.TermsUpdate) error {
	if t.ID == "" {
		return reject("id", "is required")
	}
	if t.DueDate.IsZero() {
		return reject("due_date", "is required")
	}
	if y := t.DueDate.Year(); y < 1990 || y > 2200 {
		return reject("due_date", "is out of range")
	}
	if w.applied(t.ID) {
		return nil
	}
	if t.AmountCents < w.st.Facts.AmountCents {
		return reject("amount_cents", fmt.Sprintf("is below the invoiced %d: lower it with a credit note", w.st.Facts.AmountCents))
	}
	return nil
}

func (w *caseWorkflow) applyTerms(ctx workflow.Context, t domain.TermsUpdate) {
	if w.applied(t.ID) {
		return
	}
	st := &w.st
	st.AppliedIDs = append(st.AppliedIDs, t.ID)
	oldDue, raise := st.Facts.DueDate, t.AmountCents-st.Facts.AmountCents
	st.Facts.DueDate, st.Facts.AmountCents = t.DueDate.UTC(), t.AmountCents
	st.BalanceCents += raise
	data := map[string]any{"update_id": t.ID, "due_date": st.Facts.DueDate, "previous_due_date": oldDue,
		"amount_cents": t.AmountCents, "balance_cents": st.BalanceCents}
	w.note(ctx, "terms_changed", fmt.Sprintf("invoice corrected: due %s (was %s), balance %s",
		st.Facts.DueDate.Format("2006-01-02"), oldDue.Format("2006-01-02"),
		domain.NewMoney(st.BalanceCents, st.Facts.Currency).FormatFR()), data)
	// A due date moved earlier can make several rungs late at once: the
	// main loop catches up as a late start does (not here: a rung may be
	// running).
	st.CatchUp = true
}

// catchUpIfAsked applies the catch-up a term change asked for, before the
// main loop runs the next rung.
func (w *caseWorkflow) catchUpIfAsked(ctx workflow.Context) {
	if !w.st.CatchUp {
		return
	}
	w.st.CatchUp = false
	if plan, ok := w.planCatchUp(ctx); ok {
		w.applyCatchUp(ctx, plan)
	}
}
