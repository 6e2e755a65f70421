package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// reject is a validator's refusal naming the field; the case client turns
// it into a RejectedError.
func reject(field, reason string) error {
	fe := domain.FieldError{Field: field, Reason: reason}
	return temporal.NewApplicationErrorWithOptions(fe.Error(), domain.ErrTypeRejected,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{fe}})
}

// maxIDLen bounds the IDs updates carry (payment, promise, plan, dispute,
// credit note, collector).
const maxIDLen = 200

// tooLong refuses a text over max bytes, naming the field: an update's
// payload and the state it lands in stay far below Temporal's limits.
func tooLong(field, s string, max int) error {
	if len(s) > max {
		return reject(field, fmt.Sprintf("is longer than %d bytes", max))
	}
	return nil
}

// beyond refuses a date further ahead than horizon from now.
func beyond(ctx workflow.Context, field string, t time.Time, horizon time.Duration) error {
	if t.After(workflow.Now(ctx).Add(horizon)) {
		return reject(field, fmt.Sprintf("is more than %d days ahead", int(horizon/(24*time.Hour))))
	}
	return nil
}

func errClosed(status domain.CaseStatus) error {
	return temporal.NewApplicationErrorWithOptions("case is closed ("+string(status)+")", domain.ErrTypeCaseClosed,
		temporal.ApplicationErrorOptions{NonRetryable: true})
}

// setup registers the state query, the validated updates and the signals.
func (w *caseWorkflow) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, domain.QueryState, func() (domain.CaseState, error) {
		return w.st, nil
	}, workflow.QueryHandlerOptions{Description: "the whole case state"}); err != nil {
		return err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, domain.UpdateStart,
		func(ctx workflow.Context) (domain.CaseState, error) {
			_ = workflow.Await(ctx, func() bool { return w.loaded })
			return w.st, nil
		}, workflow.UpdateHandlerOptions{Description: "returns the case state once loaded (used with UpdateWithStart)"})
	if err != nil {
		return err
	}
	for _, u := range []error{
		addUpdate(ctx, w, domain.UpdatePayment, "apply a payment", w.validatePayment, w.applyPayment),
		addUpdate(ctx, w, domain.UpdateLedger, "apply a refund, chargeback or other ledger entry", w.validateLedger, w.applyLedger),
		addUpdate(ctx, w, domain.UpdatePromise, "record a promise to pay", w.validatePromise, w.applyPromise),
		addUpdate(ctx, w, domain.UpdatePlan, "set up an installment plan", w.validatePlan, w.applyPlan),
		addUpdate(ctx, w, domain.UpdateOpenDispute, "open a dispute", w.validateDispute, w.applyDispute),
		addUpdate(ctx, w, domain.UpdateResolveDispute, "resolve a dispute", w.validateResolution, w.applyResolution),
		addUpdate(ctx, w, domain.UpdateHold, "put the case on hold", w.validateHold, w.applyHold),
		addUpdate(ctx, w, domain.UpdateResume, "resume a held case", w.validateResume, w.applyResume),
		addUpdate(ctx, w, domain.UpdateWriteOff, "write the invoice off", validateReason, w.applyEnd(domain.StatusWrittenOff, "written_off")),
		addUpdate(ctx, w, domain.UpdateCancel, "cancel the case", validateReason, w.applyEnd(domain.StatusCancelled, "cancelled")),
		addUpdate(ctx, w, domain.UpdateCredit, "apply a credit note", w.validateCredit, w.applyCredit),
		addUpdate(ctx, w, domain.UpdateCompleteTask, "complete the open call task", w.validateTask, w.applyTask),
		addUpdate(ctx, w, domain.UpdateReassign, "change the collector", w.validateReassign, w.applyReassign),
		addUpdate(ctx, w, domain.UpdateTerms, "correct the invoice's due date or raise its amount", w.validateTerms, w.applyTerms),
	} {
		if u != nil {
			return u
		}
	}
	w.delivery = workflow.GetSignalChannel(ctx, domain.SignalDelivery)
	w.agency = workflow.GetSignalChannel(ctx, domain.SignalAgencyReport)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(w.delivery, func(c workflow.ReceiveChannel, _ bool) {
				var ev domain.DeliveryEvent
				c.Receive(ctx, &ev)
				w.onDelivery(ctx, ev)
			})
			sel.AddReceive(w.agency, func(c workflow.ReceiveChannel, _ bool) {
				var ev domain.AgencyReport
				c.Receive(ctx, &ev)
				w.onAgencyReport(ctx, ev)
			})
			sel.Select(ctx)
		}
	})
	return nil
}

