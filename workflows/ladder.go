package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// derivePause sets Pause and PauseReason from the state, most binding
// first, and moves the ladder's schedule by the time spent paused so the
// case resumes where it stopped instead of firing every overdue rung.
func (w *caseWorkflow) derivePause(ctx workflow.Context) {
	st := &w.st
	kind, reason := domain.PauseNone, ""
	switch {
	case st.Status.Terminal():
	case st.Held:
		kind, reason = domain.PauseHold, "on hold: "+st.HoldReason
		if !st.HoldUntil.IsZero() {
			reason += " (until " + st.HoldUntil.Format(time.RFC3339) + ")"
		}
	case len(st.Disputes) > 0 && st.DunnableCents() == 0:
		kind, reason = domain.PauseDispute, "whole balance disputed: "+st.Disputes[0].ID
	case st.Plan != nil:
		kind, reason = domain.PausePlan, fmt.Sprintf("payment plan %s, installment %d of %d", st.Plan.ID, st.Plan.Next+1, len(st.Plan.Installments))
	case st.Promise != nil:
		kind, reason = domain.PausePromise, "promise to pay by "+st.Promise.Date.Format("2006-01-02")
	}
	now := workflow.Now(ctx)
	if st.Pause == domain.PauseNone && kind != domain.PauseNone {
		st.PausedAt = now
		if st.Status == domain.StatusActive {
			st.Status = domain.StatusPaused
		}
	}
	if st.Pause != domain.PauseNone && kind == domain.PauseNone {
		paused := now.Sub(st.PausedAt)
		st.Shift += domain.Duration(paused)
		if st.PreviousStepAt.IsZero() {
			st.PreviousStepAt = st.StartedAt
		}
		st.PreviousStepAt = st.PreviousStepAt.Add(paused)
		st.PausedAt = time.Time{}
		if st.Status == domain.StatusPaused {
			st.Status = domain.StatusActive
		}
	}
	st.Pause, st.PauseReason = kind, reason
}

// pauseStep waits for what ends the current pause.
func (w *caseWorkflow) pauseStep(ctx workflow.Context) error {
	st := &w.st
	switch st.Pause {
	case domain.PauseHold:
		if w.wait(ctx, st.HoldUntil, "hold until "+st.HoldUntil.Format(time.RFC3339)) && !st.HoldUntil.IsZero() {
			st.Held, st.HoldUntil, st.HoldReason = false, time.Time{}, ""
			w.note(ctx, "hold_ended", "hold ended at its date", nil)
		}
	case domain.PauseDispute:
		w.wait(ctx, time.Time{}, "")
	case domain.PausePromise:
		p := st.Promise
		if st.PaidCents-p.PaidAtStart >= p.AmountCents {
			st.Promise = nil
			w.note(ctx, "promise_kept", "promise kept", map[string]any{"promise_id": p.ID})
			return nil
		}
		end := p.Date.Add(st.Facts.Policy.PromiseGrace.Std())
		if w.wait(ctx, end, "promise "+p.ID+" due with grace") && st.Promise == p {
			if st.PaidCents-p.PaidAtStart >= p.AmountCents {
				return nil // kept at the last moment: the next pass records it
			}
			st.Promise = nil
			st.BrokenPromises++
			st.EscalateNext = true
			w.note(ctx, "promise_broken", "promise broken: escalating to the next rung",
				map[string]any{"promise_id": p.ID, "broken_promises": st.BrokenPromises})
		}
	case domain.PausePlan:
		return w.planStep(ctx)
	}
	return nil
}

// planStep watches the next installment: a reminder before it, a check
// after its grace.
func (w *caseWorkflow) planStep(ctx workflow.Context) error {
	st := &w.st
	plan := st.Plan
	if plan.Next >= len(plan.Installments) {
		st.Plan = nil
		w.note(ctx, "plan_completed", "every installment checked", map[string]any{"plan_id": plan.ID})
		return nil
	}
	i := plan.Next
	inst := plan.Installments[i]
	var owed int64
	for _, it := range plan.Installments[:i+1] {
		owed += it.AmountCents
	}
	if st.PaidCents-plan.PaidAtStart >= owed {
		plan.Next++
		plan.Reminded = max(plan.Reminded, plan.Next)
		w.note(ctx, "installment_paid", fmt.Sprintf("installment %d of %d paid", i+1, len(plan.Installments)),
			map[string]any{"plan_id": plan.ID, "installment": i + 1})
		return nil
	}
	policy := st.Facts.Policy
	if plan.Reminded <= i {
		remindAt := inst.DueDate.Add(-policy.InstallmentReminder.Std())
		if !w.wait(ctx, remindAt, fmt.Sprintf("reminder of installment %d", i+1)) || st.Plan != plan {
			return nil
		}
		plan.Reminded = i + 1
		return w.remindInstallment(ctx, plan, i)
	}
	checkAt := inst.DueDate.Add(policy.InstallmentGrace.Std())
	if !w.wait(ctx, checkAt, fmt.Sprintf("check of installment %d", i+1)) || st.Plan != plan {
		return nil
	}
	if st.PaidCents-plan.PaidAtStart >= owed {
		return nil // paid at the last moment: the next pass records it
	}
	st.Plan = nil
	st.EscalateNext = true
	w.note(ctx, "plan_broken", fmt.Sprintf("installment %d missed: plan broken, ladder resumes on the remaining balance", i+1),
		map[string]any{"plan_id": plan.ID, "installment": i + 1, "balance_cents": st.BalanceCents})
	return nil
}

