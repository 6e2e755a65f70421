package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/relance/relance/internal/domain"
)

func TestFullDefaultLadderEndsWithTheAgency(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(-day(5)))
	fullLadder(t, c)
	// One ActOnRung per rung wrote each rung's projection: no RecordCase
	// of its own for a step_done.
	for _, r := range c.fakes.records {
		if r.Event != nil && r.Event.Kind == "step_done" && r.EventKey != invoiceID+":"+r.Event.Data["rung"].(string)+":1" {
			t.Errorf("step_done recorded under %s, want the rung's action key", r.EventKey)
		}
	}
}

// A worker whose case activities have no channels wired still walks the
// ladder: the workflow calls the channel activities itself.
func TestFullDefaultLadderWithoutChannelsInTheCaseActivities(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(-day(5)))
	c.fakes.legacyChannels = true
	fullLadder(t, c)
}

func fullLadder(t *testing.T, c *caseTest) {
	t.Helper()
	var atAgency domain.CaseState
	c.at(due.Add(day(40)), func() { atAgency = c.state() })
	c.endByAgency(due.Add(day(41)))
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})

	if atAgency.Status != domain.StatusAgency || atAgency.HandoffID != "ho-1" {
		t.Fatalf("at D+40 status %s handoff %q, want agency ho-1", atAgency.Status, atAgency.HandoffID)
	}
	for _, r := range atAgency.Rungs {
		if r.Status != domain.RungDone {
			t.Errorf("rung %s is %s, want done", r.Step.Name, r.Status)
		}
	}
	want := []string{"pre-due-reminder/email", "email-d4/email", "letter-d11/letter",
		"formal-notice-d18/registered_letter", "registered-d25/registered_letter", "registered-d32/registered_letter"}
	if got := c.fakes.sentRungs(); !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	// Each rung ran on its day (no contact rule delayed it in this test).
	for i, s := range c.fakes.sends {
		rung := atAgency.Rungs[slices.IndexFunc(atAgency.Rungs, func(r domain.Rung) bool { return r.Step.Name == s.Rung })]
		if wantAt := due.Add(rung.Step.Offset.Std()); !rung.At.Equal(wantAt) {
			t.Errorf("send %d (%s) at %s, want %s", i, s.Rung, rung.At, wantAt)
		}
		if s.IdempotencyKey != invoiceID+":"+s.Rung+":1" || s.BalanceCents != 123456 {
			t.Errorf("send %d: key %q balance %d", i, s.IdempotencyKey, s.BalanceCents)
		}
	}
	if len(c.fakes.tasks) != 1 || !c.fakes.tasks[0].DeadlineAt.Equal(due.Add(day(3))) {
		t.Fatalf("call tasks %+v, want one with deadline D+3", c.fakes.tasks)
	}
	if len(c.fakes.closes) != 1 || !strings.Contains(c.fakes.closes[0].Reason, "deadline") {
		t.Fatalf("closes %+v, want the call task closed at its deadline", c.fakes.closes)
	}
	if len(c.fakes.handoffs) != 1 || c.fakes.handoffs[0].BalanceCents != 123456 {
		t.Fatalf("handoffs %+v", c.fakes.handoffs)
	}
	if res.Status != domain.StatusWrittenOff || res.BalanceCents != 123456 {
		t.Fatalf("result %+v", res)
	}
	kinds := c.fakes.kinds()
	if kinds[0] != "case_started" || !slices.Contains(kinds, "task_closed") || kinds[len(kinds)-1] != "agency_closed" {
		t.Fatalf("timeline %v", kinds)
	}
	// Every timeline entry has its own idempotency key.
	seen := map[string]bool{}
	for _, r := range c.fakes.records {
		if seen[r.EventKey] {
			t.Fatalf("event key %s used twice", r.EventKey)
		}
		seen[r.EventKey] = true
		for _, e := range r.More {
			if seen[e.Key] {
				t.Fatalf("event key %s used twice", e.Key)
			}
			seen[e.Key] = true
		}
	}
}

func TestFullPaymentEndsThePaidCase(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(6)), func() { c.update(domain.UpdatePayment, pay("p1", 123456)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid || res.BalanceCents != 0 || res.PaidCents != 123456 {
		t.Fatalf("result %+v", res)
	}
	// D+2 start: the pre-due reminder is skipped, the call is made at once, the e-mail at D+4, nothing after D+6.
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email"}) {
		t.Fatalf("sent %v", got)
	}
	if last := c.fakes.lastRecord(); last.Status != domain.StatusPaid || last.BalanceCents != 0 {
		t.Fatalf("last projection %+v", last)
	}
}

