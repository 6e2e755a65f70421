package workflows

import (
	"testing"

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