// drainSignals applies signals not yet received (before continue-as-new).
func (w *caseWorkflow) drainSignals(ctx workflow.Context) {
	for {
		var d domain.DeliveryEvent
		if w.delivery.ReceiveAsync(&d) {
			w.onDelivery(ctx, d)
			continue
		}
		var a domain.AgencyReport
		if w.agency.ReceiveAsync(&a) {
			w.onAgencyReport(ctx, a)
			continue
		}
		return
	}
}

// addUpdate registers an update whose validator refuses closed cases and
// bad input, and whose handler applies the change, waits for it to be
// recorded and returns the new state. The handler validates again once
// the case is loaded, as an update may arrive before the facts are known.
func addUpdate[T any](ctx workflow.Context, w *caseWorkflow, name, description string,
	validate func(workflow.Context, T) error, apply func(workflow.Context, T)) error {
	check := func(ctx workflow.Context, arg T) error {
		if w.closed() {
			return errClosed(w.st.Status)
		}
		if !w.loaded {
			return nil
		}
		return validate(ctx, arg)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, arg T) (domain.CaseState, error) {
			_ = workflow.Await(ctx, func() bool { return w.loaded })
			if err := check(ctx, arg); err != nil {
				return w.st, err
			}
			before := w.st.EventSeq
			apply(ctx, arg)
			w.dirty = true
			if w.st.EventSeq > before {
				w.awaitRecorded(ctx, w.st.EventSeq)
			}
			return w.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: check, Description: description})
}

func (w *caseWorkflow) applied(id string) bool {
	return id != "" && slices.Contains(w.st.AppliedIDs, id)
}

func (w *caseWorkflow) validateMoney(field string, cents int64, currency string) error {
	if cents <= 0 {
		return reject(field, "must be positive")
	}
	if currency != "" && currency != w.st.Facts.Currency {
		return reject("currency", fmt.Sprintf("is %s, the invoice is in %s", currency, w.st.Facts.Currency))
	}
	return nil
}

// --- payment ---

func (w *caseWorkflow) validatePayment(_ workflow.Context, p domain.PaymentUpdate) error {
	if p.ID == "" {
		return reject("id", "is required")
	}
	if err := tooLong("id", p.ID, maxIDLen); err != nil {
		return err
	}
	if p.Currency == "" {
		return reject("currency", "is required")
	}
	return w.validateMoney("amount_cents", p.AmountCents, p.Currency)
}

func (w *caseWorkflow) applyPayment(ctx workflow.Context, p domain.PaymentUpdate) {
	if w.applied(p.ID) {
		return // the same payment delivered again
	}
	w.st.AppliedIDs = append(w.st.AppliedIDs, p.ID)
	data := map[string]any{"payment_id": p.ID, "source": p.Source}
	if p.Ledger != nil {
		w.takeLedger(ctx, *p.Ledger, p.AmountCents, "payment", data)
		return
	}
	w.receive(ctx, p.AmountCents, "payment", data)
}

