package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// The case's typed search attributes. The keys repeat temporalx's (a test
// checks they match) because workflows import nothing but domain and the SDK.
var (
	saCustomerID      = temporal.NewSearchAttributeKeyKeyword("CustomerId")
	saInvoiceNumber   = temporal.NewSearchAttributeKeyKeyword("InvoiceNumber")
	saCaseStatus      = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
	saCollectionStage = temporal.NewSearchAttributeKeyKeyword("CollectionStage")
	saCollector       = temporal.NewSearchAttributeKeyKeyword("Collector")
	saSegment         = temporal.NewSearchAttributeKeyKeyword("Segment")
	saAmountDueCents  = temporal.NewSearchAttributeKeyInt64("AmountDueCents")
	saNextActionAt    = temporal.NewSearchAttributeKeyTime("NextActionAt")
)

// publish upserts the search attributes that changed (one history event
// when any did, none otherwise) and the markdown current details.
func (w *caseWorkflow) publish(ctx workflow.Context) {
	if !w.loaded && w.st.Facts.InvoiceID == "" {
		return
	}
	w.upsertChanged(ctx)
	if d := w.details(ctx); d != w.lastDetails {
		workflow.SetCurrentDetails(ctx, d)
		w.lastDetails = d
	}
}

func (w *caseWorkflow) upsertChanged(ctx workflow.Context) {
	cur := workflow.GetTypedSearchAttributes(ctx)
	var updates []temporal.SearchAttributeUpdate
	keyword := func(k temporal.SearchAttributeKeyKeyword, v string) {
		old, ok := cur.GetKeyword(k)
		switch {
		case v == "" && ok:
			updates = append(updates, k.ValueUnset())
		case v != "" && (!ok || old != v):
			updates = append(updates, k.ValueSet(v))
		}
	}
	f := w.st.Facts
	keyword(saCustomerID, f.DebtorID)
	keyword(saInvoiceNumber, f.InvoiceNumber)
	keyword(saCaseStatus, string(w.st.Status))
	keyword(saCollectionStage, w.st.Stage)
	keyword(saCollector, f.CollectorID)
	keyword(saSegment, f.Segment)
	if old, ok := cur.GetInt64(saAmountDueCents); !ok || old != w.st.BalanceCents {
		updates = append(updates, saAmountDueCents.ValueSet(w.st.BalanceCents))
	}
	next := w.nextActionAt(ctx)
	old, ok := cur.GetTime(saNextActionAt)
	switch {
	case next.IsZero() && ok:
		updates = append(updates, saNextActionAt.ValueUnset())
	case !next.IsZero() && (!ok || !old.Equal(next)):
		updates = append(updates, saNextActionAt.ValueSet(next))
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		w.logger.Warn("upsert search attributes", "error", err)
	}
}

// details renders the ladder and where the case stands for the Temporal UI.
func (w *caseWorkflow) details(ctx workflow.Context) string {
	st := &w.st
	var b strings.Builder
	money := func(c int64) string { return domain.NewMoney(c, st.Facts.Currency).FormatFR() }
	b.WriteString(fmt.Sprintf("**%s** · invoice %s · balance %s", st.Status, st.Facts.InvoiceNumber, money(st.BalanceCents)))
	if d := st.DisputedCents(); d > 0 {
		b.WriteString(fmt.Sprintf(" (disputed %s)", money(d)))
	}
	b.WriteString(fmt.Sprintf(" · policy %s v%d\n\n", st.Facts.Policy.Name, st.Facts.Policy.Version))
	if st.Pause != domain.PauseNone {
		b.WriteString(fmt.Sprintf("⏸ **paused** — %s\n\n", st.PauseReason))
	}
	if next := w.nextActionAt(ctx); !next.IsZero() {
		b.WriteString(fmt.Sprintf("Next action: %s\n\n", next.UTC().Format(time.RFC3339)))
	}
	b.WriteString("| | rung | action | status | note |\n|---|---|---|---|---|\n")
	planned := w.plannedLadder(ctx)
	for i, r := range st.Rungs {
		mark, status := " ", string(r.Status)
		switch {
		case r.Status == domain.RungDone:
			mark = "✅"
			status = "done " + r.At.UTC().Format("2006-01-02 15:04") + " by " + string(r.Channel)
		case r.Status == domain.RungSkipped || r.Status == domain.RungFailed:
			mark = "⏭"
		case i == st.NextRung && !st.Status.Terminal():
			mark, status = "➡", "next"
		}
		if r.Status == domain.RungPending && !planned[i].IsZero() {
			status += " · planned " + planned[i].UTC().Format("2006-01-02 15:04") + " UTC"
		}
		b.WriteString(fmt.Sprintf("| %s | %s | %s | %s | %s |\n", mark, r.Step.Name, r.Step.Action, status, r.Note))
	}
	return b.String()
}
