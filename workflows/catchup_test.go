package workflows

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/relance/relance/internal/domain"
)

// An invoice imported when issued, 30 days before it is due, has its case
// at once: asleep until the pre-due reminder, which goes on D-3, and
// nothing else before the due date.
func TestInvoiceDueIn30DaysGetsItsPreDueReminder(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(-day(30)))
	var asleep, reminded domain.CaseState
	var sentBefore []string
	c.at(due.Add(-day(29)), func() { asleep = c.state() })
	c.at(due.Add(-day(3)+time.Hour), func() { reminded = c.state() })
	c.at(due.Add(-time.Hour), func() { sentBefore = c.fakes.sentRungs() })
	c.at(due.Add(time.Hour), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})

	if asleep.Status != domain.StatusActive || asleep.NextRung != 0 || len(asleep.Rungs) != 8 {
		t.Fatalf("a day after import: status %s next rung %d", asleep.Status, asleep.NextRung)
	}
	if r := reminded.Rungs[0]; r.Status != domain.RungDone || !r.At.Equal(due.Add(-day(3))) {
		t.Fatalf("reminder %s at %s, want done on D-3", r.Status, r.At)
	}
	if !slices.Equal(sentBefore, []string{"pre-due-reminder/email"}) || len(c.fakes.tasks) != 0 {
		t.Fatalf("before the due date: sent %v, tasks %d; want the reminder only", sentBefore, len(c.fakes.tasks))
	}
	if res.Status != domain.StatusPaid {
		t.Fatalf("result %+v", res)
	}
	// The projection written while asleep already named the reminder's date.
	first := c.fakes.records[0]
	if !first.NextActionAt.Equal(due.Add(-day(3))) {
		t.Fatalf("first projection's next action %s, want D-3", first.NextActionAt)
	}
}

// A 42-day-old invoice imported today sends exactly one message — the
// formal notice, which the agency needs before it — and the rungs after
// it keep the policy's intervals from there.
func TestLateStartSendsExactlyOneMessage(t *testing.T) {
	start := due.Add(day(42)) // a Tuesday
	c := newCaseTest(t, domain.DefaultPolicy(), start)
	var firstDay []string
	var afterFirstDay domain.CaseState
	c.at(start.Add(day(1)-time.Minute), func() { firstDay = c.fakes.sentRungs(); afterFirstDay = c.state() })
	c.endByAgency(start.Add(day(22)))
	c.run(domain.CaseInput{InvoiceID: invoiceID})

	if !slices.Equal(firstDay, []string{"formal-notice-d18/registered_letter"}) || len(c.fakes.tasks) != 0 {
		t.Fatalf("first day: sent %v, %d call tasks; want the formal notice alone", firstDay, len(c.fakes.tasks))
	}
	for _, r := range afterFirstDay.Rungs[:4] {
		if r.Status != domain.RungSkipped {
			t.Errorf("rung %s is %s, want skipped by the catch-up", r.Step.Name, r.Status)
		}
	}
	want := map[string]time.Time{
		"formal-notice-d18": start, "registered-d25": start.Add(day(7)),
		"registered-d32": start.Add(day(14)), "agency-d39": start.Add(day(21)),
	}
	final := c.state()
	for _, r := range final.Rungs[4:] {
		if r.Status != domain.RungDone || !r.At.Equal(want[r.Step.Name]) {
			t.Errorf("rung %s %s at %s, want done at %s", r.Step.Name, r.Status, r.At, want[r.Step.Name])
		}
	}
	if len(c.fakes.handoffs) != 1 {
		t.Fatalf("handoffs %d", len(c.fakes.handoffs))
	}
	if !slices.Contains(c.fakes.kinds(), "caught_up") {
		t.Fatalf("timeline %v: the catch-up is recorded", c.fakes.kinds())
	}
}