// takeLedger sets the case's money from the ledger's figures, which are
// the truth (the case keeps no running total of its own), and settles the
// case when nothing is owed any more. moved is the entry's amount, for
// the timeline.
func (w *caseWorkflow) takeLedger(ctx workflow.Context, b domain.LedgerBalance, moved int64, kind string, data map[string]any) {
	st := &w.st
	st.BalanceCents, st.PaidCents, st.OverpaidCents = b.BalanceCents, b.PaidCents, b.OverpaidCents
	st.CreditedCents = b.CreditedCents
	data["amount_cents"], data["balance_cents"] = moved, st.BalanceCents
	if b.OverpaidCents > 0 {
		data["overpaid_cents"] = b.OverpaidCents
	}
	cur := st.Facts.Currency
	what := domain.NewMoney(moved, cur).FormatFR()
	switch kind {
	case "payment":
		what = "payment of " + what
	default:
		what = kind + " of " + what
	}
	if b.Settled() {
		st.Status = domain.StatusPaid
		w.settleCommitments(true)
		st.Promise, st.Plan, st.Disputes = nil, nil, nil
		w.note(ctx, kind, what+" settles the invoice", data)
		return
	}
	w.note(ctx, kind, what+", balance "+domain.NewMoney(st.BalanceCents, cur).FormatFR(), data)
}

// --- other ledger entries (refund, chargeback, reversal, interest, fee) ---

func (w *caseWorkflow) validateLedger(_ workflow.Context, e domain.LedgerEntryUpdate) error {
	switch {
	case e.ID == "":
		return reject("id", "is required")
	case e.Kind == "":
		return reject("kind", "is required")
	case e.Ledger == nil:
		return reject("ledger", "is required: the ledger's figures after the entry")
	case e.Currency != "" && e.Currency != w.st.Facts.Currency:
		return reject("currency", fmt.Sprintf("is %s, the invoice is in %s", e.Currency, w.st.Facts.Currency))
	}
	return nil
}

func (w *caseWorkflow) applyLedger(ctx workflow.Context, e domain.LedgerEntryUpdate) {
	if w.applied(e.ID) {
		return
	}
	w.st.AppliedIDs = append(w.st.AppliedIDs, e.ID)
	w.takeLedger(ctx, *e.Ledger, max(e.AmountCents, -e.AmountCents), e.Kind, map[string]any{"entry_id": e.ID, "source": e.Source})
}

// receive lowers the balance by money received; beyond the balance it is
// kept as overpaid.
func (w *caseWorkflow) receive(ctx workflow.Context, cents int64, kind string, data map[string]any) {
	st := &w.st
	applied := min(cents, st.BalanceCents)
	over := cents - applied
	st.BalanceCents -= applied
	st.PaidCents += applied
	st.OverpaidCents += over
	data["amount_cents"], data["balance_cents"] = cents, st.BalanceCents
	if over > 0 {
		data["overpaid_cents"] = over
	}
	money := domain.NewMoney(cents, st.Facts.Currency).FormatFR()
	if st.BalanceCents == 0 {
		st.Status = domain.StatusPaid
		w.settleCommitments(true)
		st.Promise, st.Plan, st.Disputes = nil, nil, nil
		w.note(ctx, kind, "payment of "+money+" settles the invoice", data)
		return
	}
	w.note(ctx, kind, "payment of "+money+" received, balance "+domain.NewMoney(st.BalanceCents, st.Facts.Currency).FormatFR(), data)
}

// --- promise ---

func (w *caseWorkflow) validatePromise(ctx workflow.Context, p domain.PromiseUpdate) error {
	if p.ID == "" {
		return reject("id", "is required")
	}
	if err := tooLong("id", p.ID, maxIDLen); err != nil {
		return err
	}
	if err := w.validateMoney("amount_cents", p.AmountCents, ""); err != nil {
		return err
	}
	if p.AmountCents > w.st.BalanceCents {
		return reject("amount_cents", "exceeds the balance")
	}
	if p.Date.IsZero() || p.Date.Before(startOfDay(workflow.Now(ctx))) {
		return reject("date", "must not be in the past")
	}
	if err := beyond(ctx, "date", p.Date, w.st.Facts.Policy.PromiseMaxAhead()); err != nil {
		return err
	}
	if w.st.Plan != nil {
		return reject("", "a payment plan is running")
	}
	return nil
}

