package workflows

import (
	"testing"
	"time"

	"github.com/relance/relance/internal/domain"
)

// agencyOnly is a ladder of one rung: the handoff on D+39.
func agencyOnly() domain.Policy {
	p := domain.DefaultPolicy()
	p.Steps = []domain.Step{{Name: "agency-d39", Action: domain.ActionAgencyHandoff, Offset: domain.Duration(day(39)), From: domain.FromDueDate}}
	return p
}

func TestPaymentDuringTheHandoffKeepsTheCasePaid(t *testing.T) {
	c := newCaseTest(t, agencyOnly(), due.Add(day(2)))
	c.fakes.duringHandoff = func() {
		c.env.UpdateWorkflow(domain.UpdatePayment, "race", &noopCallback{}, pay("p-race", 123456))
	}
	// Were the case taken for handed over, the agency would close it written off.
	c.endByAgency(due.Add(day(60)))
	res := c.run(domain.CaseInput{InvoiceID: invoiceID})
	if res.Status != domain.StatusPaid || res.BalanceCents != 0 || res.PaidCents != 123456 {
		t.Fatalf("result %+v: a payment settling the invoice during the handoff must leave it paid", res)
	}
	if last := c.fakes.lastRecord(); last.Status != domain.StatusPaid {
		t.Fatalf("last projection %+v, want paid", last)
	}
}

func TestDisputeDeliveredAgainIsAcceptedOnce(t *testing.T) {
	c := newCaseTest(t, domain.DefaultPolicy(), due.Add(day(2)))
	open := domain.DisputeUpdate{ID: "d1", AmountCents: 100000, Reason: "two lines"}
	c.at(due.Add(day(5)), func() { c.update(domain.UpdateOpenDispute, open) })
	var again error
	var done bool
	var st domain.CaseState
	// The relay delivers it again under a new update ID (after a
	// continue-as-new the server no longer knows the first one).
	c.at(due.Add(day(6)), func() { c.outcome(domain.UpdateOpenDispute, "again", open, &again, &done) })
	c.at(due.Add(day(6)+time.Minute), func() { st = c.state() })
	c.at(due.Add(day(7)), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})
	if !done || again != nil {
		t.Fatalf("the same dispute again: %v, want accepted (already open)", again)
	}
	if len(st.Disputes) != 1 || st.DisputedCents() != 100000 {
		t.Fatalf("disputes %+v, want the one dispute of 1 000,00", st.Disputes)
	}
}
