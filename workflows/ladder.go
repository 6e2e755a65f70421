package workflows

import (
	"errors"
	"fmt"
	"slices"
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
			w.commit(domain.CommitmentStatus{PromiseID: p.ID, Status: domain.CommitmentKept})
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
			w.commit(domain.CommitmentStatus{PromiseID: p.ID, Status: domain.CommitmentBroken})
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
		w.commit(domain.CommitmentStatus{PlanID: plan.ID, Status: domain.CommitmentCompleted})
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
		w.commit(domain.CommitmentStatus{PlanID: plan.ID, Installment: i + 1, Status: domain.CommitmentPaid})
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
	w.commit(domain.CommitmentStatus{PlanID: plan.ID, Installment: i + 1, Status: domain.CommitmentMissed})
	w.commit(domain.CommitmentStatus{PlanID: plan.ID, Status: domain.CommitmentBroken})
	w.note(ctx, "plan_broken", fmt.Sprintf("installment %d missed: plan broken, ladder resumes on the remaining balance", i+1),
		map[string]any{"plan_id": plan.ID, "installment": i + 1, "balance_cents": st.BalanceCents})
	return nil
}

func (w *caseWorkflow) remindInstallment(ctx workflow.Context, plan *domain.PaymentPlan, i int) error {
	st := &w.st
	rung := fmt.Sprintf("plan-%s-%d", plan.ID, i+1)
	summary := fmt.Sprintf("installment %d reminder", i+1)
	in := domain.RungActionInput{
		Contact: domain.ContactCheckInput{DebtorID: st.Facts.DebtorID, Channel: domain.ChannelEmail, At: workflow.Now(ctx)},
		Send: &domain.SendInput{
			InvoiceID: st.Facts.InvoiceID, DebtorID: st.Facts.DebtorID, Rung: rung, Attempt: 1,
			Channel: domain.ChannelEmail, Action: domain.ActionReminder, Template: "installment_reminder",
			BalanceCents: plan.Installments[i].AmountCents, Currency: st.Facts.Currency,
			IdempotencyKey: st.Facts.InvoiceID + ":" + rung + ":1",
		},
	}
	var res domain.RungActionResult
	if w.actsOnRung(ctx) {
		if err := w.local(ctx, domain.ActivityActOnRung, summary, in, &res); err != nil {
			return fmt.Errorf("installment reminder of %s: %w", st.Facts.InvoiceID, err)
		}
	} else {
		dec, err := w.checkContact(ctx, domain.ChannelEmail)
		if err != nil {
			return err
		}
		res.Contact = dec
	}
	if !res.Contact.Allowed {
		w.note(ctx, "reminder_skipped", "installment reminder not sent: "+res.Contact.Reason, map[string]any{"plan_id": plan.ID, "installment": i + 1})
		return nil
	}
	if !res.Acted {
		var err error
		if res, err = w.actAlone(ctx, summary, in); err != nil {
			return fmt.Errorf("installment reminder of %s: %w", st.Facts.InvoiceID, err)
		}
	}
	msg := fmt.Sprintf("reminder of installment %d sent", i+1)
	if !res.Send.Sent {
		msg = fmt.Sprintf("reminder of installment %d not sent: %s", i+1, res.Send.Reason)
	}
	w.note(ctx, "installment_reminder", msg, map[string]any{"plan_id": plan.ID, "installment": i + 1, "interaction_id": res.Send.InteractionID})
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
		return w.plannedAt(ctx, st.NextRung)
	}
	return time.Time{}
}