func (w *caseWorkflow) applyPromise(ctx workflow.Context, p domain.PromiseUpdate) {
	if w.st.Promise != nil && w.st.Promise.ID == p.ID {
		return
	}
	if old := w.st.Promise; old != nil {
		w.commit(domain.CommitmentStatus{PromiseID: old.ID, Status: domain.CommitmentCancelled})
	}
	w.st.Promise = &domain.PromiseToPay{ID: p.ID, AmountCents: p.AmountCents, Date: p.Date, PaidAtStart: w.st.PaidCents}
	w.note(ctx, "promise", fmt.Sprintf("promise to pay %s by %s", domain.NewMoney(p.AmountCents, w.st.Facts.Currency).FormatFR(), p.Date.Format("2006-01-02")),
		map[string]any{"promise_id": p.ID, "amount_cents": p.AmountCents, "date": p.Date})
}

func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// --- plan ---

func (w *caseWorkflow) validatePlan(ctx workflow.Context, p domain.PlanUpdate) error {
	if p.ID == "" {
		return reject("id", "is required")
	}
	if err := tooLong("id", p.ID, maxIDLen); err != nil {
		return err
	}
	if len(p.Installments) == 0 {
		return reject("installments", "needs at least one installment")
	}
	var sum int64
	today := startOfDay(workflow.Now(ctx))
	for i, in := range p.Installments {
		field := fmt.Sprintf("installments[%d]", i)
		if in.AmountCents <= 0 {
			return reject(field+".amount_cents", "must be positive")
		}
		if in.DueDate.Before(today) {
			return reject(field+".due_date", "must not be in the past")
		}
		if err := beyond(ctx, field+".due_date", in.DueDate, domain.MaxDateAhead.Std()); err != nil {
			return err
		}
		if i > 0 && !in.DueDate.After(p.Installments[i-1].DueDate) {
			return reject(field+".due_date", "must come after the previous installment")
		}
		sum += in.AmountCents
	}
	if sum != w.st.DunnableCents() {
		return reject("installments", fmt.Sprintf("sum to %d, the balance to plan is %d", sum, w.st.DunnableCents()))
	}
	return nil
}

func (w *caseWorkflow) applyPlan(ctx workflow.Context, p domain.PlanUpdate) {
	if w.st.Plan != nil && w.st.Plan.ID == p.ID {
		return
	}
	if old := w.st.Promise; old != nil {
		w.commit(domain.CommitmentStatus{PromiseID: old.ID, Status: domain.CommitmentCancelled})
	}
	w.st.Plan = &domain.PaymentPlan{ID: p.ID, Installments: slices.Clone(p.Installments), PaidAtStart: w.st.PaidCents}
	w.st.Promise = nil
	w.note(ctx, "plan", fmt.Sprintf("payment plan of %d installments", len(p.Installments)),
		map[string]any{"plan_id": p.ID, "installments": len(p.Installments)})
}

// --- disputes ---

func (w *caseWorkflow) validateDispute(_ workflow.Context, d domain.DisputeUpdate) error {
	if d.ID == "" {
		return reject("id", "is required")
	}
	if err := tooLong("id", d.ID, maxIDLen); err != nil {
		return err
	}
	if d.AmountCents < 0 {
		return reject("amount_cents", "must not be negative")
	}
	if err := tooLong("reason", d.Reason, domain.MaxReasonLen); err != nil {
		return err
	}
	if slices.ContainsFunc(w.st.Disputes, func(x domain.Dispute) bool { return x.ID == d.ID }) {
		return nil // delivered again: already open, applying it changes nothing
	}
	if d.AmountCents > w.st.DunnableCents() {
		return reject("amount_cents", "exceeds the undisputed balance")
	}
	if w.st.DunnableCents() == 0 {
		return reject("", "the whole balance is already disputed")
	}
	return nil
}

