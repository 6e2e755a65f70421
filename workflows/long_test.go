package workflows

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// A year on a monthly plan: the case continues as new half-way, carrying
// its state (policy snapshot included), and ends paid on the last installment.
func TestAYearOnAPlanContinuesAsNewAndEndsPaid(t *testing.T) {
	start := due.Add(day(2))
	c := newCaseTest(t, domain.DefaultPolicy(), start)
	var plan domain.PlanUpdate
	plan.ID = "year"
	for m := range 12 {
		plan.Installments = append(plan.Installments, domain.Installment{DueDate: due.AddDate(0, m+1, 0), AmountCents: 10288})
	}
	plan.Installments[11].AmountCents = 123456 - 11*10288
	c.at(due.Add(day(5)), func() { c.update(domain.UpdatePlan, plan) })
	for m := range 6 {
		c.at(due.AddDate(0, m+1, -1), func() { c.update(domain.UpdatePayment, pay("m"+string(rune('a'+m)), plan.Installments[m].AmountCents)) })
	}
	// The server suggests continuing as new after the sixth installment.
	c.at(due.AddDate(0, 6, 5), func() { c.env.SetContinueAsNewSuggested(true) })
	// A late duplicate of a payment already applied arrives just before.
	c.at(due.AddDate(0, 6, 4), func() { c.update(domain.UpdatePayment, pay("ma", plan.Installments[0].AmountCents)) })
	c.env.ExecuteWorkflow("CollectionCase", domain.CaseInput{InvoiceID: invoiceID})
	var can *workflow.ContinueAsNewError
	if err := c.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next domain.CaseInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Resume == nil || next.Resume.Plan == nil || next.Resume.Plan.Next != 6 || next.Resume.PaidCents != 6*10288 {
		t.Fatalf("carried state %+v", next.Resume)
	}
	// Continue-as-new waits for the case to be idle, at its next wake-up:
	// the seventh installment's reminder.
	if got := c.fakes.sentRungs(); len(got) != 8 || got[7] != "plan-year-7/email" {
		t.Fatalf("first run sent %v", got)
	}

	// The second run: the policy was edited meanwhile; the case keeps its snapshot.
	edited := domain.DefaultPolicy()
	edited.Version = 2
	edited.Steps = edited.Steps[:1]
	c2 := newCaseTest(t, edited, c.env.Now())
	for m := 6; m < 12; m++ {
		c2.at(due.AddDate(0, m+1, -1), func() {
			c2.update(domain.UpdatePayment, pay("m"+string(rune('a'+m)), plan.Installments[m].AmountCents))
		})
	}
	var mid domain.CaseState
	c2.at(due.AddDate(0, 9, 0), func() { mid = c2.state() })
	res := c2.run(next)
	if res.Status != domain.StatusPaid || res.PaidCents != 123456 {
		t.Fatalf("result %+v", res)
	}
	if mid.Facts.Policy.Version != 1 || len(mid.Rungs) != 8 {
		t.Fatalf("policy v%d with %d rungs after continue-as-new, want the v1 snapshot of 8", mid.Facts.Policy.Version, len(mid.Rungs))
	}
	if len(c2.fakes.records) == 0 || slices.Contains(c2.fakes.kinds(), "case_started") {
		t.Fatalf("second run timeline %v: must continue, not restart", c2.fakes.kinds())
	}
	if got := c2.fakes.sentRungs(); len(got) != 5 || got[0] != "plan-year-8/email" {
		t.Fatalf("second run sent %v, want the five reminders left", got)
	}
	// Timeline keys continue across runs: no reuse.
	if first := c2.fakes.records[0].EventKey; first != invoiceID+":"+strconv.Itoa(next.Resume.EventSeq+1) {
		t.Fatalf("first key of the second run %s, want it after %d", first, next.Resume.EventSeq)
	}
}

