// Package workflows holds Relance's Temporal workflows: deterministic code
// only. It imports nothing of ours but domain, and calls activities by the
// names in domain/activities.go.
package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// continueAsNewAfter is the history length past which an idle case starts
// a fresh run, well before the server's 10,240-event warning.
const continueAsNewAfter = 2000

// Version markers of behaviour changes (workflow.GetVersion change IDs).
const (
	// versionCallWaitsForNextRung: a call task waits for its outcome until
	// the later of its deadline and the next rung's time, with one timer.
	versionCallWaitsForNextRung = "call-waits-for-next-rung"
	// versionActOnRung: one ActOnRung local activity per channel attempt
	// (contact rules + action + projection of the rung done) instead of
	// CheckContact, the channel activity and RecordCase; the call task of
	// an expired call is closed by the next projection write. It implies
	// versionCallWaitsForNextRung, so new runs pay for one marker only.
	versionActOnRung = "act-on-rung"
	// versionHandoffKeepsEnd: a case that ended (paid, credited, written
	// off, cancelled) while its agency handoff ran keeps its end. Asked only
	// on that race, so other runs pay no marker.
	versionHandoffKeepsEnd = "handoff-keeps-end"
)

// CollectionCase is the collection workflow of one invoice: it loads the
// invoice's facts and policy snapshot, then walks the ladder, pausing on
// promises, plans, disputes and holds, until the invoice is settled,
// credited, written off, cancelled or closed by the agency.
func CollectionCase(ctx workflow.Context, in domain.CaseInput) (domain.CaseResult, error) {
	w := &caseWorkflow{logger: workflow.GetLogger(ctx)}
	if err := w.setup(ctx); err != nil {
		return domain.CaseResult{}, err
	}
	return w.run(ctx, in)
}

// caseWorkflow holds a case's state. Handlers only change the state and
// queue timeline entries; the main loop records them, talks to the outside
// world, and re-reads the state after every wait, so nothing that arrives
// while an activity runs is lost.
type caseWorkflow struct {
	logger log.Logger
	st     domain.CaseState
	loaded bool
	// dirty is set by every handler so the main loop's waits wake up.
	dirty bool
	// queue holds timeline entries not yet recorded; recorded is the
	// highest EventSeq written to Postgres.
	queue    []domain.TimelineEvent
	recorded int
	alarm    *alarm
	// lastDetails avoids re-setting identical current details.
	lastDetails string
	delivery    workflow.ReceiveChannel
	agency      workflow.ReceiveChannel
	// callUntil is when the open call task stops waiting for its outcome.
	callUntil time.Time
	// failed is a recording error met inside a wait; the main loop returns it.
	failed error
	// closeTasks, when set, is the reason the next projection write closes
	// the case's open call tasks with.
	closeTasks string
	// commitments are promise and plan statuses not yet written.
	commitments []domain.CommitmentStatus
	// loc is the debtor's time zone, named locName, for the planned dates.
	loc     *time.Location
	locName string
}

// carried is what a projection write took off the workflow's hands: the
// first queued timeline entries, the task closing, the first commitments.
type carried struct {
	events      int
	closing     string
	commitments int
}

// alarm is the one pending timer, reused while its target is unchanged so
// an interrupted wait does not cost a new timer.
type alarm struct {
	at     time.Time
	fired  workflow.Future
	cancel workflow.CancelFunc
}

func (w *caseWorkflow) run(ctx workflow.Context, in domain.CaseInput) (domain.CaseResult, error) {
	if in.Resume != nil {
		w.st = *in.Resume
		w.recorded = w.st.EventSeq
	} else {
		var facts domain.CaseFacts
		if err := w.local(ctx, domain.ActivityLoadCase, "load invoice and policy", domain.LoadCaseInput{InvoiceID: in.InvoiceID}, &facts); err != nil {
			return domain.CaseResult{}, fmt.Errorf("load case %s: %w", in.InvoiceID, err)
		}
		w.start(ctx, facts)
	}
	w.loaded = true

	for {
		if w.failed != nil {
			return domain.CaseResult{}, w.failed
		}
		w.dirty = false
		w.derivePause(ctx)
		if w.finished() {
			break
		}
		if w.shouldContinueAsNew(ctx) {
			return domain.CaseResult{}, w.continueAsNew(ctx, in.InvoiceID)
		}
		var err error
		switch {
		case w.st.Status == domain.StatusAgency:
			w.wait(ctx, time.Time{}, "")
		case w.st.Pause != domain.PauseNone:
			err = w.pauseStep(ctx)
		case w.st.NextRung >= len(w.st.Rungs):
			// Ladder exhausted without a handoff: only events move the case.
			w.wait(ctx, time.Time{}, "")
		default:
			err = w.ladderStep(ctx)
		}
		if err != nil {
			return domain.CaseResult{}, err
		}
	}
	if w.st.OpenTaskID != "" {
		if err := w.closeOpenTasks(ctx, "case "+string(w.st.Status)); err != nil {
			return domain.CaseResult{}, err
		}
	}
	// Handlers of the last updates wait for their timeline entry.
	if err := w.drainHandlers(ctx); err != nil {
		return domain.CaseResult{}, err
	}
	return domain.CaseResult{
		Status: w.st.Status, BalanceCents: w.st.BalanceCents,
		PaidCents: w.st.PaidCents, OverpaidCents: w.st.OverpaidCents,
	}, nil
}