func (w *caseWorkflow) applyDispute(ctx workflow.Context, d domain.DisputeUpdate) {
	if slices.ContainsFunc(w.st.Disputes, func(x domain.Dispute) bool { return x.ID == d.ID }) {
		return
	}
	amount := d.AmountCents
	if amount == 0 {
		amount = w.st.DunnableCents()
	}
	w.st.Disputes = append(w.st.Disputes, domain.Dispute{ID: d.ID, AmountCents: amount, Reason: d.Reason})
	msg := "dispute opened on " + domain.NewMoney(amount, w.st.Facts.Currency).FormatFR()
	if w.st.DunnableCents() > 0 {
		msg += "; dunning continues on the undisputed part"
	}
	w.note(ctx, "dispute_opened", msg, map[string]any{"dispute_id": d.ID, "amount_cents": amount})
}

func (w *caseWorkflow) validateResolution(_ workflow.Context, r domain.DisputeResolution) error {
	i := slices.IndexFunc(w.st.Disputes, func(d domain.Dispute) bool { return d.ID == r.ID })
	if i < 0 {
		return reject("id", "no open dispute with this ID")
	}
	if r.CreditCents < 0 || r.CreditCents > w.st.BalanceCents {
		return reject("credit_cents", "must be between 0 and the balance")
	}
	return nil
}

func (w *caseWorkflow) applyResolution(ctx workflow.Context, r domain.DisputeResolution) {
	i := slices.IndexFunc(w.st.Disputes, func(d domain.Dispute) bool { return d.ID == r.ID })
	if i < 0 {
		return
	}
	d := w.st.Disputes[i]
	w.st.Disputes = slices.Delete(w.st.Disputes, i, i+1)
	if !r.ForDebtor {
		w.note(ctx, "dispute_rejected", "dispute resolved against the debtor: dunning resumes", map[string]any{"dispute_id": d.ID})
		return
	}
	credit := r.CreditCents
	if credit == 0 {
		credit = d.AmountCents
	}
	w.credit(ctx, min(credit, w.st.BalanceCents), "dispute_upheld", "dispute resolved for the debtor", map[string]any{"dispute_id": d.ID})
}

// credit lowers the balance without a payment; at zero the case ends credited.
func (w *caseWorkflow) credit(ctx workflow.Context, cents int64, kind, what string, data map[string]any) {
	st := &w.st
	st.BalanceCents -= cents
	st.CreditedCents += cents
	data["credit_cents"], data["balance_cents"] = cents, st.BalanceCents
	msg := fmt.Sprintf("%s: credit of %s", what, domain.NewMoney(cents, st.Facts.Currency).FormatFR())
	if st.BalanceCents == 0 {
		st.Status = domain.StatusCredited
		w.settleCommitments(false)
		st.Promise, st.Plan, st.Disputes = nil, nil, nil
		msg += ", nothing left to collect"
	}
	w.note(ctx, kind, msg, data)
}

// --- credit note ---

func (w *caseWorkflow) validateCredit(_ workflow.Context, c domain.CreditUpdate) error {
	if c.ID == "" {
		return reject("id", "is required")
	}
	if err := tooLong("id", c.ID, maxIDLen); err != nil {
		return err
	}
	if err := w.validateMoney("amount_cents", c.AmountCents, ""); err != nil {
		return err
	}
	if err := tooLong("reason", c.Reason, domain.MaxReasonLen); err != nil {
		return err
	}
	if c.AmountCents > w.st.BalanceCents && !w.applied(c.ID) {
		return reject("amount_cents", "exceeds the balance")
	}
	return nil
}

func (w *caseWorkflow) applyCredit(ctx workflow.Context, c domain.CreditUpdate) {
	if w.applied(c.ID) {
		return
	}
	w.st.AppliedIDs = append(w.st.AppliedIDs, c.ID)
	w.credit(ctx, c.AmountCents, "credit_note", "credit note "+c.ID, map[string]any{"credit_note_id": c.ID})
}

// --- hold, resume, end ---

func (w *caseWorkflow) validateHold(ctx workflow.Context, h domain.HoldUpdate) error {
	if h.Reason == "" {
		return reject("reason", "is required")
	}
	if err := tooLong("reason", h.Reason, domain.MaxReasonLen); err != nil {
		return err
	}
	if !h.Until.IsZero() && !h.Until.After(workflow.Now(ctx)) {
		return reject("until", "must be in the future")
	}
	return beyond(ctx, "until", h.Until, domain.MaxDateAhead.Std())
}