func (w *caseWorkflow) remindInstallment(ctx workflow.Context, plan *domain.PaymentPlan, i int) error {
	st := &w.st
	rung := fmt.Sprintf("plan-%s-%d", plan.ID, i+1)
	dec, err := w.checkContact(ctx, domain.ChannelEmail)
	if err != nil {
		return err
	}
	if !dec.Allowed {
		w.note(ctx, "reminder_skipped", "installment reminder not sent: "+dec.Reason, map[string]any{"plan_id": plan.ID, "installment": i + 1})
		return nil
	}
	var res domain.SendResult
	err = w.local(ctx, domain.ActivitySendMessage, fmt.Sprintf("installment %d reminder", i+1), domain.SendInput{
		InvoiceID: st.Facts.InvoiceID, DebtorID: st.Facts.DebtorID, Rung: rung, Attempt: 1,
		Channel: domain.ChannelEmail, Action: domain.ActionReminder, Template: "installment_reminder",
		BalanceCents: plan.Installments[i].AmountCents, Currency: st.Facts.Currency,
		IdempotencyKey: st.Facts.InvoiceID + ":" + rung + ":1",
	}, &res)
	if err := permanentOnly(err); err != nil {
		return fmt.Errorf("installment reminder of %s: %w", st.Facts.InvoiceID, err)
	}
	msg := fmt.Sprintf("reminder of installment %d sent", i+1)
	if !res.Sent {
		msg = fmt.Sprintf("reminder of installment %d not sent: %s", i+1, res.Reason)
	}
	w.note(ctx, "installment_reminder", msg, map[string]any{"plan_id": plan.ID, "installment": i + 1, "interaction_id": res.InteractionID})
	return nil
}

// rungDue is when rung i should run.
func (w *caseWorkflow) rungDue(ctx workflow.Context, i int) time.Time {
	st := &w.st
	r := st.Rungs[i]
	var at time.Time
	switch {
	case st.EscalateNext:
		at = workflow.Now(ctx)
	case r.Step.From == domain.FromPrevious:
		anchor := st.PreviousStepAt
		if anchor.IsZero() {
			anchor = st.StartedAt
		}
		at = anchor.Add(r.Step.Offset.Std())
	default:
		at = st.Facts.DueDate.Add(r.Step.Offset.Std()).Add(st.Shift.Std())
	}
	if r.NotBefore.After(at) {
		at = r.NotBefore
	}
	return at
}

// nextActionAt is when the case will act next on its own (zero: only an
// event moves it), for the projection and the NextActionAt attribute.
func (w *caseWorkflow) nextActionAt(ctx workflow.Context) time.Time {
	st := &w.st
	switch {
	case st.Status.Terminal():
		return time.Time{}
	case st.Pause == domain.PauseHold:
		return st.HoldUntil
	case st.Pause == domain.PauseDispute:
		return time.Time{}
	case st.Pause == domain.PausePlan && st.Plan.Next < len(st.Plan.Installments):
		inst := st.Plan.Installments[st.Plan.Next]
		if st.Plan.Reminded <= st.Plan.Next {
			return inst.DueDate.Add(-st.Facts.Policy.InstallmentReminder.Std())
		}
		return inst.DueDate.Add(st.Facts.Policy.InstallmentGrace.Std())
	case st.Pause == domain.PausePromise:
		return st.Promise.Date.Add(st.Facts.Policy.PromiseGrace.Std())
	case st.Pause != domain.PauseNone:
		return time.Time{}
	case st.OpenTaskID != "" && !w.callUntil.IsZero():
		return w.callUntil
	case st.NextRung < len(st.Rungs):
		return w.rungDue(ctx, st.NextRung)
	}
	return time.Time{}
}

