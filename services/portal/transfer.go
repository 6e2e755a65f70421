package main

import (
	"net/http"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/rfref"
	"github.com/relance/relance/internal/store"
)

type transferData struct {
	Number, Balance, Beneficiary, IBAN, BIC, Reference string
}

// transfer shows how to pay an invoice by bank transfer: the creditor's
// IBAN and the invoice's ISO 11649 reference, which the bank webhook of
// services/payments matches back to the invoice.
func (p *Portal) transfer(w http.ResponseWriter, r *http.Request, s *session) {
	inv, err := p.ownInvoice(r, s, r.PathValue("number"))
	if err != nil {
		p.refuse(w, r, s, err)
		return
	}
	d := transferData{Number: inv.Number, Balance: domain.NewMoney(inv.BalanceCents, inv.Currency).Format(string(s.Lang)),
		Beneficiary: p.Settings.CreditorName, IBAN: p.Settings.IBAN, BIC: p.Settings.BIC}
	if d.IBAN != "" {
		ref, err := store.TransferReference(r.Context(), p.Store.Pool, inv.ID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		d.Reference = rfref.Print(ref)
	}
	if err := store.RecordPortalVisit(r.Context(), p.Store.Pool, s.Link, "transfer", p.Now()); err != nil {
		p.fail(w, r, err)
		return
	}
	v := p.newView(s, "transfer_title")
	v.Data = d
	p.render(w, r, http.StatusOK, "transfer", v)
}