// With catch_up "first" the case starts with the first late rung and
// walks every rung after it at the policy's intervals.
func TestLateStartCatchUpFirstSkipsNothing(t *testing.T) {
	p := domain.DefaultPolicy()
	p.CatchUp = domain.CatchUpFirst
	start := due.Add(day(42))
	c := newCaseTest(t, p, start)
	var firstDay []string
	c.at(start.Add(day(1)-time.Minute), func() { firstDay = c.fakes.sentRungs() })
	c.at(start.Add(day(4)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	if len(firstDay) != 0 || len(c.fakes.tasks) != 1 || !c.fakes.tasks[0].DueAt.Equal(start) {
		t.Fatalf("first day: sent %v, tasks %+v; want the call task alone", firstDay, c.fakes.tasks)
	}
	// The e-mail keeps its three days after the call.
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email"}) {
		t.Fatalf("sent %v", got)
	}
	if r := c.state().Rungs[2]; !r.At.Equal(start.Add(day(3))) {
		t.Fatalf("e-mail at %s, want three days after the call", r.At)
	}
}

// A re-import that moves the due date reaches the running case and moves
// its next rung; a higher amount raises the balance; a lower one is
// refused (a credit note lowers an invoice).
func TestTermsUpdateMovesTheNextRung(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(-day(30)))
	newDue := due.Add(day(10))
	var before, after domain.CaseState
	var lower error
	var lowerDone bool
	c.at(due.Add(-day(20)), func() {
		before = c.state()
		c.update(domain.UpdateTerms, domain.TermsUpdate{ID: "t1", DueDate: newDue, AmountCents: 150000})
	})
	c.at(due.Add(-day(20)+time.Minute), func() {
		after = c.state()
		c.outcome(domain.UpdateTerms, "t2", domain.TermsUpdate{ID: "t2", DueDate: newDue, AmountCents: 100000}, &lower, &lowerDone)
	})
	var atOldReminder []string
	c.at(due.Add(-day(2)), func() { atOldReminder = c.fakes.sentRungs() })
	c.at(newDue.Add(-day(2)), func() { c.update(domain.UpdatePayment, pay("p", 150000)) })
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})

	if !before.Facts.DueDate.Equal(due) || !after.Facts.DueDate.Equal(newDue) || after.BalanceCents != 150000 {
		t.Fatalf("after the update: due %s balance %d", after.Facts.DueDate, after.BalanceCents)
	}
	if len(atOldReminder) != 0 {
		t.Fatalf("the reminder went on the old date: %v", atOldReminder)
	}
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"pre-due-reminder/email"}) {
		t.Fatalf("sent %v", got)
	}
	if r := c.state().Rungs[0]; !r.At.Equal(newDue.Add(-day(3))) {
		t.Fatalf("reminder at %s, want three days before the new due date", r.At)
	}
	var app *temporal.ApplicationError
	if !lowerDone || !errors.As(lower, &app) || app.Type() != domain.ErrTypeRejected {
		t.Fatalf("a lower amount: %v, want a rejection", lower)
	}
	if res.Status != domain.StatusPaid || res.PaidCents != 150000 {
		t.Fatalf("result %+v", res)
	}
	// The projection written with the update names the new date.
	found := false
	for _, r := range c.fakes.records {
		if r.Event != nil && r.Event.Kind == "terms_changed" {
			found = r.NextActionAt.Equal(newDue.Add(-day(3)))
		}
	}
	if !found {
		t.Fatal("no projection of the terms change with the reminder's new date")
	}
}

// A due date moved much earlier makes several rungs late at once: the
// case catches up with one message, as a late start does.
func TestTermsUpdateMovingTheDueDateEarlierCatchesUp(t *testing.T) {
	start := due.Add(-day(5))
	c := newCaseTest(t, domain.DefaultPolicy(), start)
	c.at(start.Add(time.Hour), func() {
		c.update(domain.UpdateTerms, domain.TermsUpdate{ID: "t1", DueDate: start.Add(-day(20)), AmountCents: 123456})
	})
	var firstDay []string
	c.at(start.Add(day(1)), func() { firstDay = c.fakes.sentRungs() })
	c.at(start.Add(day(2)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	if !slices.Equal(firstDay, []string{"formal-notice-d18/registered_letter"}) {
		t.Fatalf("first day after the correction: sent %v, want the formal notice alone", firstDay)
	}
}