// ladderStep runs or waits for the next rung.
func (w *caseWorkflow) ladderStep(ctx workflow.Context) error {
	st := &w.st
	i := st.NextRung
	r := &st.Rungs[i]
	now := workflow.Now(ctx)
	if ok, why := r.Step.Applies(st.DunnableCents(), st.Facts.Segment); !ok {
		w.skipRung(ctx, i, why)
		return nil
	}
	if r.Step.Action == domain.ActionReminder && !now.Before(st.Facts.DueDate.Add(st.Shift.Std())) {
		w.skipRung(ctx, i, "due date already passed")
		return nil
	}
	if !w.wait(ctx, w.rungDue(ctx, i), "rung "+r.Step.Name) {
		return nil // something changed: re-read the state
	}
	return w.executeRung(ctx, i)
}

func (w *caseWorkflow) skipRung(ctx workflow.Context, i int, why string) {
	r := &w.st.Rungs[i]
	r.Status, r.Note, r.At = domain.RungSkipped, why, workflow.Now(ctx)
	w.st.NextRung = i + 1
	w.st.EscalateNext = false
	w.note(ctx, "step_skipped", fmt.Sprintf("%s skipped: %s", r.Step.Name, why), map[string]any{"rung": r.Step.Name})
}

// executeRung tries the rung's channels in order under the contact rules.
func (w *caseWorkflow) executeRung(ctx workflow.Context, i int) error {
	st := &w.st
	r := &st.Rungs[i]
	step := r.Step
	channels := step.EffectiveChannels()
	var reasons []string
	for r.ChannelIndex < len(channels) {
		ch := channels[r.ChannelIndex]
		if step.Action != domain.ActionAgencyHandoff {
			dec, err := w.checkContact(ctx, ch)
			if err != nil {
				return err
			}
			if w.dirty && (w.finished() || w.pausedNow(ctx)) {
				return nil // a payment or a pause arrived meanwhile
			}
			if !dec.Allowed && !dec.Skip {
				r.NotBefore = dec.NotBefore
				w.note(ctx, "step_delayed", fmt.Sprintf("%s delayed to %s: %s", step.Name, dec.NotBefore.Format(time.RFC3339), dec.Reason),
					map[string]any{"rung": step.Name, "channel": string(ch), "not_before": dec.NotBefore})
				return nil
			}
			if dec.Skip {
				reasons = append(reasons, string(ch)+": "+dec.Reason)
				r.ChannelIndex++
				continue
			}
		}
		st.EscalateNext = false
		r.Attempts++
		key := fmt.Sprintf("%s:%s:%d", st.Facts.InvoiceID, step.Name, r.Attempts)
		switch ch {
		case domain.ChannelCall:
			return w.callRung(ctx, i, key)
		case domain.ChannelAgency:
			var res domain.HandoffResult
			err := w.local(ctx, domain.ActivityHandOffToAgency, "hand off to the collection agency", domain.HandoffInput{
				InvoiceID: st.Facts.InvoiceID, DebtorID: st.Facts.DebtorID,
				BalanceCents: st.BalanceCents, Currency: st.Facts.Currency, IdempotencyKey: key,
			}, &res)
			if err != nil {
				return fmt.Errorf("hand off %s: %w", st.Facts.InvoiceID, err)
			}
			st.HandoffID = res.HandoffID
			st.Status = domain.StatusAgency
			w.markDone(ctx, i, ch, "handed to the agency", map[string]any{"handoff_id": res.HandoffID, "reference": res.Reference})
			return nil
		default:
			var res domain.SendResult
			err := w.local(ctx, domain.ActivitySendMessage, fmt.Sprintf("%s by %s", step.Name, ch), domain.SendInput{
				InvoiceID: st.Facts.InvoiceID, DebtorID: st.Facts.DebtorID, Rung: step.Name, Attempt: r.Attempts,
				Channel: ch, Action: step.Action, Template: step.Template, Attach: step.Attach,
				BalanceCents: st.DunnableCents(), Currency: st.Facts.Currency, IdempotencyKey: key,
			}, &res)
			if err := permanentOnly(err); err != nil {
				return fmt.Errorf("send %s of %s: %w", step.Name, st.Facts.InvoiceID, err)
			}
			if err != nil || !res.Sent {
				reason := res.Reason
				if err != nil {
					reason = rootMessage(err)
				}
				reasons = append(reasons, string(ch)+": "+reason)
				r.ChannelIndex++
				continue
			}
			r.InteractionID = res.InteractionID
			w.markDone(ctx, i, ch, fmt.Sprintf("%s sent by %s", step.Name, ch), map[string]any{"interaction_id": res.InteractionID})
			return nil
		}
	}
	r.Status, r.At, r.Note = domain.RungFailed, workflow.Now(ctx), strings.Join(reasons, "; ")
	st.NextRung = i + 1
	st.EscalateNext = false
	w.note(ctx, "step_skipped", fmt.Sprintf("%s: no channel usable (%s)", step.Name, r.Note), map[string]any{"rung": step.Name})
	return nil
}