// start builds the state of a new case from its facts.
func (w *caseWorkflow) start(ctx workflow.Context, facts domain.CaseFacts) {
	now := workflow.Now(ctx)
	w.st = domain.CaseState{
		Facts:        facts,
		Status:       domain.StatusActive,
		Stage:        "new",
		BalanceCents: facts.BalanceCents,
		PaidCents:    max(0, facts.AmountCents-facts.BalanceCents),
		StartedAt:    now,
	}
	for _, s := range facts.Policy.Steps {
		w.st.Rungs = append(w.st.Rungs, domain.Rung{Step: s, Status: domain.RungPending})
	}
	w.note(ctx, "case_started", fmt.Sprintf("case started on policy %s v%d", facts.Policy.Name, facts.Policy.Version),
		map[string]any{"policy": facts.Policy.Name, "version": facts.Policy.Version, "balance_cents": facts.BalanceCents})
	if facts.BalanceCents == 0 {
		w.st.Status = domain.StatusPaid
		w.note(ctx, "paid", "invoice already settled at start", nil)
	}
	w.catchUpAtStart(ctx)
}

// finished reports whether the main loop is over. A case handed to the
// agency stays open for the agency's reports and late payments.
func (w *caseWorkflow) finished() bool {
	return w.st.Status.Terminal() && w.st.Status != domain.StatusAgency
}

// closed reports whether updates must be refused.
func (w *caseWorkflow) closed() bool { return w.finished() }

// wait blocks until at (when not zero) or until a handler changes the
// state, and reports whether the time was reached. Before blocking it
// records the timeline and refreshes the search attributes, so a wake-up
// costs one projection write and at most one upsert however many
// transitions it made.
func (w *caseWorkflow) wait(ctx workflow.Context, at time.Time, summary string) bool {
	now := workflow.Now(ctx)
	if !at.IsZero() && !at.After(now) {
		return true
	}
	if !at.IsZero() && (w.alarm == nil || !w.alarm.at.Equal(at)) {
		if w.alarm != nil {
			w.alarm.cancel()
		}
		tctx, cancel := workflow.WithCancel(ctx)
		w.alarm = &alarm{at: at, cancel: cancel, fired: workflow.NewTimerWithOptions(tctx, at.Sub(now), workflow.TimerOptions{Summary: summary})}
	}
	if at.IsZero() && w.alarm != nil {
		w.alarm.cancel()
		w.alarm = nil
	}
	if err := w.flush(ctx); err != nil {
		w.failed = err
		return false
	}
	if at.IsZero() {
		_ = workflow.Await(ctx, func() bool { return w.dirty })
		return false
	}
	a := w.alarm
	_ = workflow.Await(ctx, func() bool { return w.dirty || a.fired.IsReady() })
	if a.fired.IsReady() {
		w.alarm = nil
		return a.fired.Get(ctx, nil) == nil
	}
	return false
}

// local runs a local activity: the short Postgres work and the rungs'
// actions, whose exactly-once effect rests on the idempotency key the
// activity records before calling a provider. A local activity costs one
// history event instead of a regular activity's three plus a task.
func (w *caseWorkflow) local(ctx workflow.Context, name, summary string, in, out any) error {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			NonRetryableErrorTypes: []string{domain.ErrTypePermanent},
		},
		Summary: summary,
	})
	return workflow.ExecuteLocalActivity(lctx, name, in).Get(lctx, out)
}

// note queues a timeline entry; the main loop records it.
func (w *caseWorkflow) note(ctx workflow.Context, kind, message string, data map[string]any) int {
	w.st.EventSeq++
	w.queue = append(w.queue, domain.TimelineEvent{Kind: kind, Message: message, Data: data, At: workflow.Now(ctx)})
	w.dirty = true
	return w.st.EventSeq
}

// flush writes the queued timeline entries with the current projection
// in one activity, then refreshes the search attributes and the details.
func (w *caseWorkflow) flush(ctx workflow.Context) error {
	if n := len(w.queue); n > 0 || w.closeTasks != "" || len(w.commitments) > 0 {
		rec, c := w.pendingRecord(ctx)
		what := "close call tasks"
		if n > 0 {
			what = "record " + w.queue[n-1].Kind
		}
		if err := w.local(ctx, domain.ActivityRecordCase, what, rec, nil); err != nil {
			return fmt.Errorf("record case %s: %w", w.st.Facts.InvoiceID, err)
		}
		w.recordedPending(c)
		if len(w.queue) > 0 {
			return w.flush(ctx)
		}
	}
	w.publish(ctx)
	return nil
}