func TestPartialPaymentLowersLaterMessagesAndOverpaymentIsKept(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() { c.update(domain.UpdatePayment, pay("p1", 23456)) })
	c.at(due.Add(day(5)+time.Hour), func() { c.update(domain.UpdatePayment, pay("p1", 23456)) }) // duplicate
	c.at(due.Add(day(12)), func() { c.update(domain.UpdatePayment, pay("p2", 150000)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid || res.PaidCents != 123456 || res.OverpaidCents != 50000 {
		t.Fatalf("result %+v, want paid with 500,00 overpaid", res)
	}
	sends := c.fakes.sends
	if len(sends) != 2 || sends[0].BalanceCents != 123456 || sends[1].Rung != "letter-d11" || sends[1].BalanceCents != 100000 {
		t.Fatalf("sends %+v: the letter must claim the balance left after the partial payment", sends)
	}
}

func TestPaymentDuringAStepIsNotLost(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.fakes.during = func(in domain.SendInput) {
		if in.Rung == "email-d4" {
			c.env.UpdateWorkflow(domain.UpdatePayment, "race", &noopCallback{}, pay("p-race", 123456))
		}
	}
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid || res.PaidCents != 123456 {
		t.Fatalf("result %+v", res)
	}
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email"}) {
		t.Fatalf("sent %v: nothing may be sent after the payment", got)
	}
}

type noopCallback struct{}

func (noopCallback) Accept()             {}
func (noopCallback) Reject(error)        {}
func (noopCallback) Complete(any, error) {}

func TestPromiseKeptEndsTheCase(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() {
		c.update(domain.UpdatePromise, domain.PromiseUpdate{ID: "pr1", AmountCents: 123456, Date: due.Add(day(20))})
	})
	var paused domain.CaseState
	c.at(due.Add(day(15)), func() { paused = c.state() })
	c.at(due.Add(day(19)), func() { c.update(domain.UpdatePayment, pay("p1", 123456)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if paused.Status != domain.StatusPaused || paused.Pause != domain.PausePromise {
		t.Fatalf("at D+15 %s/%s, want paused on the promise", paused.Status, paused.Pause)
	}
	if res.Status != domain.StatusPaid {
		t.Fatalf("result %+v", res)
	}
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email"}) {
		t.Fatalf("sent %v: no letter while the promise runs", got)
	}
}

func TestPromiseKeptPartlyContinuesOnTheRemainingBalance(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() {
		c.update(domain.UpdatePromise, domain.PromiseUpdate{ID: "pr1", AmountCents: 23456, Date: due.Add(day(20))})
	})
	c.at(due.Add(day(8)), func() { c.update(domain.UpdatePayment, pay("p1", 23456)) })
	c.at(due.Add(day(30)), func() { c.update(domain.UpdateWriteOff, domain.ReasonUpdate{Reason: "test end"}) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusWrittenOff || res.BalanceCents != 100000 {
		t.Fatalf("result %+v", res)
	}
	kinds := c.fakes.kinds()
	if !slices.Contains(kinds, "promise_kept") {
		t.Fatalf("timeline %v lacks promise_kept", kinds)
	}
	// Paused D+5..D+8: the letter of D+11 moves to D+14 and claims the rest.
	var letter domain.SendInput
	for _, s := range c.fakes.sends {
		if s.Rung == "letter-d11" {
			letter = s
		}
	}
	if letter.BalanceCents != 100000 {
		t.Fatalf("letter %+v, want it on the remaining 1 000,00", letter)
	}
}

func TestBrokenPromiseEscalatesToTheNextRung(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	promised := due.Add(day(6))
	c.at(due.Add(day(5)), func() {
		c.update(domain.UpdatePromise, domain.PromiseUpdate{ID: "pr1", AmountCents: 123456, Date: promised})
	})
	var after domain.CaseState
	c.at(promised.Add(day(2)+time.Minute), func() { after = c.state() })
	c.at(due.Add(day(9)), func() { c.update(domain.UpdateCancel, domain.ReasonUpdate{Reason: "test end"}) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusCancelled {
		t.Fatalf("result %+v", res)
	}
	if after.BrokenPromises != 1 || after.Status != domain.StatusActive {
		t.Fatalf("after the grace: %+v", after)
	}
	i := slices.IndexFunc(after.Rungs, func(r domain.Rung) bool { return r.Step.Name == "letter-d11" })
	if r := after.Rungs[i]; r.Status != domain.RungDone || !r.At.Equal(promised.Add(day(2))) {
		t.Fatalf("letter %+v: want it sent as soon as the promise broke (D+8), not on D+11", r)
	}
	if !slices.Contains(c.fakes.kinds(), "promise_broken") {
		t.Fatal("promise_broken not recorded")
	}
}

func TestPromiseOnTheSameDayAsAStep(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	// The promise arrives at the very instant the letter is due.
	c.at(due.Add(day(11)), func() {
		c.update(domain.UpdatePromise, domain.PromiseUpdate{ID: "pr1", AmountCents: 123456, Date: due.Add(day(20))})
	})
	c.at(due.Add(day(15)), func() { c.update(domain.UpdatePayment, pay("p1", 123456)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid {
		t.Fatalf("result %+v", res)
	}
	sent := c.fakes.sentRungs()
	if len(sent) > 2 || (len(sent) == 2 && sent[1] != "letter-d11/letter") {
		t.Fatalf("sent %v: at most the letter of that same day", sent)
	}
}

func TestPlanAllPaidEndsPaid(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	plan := domain.PlanUpdate{ID: "plan1", Installments: []domain.Installment{
		{DueDate: due.Add(day(30)), AmountCents: 60000}, {DueDate: due.Add(day(60)), AmountCents: 63456},
	}}
	c.at(due.Add(day(5)), func() { c.update(domain.UpdatePlan, plan) })
	c.at(due.Add(day(29)), func() { c.update(domain.UpdatePayment, pay("i1", 60000)) })
	c.at(due.Add(day(61)), func() { c.update(domain.UpdatePayment, pay("i2", 63456)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid {
		t.Fatalf("result %+v", res)
	}
	var reminders []string
	for _, s := range c.fakes.sends {
		if s.Template == "installment_reminder" {
			reminders = append(reminders, s.Rung)
		}
	}
	if !slices.Equal(reminders, []string{"plan-plan1-1", "plan-plan1-2"}) {
		t.Fatalf("reminders %v, want one before each installment", reminders)
	}
	if got := c.fakes.sentRungs(); slices.Contains(got, "letter-d11/letter") {
		t.Fatalf("sent %v: the ladder must wait while the plan is kept", got)
	}
}

func TestMissedInstallmentBreaksThePlanAndResumesOnTheRest(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	plan := domain.PlanUpdate{ID: "plan1", Installments: []domain.Installment{
		{DueDate: due.Add(day(30)), AmountCents: 60000}, {DueDate: due.Add(day(60)), AmountCents: 63456},
	}}
	c.at(due.Add(day(5)), func() { c.update(domain.UpdatePlan, plan) })
	c.at(due.Add(day(29)), func() { c.update(domain.UpdatePayment, pay("i1", 60000)) })
	var broken domain.CaseState
	c.at(due.Add(day(63)+time.Minute), func() { broken = c.state() })
	c.at(due.Add(day(64)), func() { c.update(domain.UpdateWriteOff, domain.ReasonUpdate{Reason: "end"}) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	if broken.Plan != nil || broken.Status != domain.StatusActive {
		t.Fatalf("after the missed installment: plan %+v status %s", broken.Plan, broken.Status)
	}
	i := slices.IndexFunc(c.fakes.sends, func(s domain.SendInput) bool { return s.Rung == "letter-d11" })
	if i < 0 || c.fakes.sends[i].BalanceCents != 63456 {
		t.Fatalf("sends %+v: the ladder resumes with the letter on the remaining 634,56", c.fakes.sends)
	}
	if !slices.Contains(c.fakes.kinds(), "plan_broken") {
		t.Fatal("plan_broken not recorded")
	}
}

func TestWholeDisputePausesAndResolutionForDebtorCredits(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() { c.update(domain.UpdateOpenDispute, domain.DisputeUpdate{ID: "d1", Reason: "not delivered"}) })
	var paused domain.CaseState
	c.at(due.Add(day(30)), func() { paused = c.state() })
	c.at(due.Add(day(31)), func() { c.update(domain.UpdateResolveDispute, domain.DisputeResolution{ID: "d1", ForDebtor: true}) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if paused.Pause != domain.PauseDispute || len(c.fakes.sends) != 1 {
		t.Fatalf("during the dispute: pause %q, sends %v", paused.Pause, c.fakes.sentRungs())
	}
	if res.Status != domain.StatusCredited || res.BalanceCents != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestDisputeResolvedAgainstResumesWhereItStopped(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due)
	c.at(due.Add(day(5)), func() { c.update(domain.UpdateOpenDispute, domain.DisputeUpdate{ID: "d1", Reason: "quality"}) })
	c.at(due.Add(day(25)), func() { c.update(domain.UpdateResolveDispute, domain.DisputeResolution{ID: "d1"}) })
	var after domain.CaseState
	c.at(due.Add(day(33)), func() { after = c.state() })
	c.at(due.Add(day(34)), func() { c.update(domain.UpdateCancel, domain.ReasonUpdate{Reason: "end"}) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	// Paused 20 days after the e-mail: the D+11 letter goes on D+31, the formal notice on D+38.
	i := slices.IndexFunc(after.Rungs, func(r domain.Rung) bool { return r.Step.Name == "letter-d11" })
	if r := after.Rungs[i]; r.Status != domain.RungDone || !r.At.Equal(due.Add(day(31))) {
		t.Fatalf("letter %+v, want done on D+31", r)
	}
	if after.Rungs[i+1].Status != domain.RungPending {
		t.Fatalf("formal notice already %s", after.Rungs[i+1].Status)
	}
}

func TestPartialDisputeKeepsDunningTheUndisputedPart(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() {
		c.update(domain.UpdateOpenDispute, domain.DisputeUpdate{ID: "d1", AmountCents: 23456, Reason: "one line"})
	})
	c.at(due.Add(day(12)), func() { c.update(domain.UpdateResolveDispute, domain.DisputeResolution{ID: "d1", ForDebtor: true}) })
	c.at(due.Add(day(13)), func() { c.update(domain.UpdatePayment, pay("p1", 100000)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid {
		t.Fatalf("result %+v", res)
	}
	i := slices.IndexFunc(c.fakes.sends, func(s domain.SendInput) bool { return s.Rung == "letter-d11" })
	if i < 0 || c.fakes.sends[i].BalanceCents != 100000 {
		t.Fatalf("sends %+v: the letter claims only the undisputed 1 000,00", c.fakes.sends)
	}
}

func TestHoldUntilADateThenResume(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() {
		c.update(domain.UpdateHold, domain.HoldUpdate{Reason: "customer in talks", Until: due.Add(day(15))})
	})
	var held domain.CaseState
	c.at(due.Add(day(12)), func() { held = c.state() })
	c.at(due.Add(day(17)), func() { c.update(domain.UpdateHold, domain.HoldUpdate{Reason: "manager"}) })
	c.at(due.Add(day(40)), func() {
		if st := c.state(); st.Pause != domain.PauseHold {
			t.Errorf("an open hold must last until resumed, got %q", st.Pause)
		}
		c.update(domain.UpdateResume, domain.ReasonUpdate{Reason: "go"})
	})
	c.at(due.Add(day(41)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if held.Pause != domain.PauseHold || held.Status != domain.StatusPaused {
		t.Fatalf("at D+12: %s/%s", held.Status, held.Pause)
	}
	if res.Status != domain.StatusPaid {
		t.Fatalf("result %+v", res)
	}
	kinds := c.fakes.kinds()
	for _, k := range []string{"hold", "hold_ended", "resumed"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("timeline %v lacks %s", kinds, k)
		}
	}
}

func TestCreditNoteToZeroEndsCredited(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() { c.update(domain.UpdateCredit, domain.CreditUpdate{ID: "av1", AmountCents: 23456}) })
	c.at(due.Add(day(6)), func() { c.update(domain.UpdateCredit, domain.CreditUpdate{ID: "av1", AmountCents: 23456}) }) // duplicate
	c.at(due.Add(day(7)), func() { c.update(domain.UpdateCredit, domain.CreditUpdate{ID: "av2", AmountCents: 100000}) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusCredited || res.BalanceCents != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestValidatorsRejectBadInputAndChangeNothing(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due)
	cases := []struct {
		name, update, field string
		arg                 any
	}{
		{"zero payment", domain.UpdatePayment, "amount_cents", pay("p0", 0)},
		{"other currency", domain.UpdatePayment, "currency", domain.PaymentUpdate{ID: "p", AmountCents: 10, Currency: "USD"}},
		{"promise in the past", domain.UpdatePromise, "date", domain.PromiseUpdate{ID: "pr", AmountCents: 10, Date: due}},
		{"plan not summing", domain.UpdatePlan, "installments", domain.PlanUpdate{ID: "pl", Installments: []domain.Installment{{DueDate: due.Add(day(30)), AmountCents: 10}}}},
		{"plan out of order", domain.UpdatePlan, "installments[1].due_date", domain.PlanUpdate{ID: "pl", Installments: []domain.Installment{
			{DueDate: due.Add(day(30)), AmountCents: 23456}, {DueDate: due.Add(day(20)), AmountCents: 100000}}}},
		{"unknown dispute", domain.UpdateResolveDispute, "id", domain.DisputeResolution{ID: "nope"}},
		{"unknown task", domain.UpdateCompleteTask, "task_id", domain.TaskCompletion{TaskID: "nope", Outcome: domain.OutcomeReached}},
		{"credit above balance", domain.UpdateCredit, "amount_cents", domain.CreditUpdate{ID: "c", AmountCents: 999999}},
		{"resume not held", domain.UpdateResume, "", domain.ReasonUpdate{Reason: "x"}},
		{"1 MB hold reason", domain.UpdateHold, "reason", domain.HoldUpdate{Reason: strings.Repeat("x", 1<<20)}},
		{"hold for ten years", domain.UpdateHold, "until", domain.HoldUpdate{Reason: "x", Until: due.Add(day(3660))}},
		{"1 MB write-off reason", domain.UpdateWriteOff, "reason", domain.ReasonUpdate{Reason: strings.Repeat("x", 1<<20)}},
		{"promise in year 9999", domain.UpdatePromise, "date", domain.PromiseUpdate{ID: "pr", AmountCents: 10, Date: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}},
		{"promise past the policy's horizon", domain.UpdatePromise, "date", domain.PromiseUpdate{ID: "pr", AmountCents: 10, Date: due.Add(day(100))}},
		{"long dispute reason", domain.UpdateOpenDispute, "reason", domain.DisputeUpdate{ID: "d", Reason: strings.Repeat("é", domain.MaxReasonLen)}},
		{"long payment ID", domain.UpdatePayment, "id", pay(strings.Repeat("p", 201), 10)},
		{"credit note reason", domain.UpdateCredit, "reason", domain.CreditUpdate{ID: "c", AmountCents: 10, Reason: strings.Repeat("x", domain.MaxReasonLen+1)}},
	}
	var before, after domain.CaseState
	got := make([]error, len(cases))
	done := make([]bool, len(cases))
	c.at(due.Add(day(5)), func() {
		before = c.state()
		for i, tc := range cases {
			c.outcome(tc.update, fmt.Sprintf("rej-%d", i), tc.arg, &got[i], &done[i])
		}
	})
	c.at(due.Add(day(5)+time.Minute), func() { after = c.state() })
	var late error
	var lateDone bool
	c.at(due.Add(day(6)), func() {
		// The second payment reaches the case in the same task that settles it.
		c.update(domain.UpdatePayment, pay("p", 123456))
		c.outcome(domain.UpdatePayment, "late", pay("p-late", 100), &late, &lateDone)
	})
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	for i, tc := range cases {
		var app *temporal.ApplicationError
		if !done[i] || !errors.As(got[i], &app) || app.Type() != domain.ErrTypeRejected {
			t.Errorf("%s: want a rejection, got %v", tc.name, got[i])
			continue
		}
		var fe domain.FieldError
		if err := app.Details(&fe); err != nil || fe.Field != tc.field {
			t.Errorf("%s: rejection names %q (%v), want %q", tc.name, fe.Field, err, tc.field)
		}
	}
	if before.EventSeq != after.EventSeq || before.BalanceCents != after.BalanceCents || len(before.AppliedIDs) != len(after.AppliedIDs) {
		t.Fatalf("a rejected update changed the case: %+v -> %+v", before, after)
	}
	var app *temporal.ApplicationError
	if !lateDone || (!errors.As(late, &app) || app.Type() != domain.ErrTypeCaseClosed) {
		t.Fatalf("update after the end: %v, want CaseClosed", late)
	}
}

func TestCallTaskOutcomes(t *testing.T) {
	t.Run("promise", func(t *testing.T) {
		c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(1)))
		c.at(due.Add(day(1)+time.Hour), func() {
			c.update(domain.UpdateCompleteTask, domain.TaskCompletion{TaskID: "task-1", Outcome: domain.OutcomePromise,
				Promise: &domain.PromiseUpdate{ID: "pr", AmountCents: 123456, Date: due.Add(day(10))}})
		})
		c.at(due.Add(day(9)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
		res := c.run(domain.CaseInput{InvoiceID: invoiceID})
		if res.Status != domain.StatusPaid || len(c.fakes.sends) != 0 {
			t.Fatalf("result %+v sends %v: a promise on the call pauses the ladder", res, c.fakes.sentRungs())
		}
	})
	t.Run("dispute", func(t *testing.T) {
		c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(1)))
		c.at(due.Add(day(1)+time.Hour), func() {
			c.update(domain.UpdateCompleteTask, domain.TaskCompletion{TaskID: "task-1", Outcome: domain.OutcomeDispute,
				Dispute: &domain.DisputeUpdate{ID: "d", Reason: "wrong price"}})
		})
		c.at(due.Add(day(20)), func() {
			if st := c.state(); st.Pause != domain.PauseDispute {
				t.Errorf("pause %q, want dispute", st.Pause)
			}
			c.update(domain.UpdateResolveDispute, domain.DisputeResolution{ID: "d", ForDebtor: true})
		})
		res := c.run(domain.CaseInput{InvoiceID: invoiceID})
		if res.Status != domain.StatusCredited || len(c.fakes.sends) != 0 {
			t.Fatalf("result %+v sends %v", res, c.fakes.sentRungs())
		}
	})
	t.Run("callback", func(t *testing.T) {
		c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(1)))
		cb := due.Add(day(2) + 10*time.Hour)
		c.at(due.Add(day(1)+time.Hour), func() {
			c.update(domain.UpdateCompleteTask, domain.TaskCompletion{TaskID: "task-1", Outcome: domain.OutcomeCallback, CallbackAt: cb})
		})
		c.at(due.Add(day(2)+11*time.Hour), func() {
			c.update(domain.UpdateCompleteTask, domain.TaskCompletion{TaskID: "task-2", Outcome: domain.OutcomeReached})
		})
		c.at(due.Add(day(5)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
		c.run(domain.CaseInput{InvoiceID: invoiceID})
		if len(c.fakes.tasks) != 2 || !c.fakes.tasks[1].DueAt.Equal(cb) || c.fakes.tasks[1].IdempotencyKey != invoiceID+":call-d1:2" {
			t.Fatalf("tasks %+v, want a second task at the callback time", c.fakes.tasks)
		}
		if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email"}) {
			t.Fatalf("sent %v: the ladder goes on after the callback", got)
		}
	})
	t.Run("no answer moves on", func(t *testing.T) {
		c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(1)))
		c.at(due.Add(day(1)+time.Hour), func() {
			c.update(domain.UpdateCompleteTask, domain.TaskCompletion{TaskID: "task-1", Outcome: domain.OutcomeNoAnswer})
		})
		c.at(due.Add(day(5)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
		c.run(domain.CaseInput{InvoiceID: invoiceID})
		if len(c.fakes.closes) != 0 || !slices.Equal(c.fakes.sentRungs(), []string{"email-d4/email"}) {
			t.Fatalf("closes %v sends %v", c.fakes.closes, c.fakes.sentRungs())
		}
	})
	t.Run("wrong number falls back", func(t *testing.T) {
		p := domain.DefaultPolicy()
		p.Steps[1].Channels = []domain.Channel{domain.ChannelCall, domain.ChannelSMS}
		c := newCaseTest(t, p, due.Add(day(1)))
		c.at(due.Add(day(1)+time.Hour), func() {
			c.update(domain.UpdateCompleteTask, domain.TaskCompletion{TaskID: "task-1", Outcome: domain.OutcomeWrongNumber})
		})
		c.at(due.Add(day(5)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
		c.run(domain.CaseInput{InvoiceID: invoiceID})
		if got := c.fakes.sentRungs(); len(got) == 0 || got[0] != "call-d1/sms" {
			t.Fatalf("sent %v, want the call step retried by SMS", got)
		}
	})
}