func (w *caseWorkflow) pausedNow(ctx workflow.Context) bool {
	w.derivePause(ctx)
	return w.st.Pause != domain.PauseNone
}

func (w *caseWorkflow) markDone(ctx workflow.Context, i int, ch domain.Channel, msg string, data map[string]any) {
	st := &w.st
	r := &st.Rungs[i]
	now := workflow.Now(ctx)
	r.Status, r.At, r.Channel, r.Note = domain.RungDone, now, ch, ""
	st.NextRung = i + 1
	st.PreviousStepAt = now
	st.Stage = r.Step.Name
	if data == nil {
		data = map[string]any{}
	}
	data["rung"], data["channel"], data["attempt"] = r.Step.Name, string(ch), r.Attempts
	w.note(ctx, "step_done", msg, data)
}

// callRung creates a call task and waits for its outcome until the later
// of its deadline and the next rung's time, with a single timer.
func (w *caseWorkflow) callRung(ctx workflow.Context, i int, key string) error {
	st := &w.st
	r := &st.Rungs[i]
	now := workflow.Now(ctx)
	deadline := r.Step.TaskDeadline
	if deadline == 0 {
		deadline = st.Facts.Policy.DefaultTaskDeadline
	}
	deadlineAt := now.Add(deadline.Std())
	var res domain.CallTaskResult
	err := w.local(ctx, domain.ActivityCreateCallTask, "call task for a collector", domain.CallTaskInput{
		InvoiceID: st.Facts.InvoiceID, DebtorID: st.Facts.DebtorID, Rung: r.Step.Name,
		CollectorID: st.Facts.CollectorID, BalanceCents: st.DunnableCents(), Currency: st.Facts.Currency,
		DaysOverdue: max(0, int(now.Sub(st.Facts.DueDate)/(24*time.Hour))), BrokenPromises: st.BrokenPromises,
		DueAt: now, DeadlineAt: deadlineAt, IdempotencyKey: key,
	}, &res)
	if err != nil {
		return fmt.Errorf("create call task for %s: %w", st.Facts.InvoiceID, err)
	}
	r.TaskID = res.TaskID
	st.OpenTaskID = res.TaskID
	if res.CollectorID != "" {
		st.Facts.CollectorID = res.CollectorID
	}
	w.markDone(ctx, i, domain.ChannelCall, "call task created", map[string]any{"task_id": res.TaskID})

	until := deadlineAt
	if v := workflow.GetVersion(ctx, versionCallWaitsForNextRung, workflow.DefaultVersion, 1); v >= 1 && i+1 < len(st.Rungs) {
		if next := w.rungDue(ctx, i+1); next.After(until) {
			until = next
		}
	}
	w.callUntil = until
	defer func() { w.callUntil = time.Time{} }()
	for {
		if st.OpenTaskID != res.TaskID || w.finished() {
			return nil // completed (the handler applied the outcome) or case over
		}
		if w.pausedNow(ctx) {
			return w.closeCall(ctx, res.TaskID, "case paused: "+st.PauseReason)
		}
		w.dirty = false
		if w.wait(ctx, until, "call task outcome or deadline") && st.OpenTaskID == res.TaskID {
			return w.closeCall(ctx, res.TaskID, "deadline passed without outcome")
		}
		if w.failed != nil {
			return nil
		}
	}
}

func (w *caseWorkflow) closeCall(ctx workflow.Context, taskID, reason string) error {
	if err := w.closeTasks(ctx, reason); err != nil {
		return err
	}
	w.note(ctx, "task_closed", "call task closed: "+reason, map[string]any{"task_id": taskID})
	return nil
}

func (w *caseWorkflow) checkContact(ctx workflow.Context, ch domain.Channel) (domain.ContactDecision, error) {
	var dec domain.ContactDecision
	err := w.local(ctx, domain.ActivityCheckContact, "contact rules for "+string(ch),
		domain.ContactCheckInput{DebtorID: w.st.Facts.DebtorID, Channel: ch, At: workflow.Now(ctx)}, &dec)
	if err != nil {
		if permanentOnly(err) == nil {
			return domain.ContactDecision{Skip: true, Reason: rootMessage(err)}, nil
		}
		return dec, fmt.Errorf("check contact of %s: %w", w.st.Facts.InvoiceID, err)
	}
	return dec, nil
}

// permanentOnly returns nil for a permanent (non-retryable) application
// error, which means "this channel cannot be used", and err otherwise.
func permanentOnly(err error) error {
	var app *temporal.ApplicationError
	if err != nil && errors.As(err, &app) && (app.Type() == domain.ErrTypePermanent || app.NonRetryable()) {
		return nil
	}
	return err
}

func rootMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}