// pendingRecord is the current projection with the queued timeline
// entries, the pending task closing and the commitments' statuses.
func (w *caseWorkflow) pendingRecord(ctx workflow.Context) (domain.CaseRecord, carried) {
	rec := w.record(ctx)
	rec.CloseTasks = w.closeTasks
	rec.Commitments = slices.Clone(w.commitments)
	n := len(w.queue)
	c := carried{events: n, closing: w.closeTasks, commitments: len(w.commitments)}
	if n == 0 {
		return rec, c
	}
	first := w.st.EventSeq - n + 1
	key := func(seq int) string { return fmt.Sprintf("%s:%d", w.st.Facts.InvoiceID, seq) }
	ev := w.queue[0]
	rec.EventKey, rec.Event = key(first), &ev
	for i, ev := range w.queue[1:] {
		rec.More = append(rec.More, domain.KeyedEvent{Key: key(first + 1 + i), Event: ev})
	}
	return rec, c
}

// recordedPending drops what a projection write carried; handlers may
// have queued more meanwhile.
func (w *caseWorkflow) recordedPending(c carried) {
	if c.events > 0 {
		first := w.st.EventSeq - len(w.queue) + 1
		w.queue = w.queue[c.events:]
		w.recorded = first + c.events - 1
	}
	if c.closing != "" && w.closeTasks == c.closing {
		w.closeTasks = ""
	}
	w.commitments = w.commitments[c.commitments:]
}

// commit queues a promise's or a plan's new status for the projection.
func (w *caseWorkflow) commit(c domain.CommitmentStatus) {
	w.commitments = append(w.commitments, c)
	w.dirty = true
}

// settleCommitments records what becomes of the running promise and plan
// when the case ends: kept / completed when paid, cancelled otherwise.
func (w *caseWorkflow) settleCommitments(paid bool) {
	promise, plan := domain.CommitmentCancelled, domain.CommitmentCancelled
	if paid {
		promise, plan = domain.CommitmentKept, domain.CommitmentCompleted
	}
	if p := w.st.Promise; p != nil {
		w.commit(domain.CommitmentStatus{PromiseID: p.ID, Status: promise})
	}
	if p := w.st.Plan; p != nil {
		w.commit(domain.CommitmentStatus{PlanID: p.ID, Status: plan})
	}
}

func (w *caseWorkflow) record(ctx workflow.Context) domain.CaseRecord {
	f := w.st.Facts
	return domain.CaseRecord{
		InvoiceID: f.InvoiceID, DebtorID: f.DebtorID,
		Status: w.st.Status, Stage: w.st.Stage,
		BalanceCents: w.st.BalanceCents, Currency: f.Currency,
		PolicyName: f.Policy.Name, PolicyVersion: f.Policy.Version,
		CollectorID: f.CollectorID, NextActionAt: w.nextActionAt(ctx), PauseReason: w.st.PauseReason,
	}
}

// awaitRecorded blocks an update handler until its timeline entry is in
// Postgres, so the caller reads its own write from the projection.
func (w *caseWorkflow) awaitRecorded(ctx workflow.Context, seq int) {
	_ = workflow.Await(ctx, func() bool { return w.recorded >= seq })
}

func (w *caseWorkflow) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= continueAsNewAfter
}

// continueAsNew carries the state into a fresh run once every message has
// been applied and recorded.
func (w *caseWorkflow) continueAsNew(ctx workflow.Context, invoiceID string) error {
	if err := w.drainHandlers(ctx); err != nil {
		return err
	}
	st := w.st
	w.logger.Info("continuing as new", "events", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, workflow.GetInfo(ctx).WorkflowType.Name,
		domain.CaseInput{InvoiceID: invoiceID, Resume: &st})
}

// drainHandlers applies buffered signals and waits for running update
// handlers, recording what they queued, until nothing is left.
func (w *caseWorkflow) drainHandlers(ctx workflow.Context) error {
	for {
		w.drainSignals(ctx)
		if err := w.flush(ctx); err != nil {
			return err
		}
		if workflow.AllHandlersFinished(ctx) && len(w.queue) == 0 {
			return nil
		}
		_ = workflow.Await(ctx, func() bool { return len(w.queue) > 0 || workflow.AllHandlersFinished(ctx) })
	}
}

func (w *caseWorkflow) closeOpenTasks(ctx workflow.Context, reason string) error {
	if err := w.local(ctx, domain.ActivityCloseTasks, "close call tasks: "+reason,
		domain.CloseTasksInput{InvoiceID: w.st.Facts.InvoiceID, Reason: reason}, nil); err != nil {
		return fmt.Errorf("close tasks of %s: %w", w.st.Facts.InvoiceID, err)
	}
	w.st.OpenTaskID = ""
	return nil
}