func TestPolicyEditedMidCaseKeepsTheSnapshot(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	c.at(due.Add(day(5)), func() {
		edited := domain.DefaultPolicy()
		edited.Version, edited.Steps = 2, edited.Steps[:2]
		c.fakes.mu.Lock()
		c.fakes.facts.Policy = edited
		c.fakes.mu.Unlock()
	})
	c.at(due.Add(day(12)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email", "letter-d11/letter"}) {
		t.Fatalf("sent %v: the running case follows its v1 snapshot", got)
	}
}

func TestContactRulesDelayAndSkip(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due)
	saturdayLetter := due.Add(day(11))
	monday := saturdayLetter.Add(day(2))
	c.fakes.contact = func(in domain.ContactCheckInput) domain.ContactDecision {
		switch {
		case in.Channel == domain.ChannelEmail:
			return domain.ContactDecision{Skip: true, Reason: "debtor opted out of email"}
		case in.Channel == domain.ChannelLetter && in.At.Before(monday):
			return domain.ContactDecision{NotBefore: monday, Reason: "letters are posted on business days only"}
		}
		return domain.ContactDecision{Allowed: true}
	}
	c.at(due.Add(day(14)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	// The e-mail step falls back to SMS; the letter waits for Monday.
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/sms", "letter-d11/letter"}) {
		t.Fatalf("sent %v", got)
	}
	kinds := c.fakes.kinds()
	if !slices.Contains(kinds, "step_delayed") {
		t.Fatalf("timeline %v: the delay and its reason are recorded", kinds)
	}
	var delayed string
	for _, r := range c.fakes.records {
		if r.Event != nil && r.Event.Kind == "step_delayed" {
			delayed = r.Event.Message
		}
	}
	if delayed == "" || !strings.Contains(delayed, "business days") {
		t.Fatalf("delay message %q", delayed)
	}
	for _, ci := range c.fakes.contacts {
		if ci.Channel == domain.ChannelLetter && ci.At.After(saturdayLetter) && !ci.At.Equal(monday) {
			t.Fatalf("letter rechecked at %s, want exactly at %s", ci.At, monday)
		}
	}
}

func TestBounceRetriesTheSameRungOnItsNextChannel(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due)
	c.at(due.Add(day(4)+time.Hour), func() {
		ev := domain.DeliveryEvent{EventID: "ev1", InteractionID: "ix-" + invoiceID + ":email-d4:1", Channel: domain.ChannelEmail, Kind: "bounced"}
		c.env.SignalWorkflow(domain.SignalDelivery, ev)
		c.env.SignalWorkflow(domain.SignalDelivery, ev) // duplicate
	})
	c.at(due.Add(day(5)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email", "email-d4/sms"}) {
		t.Fatalf("sent %v, want the e-mail step retried once by SMS", got)
	}
	if k := c.fakes.sends[1].IdempotencyKey; k != invoiceID+":email-d4:2" {
		t.Fatalf("retry key %s", k)
	}
}

func TestSkippedStepByCondition(t *testing.T) {
	p := domain.DefaultPolicy()
	p.Steps[3].MinBalanceCents = 500000 // the letter only above 5 000 €
	c := newCaseTest(t, p, due.Add(day(2)))
	c.at(due.Add(day(19)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	if got := c.fakes.sentRungs(); !slices.Equal(got, []string{"email-d4/email", "formal-notice-d18/registered_letter"}) {
		t.Fatalf("sent %v", got)
	}
}

func TestAgencyReportsPaymentsAndCloses(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(38)))
	c.at(due.Add(day(45)), func() {
		c.env.SignalWorkflow(domain.SignalAgencyReport, domain.AgencyReport{EventID: "a1", PaidCents: 23456, Note: "first"})
	})
	c.at(due.Add(day(46)), func() {
		c.env.SignalWorkflow(domain.SignalAgencyReport, domain.AgencyReport{EventID: "a1", PaidCents: 23456, Note: "dup"})
	})
	c.at(due.Add(day(60)), func() {
		c.env.SignalWorkflow(domain.SignalAgencyReport, domain.AgencyReport{EventID: "a2", PaidCents: 100000, Status: domain.StatusPaid})
	})
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid || res.PaidCents != 123456 || len(c.fakes.handoffs) != 1 {
		t.Fatalf("result %+v handoffs %d", res, len(c.fakes.handoffs))
	}
}