// ladderStep runs or waits for the next rung.
func (w *caseWorkflow) ladderStep(ctx workflow.Context) error {
	w.catchUpIfAsked(ctx)
	st := &w.st
	if st.NextRung >= len(st.Rungs) {
		return nil
	}
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
	if !w.wait(ctx, w.plannedAt(ctx, i), "rung "+r.Step.Name) {
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

// actsOnRung reports whether the case runs each attempt of a rung as one
// ActOnRung activity (versionActOnRung); older runs keep their path.
func (w *caseWorkflow) actsOnRung(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, versionActOnRung, workflow.DefaultVersion, 1) >= 1
}

// executeRung tries the rung's channels in order under the contact rules.
func (w *caseWorkflow) executeRung(ctx workflow.Context, i int) error {
	st := &w.st
	r := &st.Rungs[i]
	step := r.Step
	channels := step.EffectiveChannels()
	acts := w.actsOnRung(ctx)
	var reasons []string
	for r.ChannelIndex < len(channels) {
		ch := channels[r.ChannelIndex]
		in := w.attempt(ctx, i, ch)
		var res domain.RungActionResult
		var c carried
		switch {
		case acts:
			c = w.withDoneRecord(ctx, i, ch, &in)
			if err := w.local(ctx, domain.ActivityActOnRung, fmt.Sprintf("%s by %s", step.Name, ch), in, &res); err != nil {
				return fmt.Errorf("%s of %s: %w", step.Name, st.Facts.InvoiceID, err)
			}
		case ch != domain.ChannelAgency:
			dec, err := w.checkContact(ctx, ch)
			if err != nil {
				return err
			}
			res.Contact = dec
		default:
			res.Contact = domain.ContactDecision{Allowed: true}
		}
		if !res.Acted && ch != domain.ChannelAgency && w.dirty && (w.finished() || w.pausedNow(ctx)) {
			return nil // a payment or a pause arrived meanwhile
		}
		dec := res.Contact
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
		st.EscalateNext = false
		r.Attempts++
		if !res.Acted {
			var err error
			if res, err = w.actAlone(ctx, fmt.Sprintf("%s by %s", step.Name, ch), in); err != nil {
				return err
			}
		}
		switch {
		case res.CallTask != nil:
			return w.callRung(ctx, i, res, in.CallTask.DeadlineAt, acts, c)
		case res.Handoff != nil:
			st.HandoffID = res.Handoff.HandoffID
			// A payment, credit or cancel that ended the case while the
			// handoff ran stands: the case is not reopened as handed over.
			if !w.finished() || workflow.GetVersion(ctx, versionHandoffKeepsEnd, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				st.Status = domain.StatusAgency
			}
			w.rungDone(ctx, i, ch, res, c, map[string]any{"handoff_id": res.Handoff.HandoffID, "reference": res.Handoff.Reference})
			return nil
		case res.Send != nil && res.Send.Sent:
			r.InteractionID = res.Send.InteractionID
			w.rungDone(ctx, i, ch, res, c, map[string]any{"interaction_id": res.Send.InteractionID})
			return nil
		default:
			reason := "not sent"
			if res.Send != nil {
				reason = res.Send.Reason
			}
			reasons = append(reasons, string(ch)+": "+reason)
			r.ChannelIndex++
		}
	}
	r.Status, r.At, r.Note = domain.RungFailed, workflow.Now(ctx), strings.Join(reasons, "; ")
	st.NextRung = i + 1
	st.EscalateNext = false
	w.note(ctx, "step_skipped", fmt.Sprintf("%s: no channel usable (%s)", step.Name, r.Note), map[string]any{"rung": step.Name})
	return nil
}

// attempt is the next attempt of rung i on ch; its idempotency key is
// case + rung + attempt, so a retried activity never acts twice.
func (w *caseWorkflow) attempt(ctx workflow.Context, i int, ch domain.Channel) domain.RungActionInput {
	st := &w.st
	r := st.Rungs[i]
	now := workflow.Now(ctx)
	f := st.Facts
	n := r.Attempts + 1
	key := fmt.Sprintf("%s:%s:%d", f.InvoiceID, r.Step.Name, n)
	in := domain.RungActionInput{Contact: domain.ContactCheckInput{DebtorID: f.DebtorID, Channel: ch, At: now}}
	switch ch {
	case domain.ChannelCall:
		deadline := r.Step.TaskDeadline
		if deadline == 0 {
			deadline = f.Policy.DefaultTaskDeadline
		}
		in.CallTask = &domain.CallTaskInput{
			InvoiceID: f.InvoiceID, DebtorID: f.DebtorID, Rung: r.Step.Name,
			CollectorID: f.CollectorID, BalanceCents: st.DunnableCents(), Currency: f.Currency,
			DaysOverdue: max(0, int(now.Sub(f.DueDate)/(24*time.Hour))), BrokenPromises: st.BrokenPromises,
			DueAt: now, DeadlineAt: now.Add(deadline.Std()), IdempotencyKey: key,
		}
	case domain.ChannelAgency:
		in.Handoff = &domain.HandoffInput{
			InvoiceID: f.InvoiceID, DebtorID: f.DebtorID,
			BalanceCents: st.BalanceCents, Currency: f.Currency, IdempotencyKey: key,
		}
	default:
		in.Send = &domain.SendInput{
			InvoiceID: f.InvoiceID, DebtorID: f.DebtorID, Rung: r.Step.Name, Attempt: n,
			Channel: ch, Action: r.Step.Action, Template: r.Step.Template, Attach: r.Step.Attach,
			BalanceCents: st.DunnableCents(), Currency: f.Currency, IdempotencyKey: key,
		}
	}
	return in
}

// withDoneRecord gives the attempt the projection of rung i done on ch,
// computed on a copy of the state, with the timeline entries queued so far
// and the pending task closing: ActOnRung writes it with the action, so a
// rung costs no RecordCase. It returns what the record carries, for
// recordedPending.
func (w *caseWorkflow) withDoneRecord(ctx workflow.Context, i int, ch domain.Channel, in *domain.RungActionInput) carried {
	// Work on a copy of the rungs: callers hold pointers into the originals.
	saved, savedUntil := w.st, w.callUntil
	w.st.Rungs = slices.Clone(w.st.Rungs)
	defer func() { w.st, w.callUntil = saved, savedUntil }()

	w.st.Rungs[i].Attempts++
	w.applyDone(ctx, i, ch)
	switch ch {
	case domain.ChannelCall:
		w.st.OpenTaskID = in.Key()
		w.callUntil = w.callWaitUntil(ctx, i, in.CallTask.DeadlineAt, true)
	case domain.ChannelAgency:
		w.st.Status = domain.StatusAgency
	}
	rec, c := w.pendingRecord(ctx)
	r := w.st.Rungs[i]
	in.Done = &rec
	in.DoneEvent = domain.KeyedEvent{Key: in.Key(), Event: domain.TimelineEvent{
		Kind: "step_done", Message: doneMessage(r.Step.Name, ch), At: workflow.Now(ctx),
		Data: map[string]any{"rung": r.Step.Name, "channel": string(ch), "attempt": r.Attempts},
	}}
	return c
}

// actAlone runs the attempt's action as the channel's own activity (runs
// before versionActOnRung, or a worker whose case activities have no
// channels). A message refused for good is "not sent".
func (w *caseWorkflow) actAlone(ctx workflow.Context, summary string, in domain.RungActionInput) (domain.RungActionResult, error) {
	res := domain.RungActionResult{Contact: domain.ContactDecision{Allowed: true}, Acted: true}
	invoice := w.st.Facts.InvoiceID
	switch {
	case in.CallTask != nil:
		var task domain.CallTaskResult
		if err := w.local(ctx, domain.ActivityCreateCallTask, "call task for a collector", *in.CallTask, &task); err != nil {
			return res, fmt.Errorf("create call task for %s: %w", invoice, err)
		}
		res.CallTask = &task
	case in.Handoff != nil:
		var h domain.HandoffResult
		if err := w.local(ctx, domain.ActivityHandOffToAgency, "hand off to the collection agency", *in.Handoff, &h); err != nil {
			return res, fmt.Errorf("hand off %s: %w", invoice, err)
		}
		res.Handoff = &h
	default:
		var sent domain.SendResult
		err := w.local(ctx, domain.ActivitySendMessage, summary, *in.Send, &sent)
		if permanentOnly(err) != nil {
			return res, fmt.Errorf("send %s of %s: %w", in.Send.Rung, invoice, err)
		}
		if err != nil {
			sent = domain.SendResult{Sent: false, Reason: rootMessage(err)}
		}
		res.Send = &sent
	}
	return res, nil
}

func doneMessage(rung string, ch domain.Channel) string {
	switch ch {
	case domain.ChannelCall:
		return "call task created"
	case domain.ChannelAgency:
		return "handed to the agency"
	}
	return fmt.Sprintf("%s sent by %s", rung, ch)
}

func (w *caseWorkflow) pausedNow(ctx workflow.Context) bool {
	w.derivePause(ctx)
	return w.st.Pause != domain.PauseNone
}

// rungDone marks rung i done on ch: when ActOnRung already wrote it, the
// entries it carried leave the queue; otherwise its entry is queued.
func (w *caseWorkflow) rungDone(ctx workflow.Context, i int, ch domain.Channel, res domain.RungActionResult, c carried, data map[string]any) {
	if res.Recorded {
		w.applyDone(ctx, i, ch)
		w.recordedPending(c)
		w.dirty = true
		return
	}
	w.markDone(ctx, i, ch, doneMessage(w.st.Rungs[i].Step.Name, ch), data)
}

// applyDone moves the ladder past rung i, done on ch.
func (w *caseWorkflow) applyDone(ctx workflow.Context, i int, ch domain.Channel) {
	st := &w.st
	r := &st.Rungs[i]
	now := workflow.Now(ctx)
	r.Status, r.At, r.Channel, r.Note = domain.RungDone, now, ch, ""
	st.NextRung = i + 1
	st.PreviousStepAt = now
	st.Stage = r.Step.Name
	st.EscalateNext = false
}

func (w *caseWorkflow) markDone(ctx workflow.Context, i int, ch domain.Channel, msg string, data map[string]any) {
	w.applyDone(ctx, i, ch)
	r := &w.st.Rungs[i]
	if data == nil {
		data = map[string]any{}
	}
	data["rung"], data["channel"], data["attempt"] = r.Step.Name, string(ch), r.Attempts
	w.note(ctx, "step_done", msg, data)
}

// callWaitUntil is how long a call task of rung i waits for its outcome:
// until the later of its deadline and the next rung's time.
func (w *caseWorkflow) callWaitUntil(ctx workflow.Context, i int, deadlineAt time.Time, acts bool) time.Time {
	until := deadlineAt
	waitsForNext := acts || workflow.GetVersion(ctx, versionCallWaitsForNextRung, workflow.DefaultVersion, 1) >= 1
	if waitsForNext && i+1 < len(w.st.Rungs) {
		if next := w.plannedAt(ctx, i+1); next.After(until) {
			until = next
		}
	}
	return until
}

// callRung records the call task created and waits for its outcome until
// the later of its deadline and the next rung's time, with a single timer.
func (w *caseWorkflow) callRung(ctx workflow.Context, i int, res domain.RungActionResult, deadlineAt time.Time, acts bool, c carried) error {
	st := &w.st
	r := &st.Rungs[i]
	task := res.CallTask
	r.TaskID = task.TaskID
	st.OpenTaskID = task.TaskID
	if task.CollectorID != "" {
		st.Facts.CollectorID = task.CollectorID
	}
	w.rungDone(ctx, i, domain.ChannelCall, res, c, map[string]any{"task_id": task.TaskID})

	w.callUntil = w.callWaitUntil(ctx, i, deadlineAt, acts)
	defer func() { w.callUntil = time.Time{} }()
	for {
		if st.OpenTaskID != task.TaskID || w.finished() {
			return nil // completed (the handler applied the outcome) or case over
		}
		if w.pausedNow(ctx) {
			return w.closeCall(ctx, task.TaskID, "case paused: "+st.PauseReason)
		}
		w.dirty = false
		if w.wait(ctx, w.callUntil, "call task outcome or deadline") && st.OpenTaskID == task.TaskID {
			return w.closeCall(ctx, task.TaskID, "deadline passed without outcome")
		}
		if w.failed != nil {
			return nil
		}
	}
}

// closeCall closes the open call task: on versionActOnRung with the next
// projection write, before it with its own activity.
func (w *caseWorkflow) closeCall(ctx workflow.Context, taskID, reason string) error {
	if w.actsOnRung(ctx) {
		w.closeTasks = reason
		w.st.OpenTaskID = ""
	} else if err := w.closeOpenTasks(ctx, reason); err != nil {
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