func (w *caseWorkflow) applyHold(ctx workflow.Context, h domain.HoldUpdate) {
	w.st.Held, w.st.HoldReason, w.st.HoldUntil = true, h.Reason, h.Until
	w.note(ctx, "hold", "case put on hold: "+h.Reason, map[string]any{"until": h.Until})
}

func (w *caseWorkflow) validateResume(_ workflow.Context, r domain.ReasonUpdate) error {
	if err := tooLong("reason", r.Reason, domain.MaxReasonLen); err != nil {
		return err
	}
	if !w.st.Held {
		return reject("", "the case is not on hold")
	}
	return nil
}

func (w *caseWorkflow) applyResume(ctx workflow.Context, r domain.ReasonUpdate) {
	w.st.Held, w.st.HoldReason, w.st.HoldUntil = false, "", time.Time{}
	w.note(ctx, "resumed", "case resumed: "+r.Reason, nil)
}

func validateReason(_ workflow.Context, r domain.ReasonUpdate) error {
	if r.Reason == "" {
		return reject("reason", "is required")
	}
	return tooLong("reason", r.Reason, domain.MaxReasonLen)
}

func (w *caseWorkflow) applyEnd(status domain.CaseStatus, kind string) func(workflow.Context, domain.ReasonUpdate) {
	return func(ctx workflow.Context, r domain.ReasonUpdate) {
		w.st.Status = status
		w.settleCommitments(false)
		w.note(ctx, kind, fmt.Sprintf("case %s: %s", status, r.Reason), map[string]any{"balance_cents": w.st.BalanceCents})
	}
}

// --- call task outcome ---

func (w *caseWorkflow) validateTask(ctx workflow.Context, c domain.TaskCompletion) error {
	if err := tooLong("note", c.Note, domain.MaxNoteLen); err != nil {
		return err
	}
	if c.TaskID == "" || c.TaskID != w.st.OpenTaskID {
		return reject("task_id", "is not the case's open call task")
	}
	switch c.Outcome {
	case domain.OutcomeReached, domain.OutcomeNoAnswer, domain.OutcomeWrongNumber:
	case domain.OutcomeCallback:
		if !c.CallbackAt.After(workflow.Now(ctx)) {
			return reject("callback_at", "must be in the future")
		}
		return beyond(ctx, "callback_at", c.CallbackAt, domain.MaxDateAhead.Std())
	case domain.OutcomePromise:
		if c.Promise == nil {
			return reject("promise", "is required for the outcome promise")
		}
		return w.validatePromise(ctx, *c.Promise)
	case domain.OutcomeDispute:
		if c.Dispute == nil {
			return reject("dispute", "is required for the outcome dispute")
		}
		return w.validateDispute(ctx, *c.Dispute)
	default:
		return reject("outcome", fmt.Sprintf("unknown outcome %q", c.Outcome))
	}
	return nil
}

func (w *caseWorkflow) applyTask(ctx workflow.Context, c domain.TaskCompletion) {
	st := &w.st
	st.OpenTaskID = ""
	i := slices.IndexFunc(st.Rungs, func(r domain.Rung) bool { return r.TaskID == c.TaskID })
	w.note(ctx, "task_completed", "call outcome: "+string(c.Outcome), map[string]any{"task_id": c.TaskID, "outcome": string(c.Outcome)})
	switch c.Outcome {
	case domain.OutcomePromise:
		w.applyPromise(ctx, *c.Promise)
	case domain.OutcomeDispute:
		w.applyDispute(ctx, *c.Dispute)
	case domain.OutcomeCallback:
		if i >= 0 {
			r := &st.Rungs[i]
			r.Status, r.NotBefore = domain.RungPending, c.CallbackAt
			st.NextRung = i
			w.note(ctx, "callback", "callback at "+c.CallbackAt.Format(time.RFC3339), map[string]any{"rung": r.Step.Name, "callback_at": c.CallbackAt})
		}
	case domain.OutcomeWrongNumber:
		if i >= 0 && i == st.NextRung-1 && st.Rungs[i].ChannelIndex+1 < len(st.Rungs[i].Step.EffectiveChannels()) {
			r := &st.Rungs[i]
			r.Status = domain.RungPending
			r.ChannelIndex++
			st.NextRung, st.EscalateNext = i, true
			w.note(ctx, "fallback", "wrong number: trying the step's next channel", map[string]any{"rung": r.Step.Name})
		}
	}
}

// --- reassign ---

func (w *caseWorkflow) validateReassign(_ workflow.Context, r domain.ReassignUpdate) error {
	if r.CollectorID == "" {
		return reject("collector_id", "is required")
	}
	if err := tooLong("collector_id", r.CollectorID, maxIDLen); err != nil {
		return err
	}
	return nil
}

func (w *caseWorkflow) applyReassign(ctx workflow.Context, r domain.ReassignUpdate) {
	if w.st.Facts.CollectorID == r.CollectorID {
		return
	}
	w.st.Facts.CollectorID = r.CollectorID
	w.note(ctx, "reassigned", "case reassigned", map[string]any{"collector_id": r.CollectorID})
}

// --- signals ---

func (w *caseWorkflow) onDelivery(ctx workflow.Context, ev domain.DeliveryEvent) {
	if w.finished() || w.applied(ev.EventID) {
		return
	}
	if ev.EventID != "" {
		w.st.AppliedIDs = append(w.st.AppliedIDs, ev.EventID)
	}
	st := &w.st
	i := slices.IndexFunc(st.Rungs, func(r domain.Rung) bool { return ev.InteractionID != "" && r.InteractionID == ev.InteractionID })
	data := map[string]any{"interaction_id": ev.InteractionID, "channel": string(ev.Channel), "kind": ev.Kind}
	switch ev.Kind {
	case "bounced", "undeliverable":
		if i >= 0 && i == st.NextRung-1 && st.Status != domain.StatusAgency &&
			st.Rungs[i].ChannelIndex+1 < len(st.Rungs[i].Step.EffectiveChannels()) {
			r := &st.Rungs[i]
			r.Status = domain.RungPending
			r.ChannelIndex++
			st.NextRung, st.EscalateNext = i, true
			w.note(ctx, "delivery_failed", fmt.Sprintf("%s %s: retrying %s on %s", ev.Channel, ev.Kind, r.Step.Name, r.Step.EffectiveChannels()[r.ChannelIndex]), data)
			return
		}
		w.note(ctx, "delivery_failed", fmt.Sprintf("%s %s", ev.Channel, ev.Kind), data)
	case "opted_out":
		w.note(ctx, "opted_out", fmt.Sprintf("debtor opted out of %s", ev.Channel), data)
	case "acknowledged":
		w.note(ctx, "acknowledged", "registered letter acknowledged", data)
	default:
		w.note(ctx, "delivery", fmt.Sprintf("%s %s", ev.Channel, ev.Kind), data)
	}
}

func (w *caseWorkflow) onAgencyReport(ctx workflow.Context, ev domain.AgencyReport) {
	if w.finished() || w.applied(ev.EventID) {
		return
	}
	if ev.EventID != "" {
		w.st.AppliedIDs = append(w.st.AppliedIDs, ev.EventID)
	}
	if ev.PaidCents > 0 {
		w.receive(ctx, ev.PaidCents, "agency_payment", map[string]any{"event_id": ev.EventID})
	}
	switch ev.Status {
	case domain.StatusPaid, domain.StatusWrittenOff:
		if !w.finished() {
			w.st.Status = ev.Status
		}
		w.note(ctx, "agency_closed", "agency closed the file: "+string(ev.Status), map[string]any{"event_id": ev.EventID, "note": ev.Note})
	default:
		if ev.PaidCents == 0 {
			w.note(ctx, "agency_report", "agency report: "+ev.Note, map[string]any{"event_id": ev.EventID})
		}
	}
}
