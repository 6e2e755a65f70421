package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/relance/relance/internal/store"
)

// maxMetadataValue is Stripe's limit on one metadata value.
const maxMetadataValue = 500

// pay starts a card payment of one invoice (any amount up to its balance)
// or of every open invoice in a currency. Nothing is booked here: the
// case goes on dunning until the provider's signed webhook confirms the
// payment to services/payments.
func (p *Portal) pay(w http.ResponseWriter, r *http.Request, s *session) {
	if p.Checkout == nil {
		p.refuse(w, r, s, &inputError{Status: http.StatusServiceUnavailable,
			FR: "le paiement par carte n'est pas proposé pour le moment.", EN: "card payment is not offered at the moment."})
		return
	}
	ctx := r.Context()
	c := store.Checkout{DebtorID: s.Debtor.ID, LinkID: s.Link.ID, Provider: p.Checkout.Name()}
	if cur := strings.ToUpper(strings.TrimSpace(r.FormValue("all"))); cur != "" {
		ids, sum, err := store.OpenInvoiceIDs(ctx, p.Store.Pool, s.Debtor.ID, cur)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		if sum <= 0 {
			p.refuse(w, r, s, bad("aucune facture ne reste à régler dans cette devise.", "nothing is left to pay in this currency."))
			return
		}
		c.InvoiceIDs, c.AmountCents, c.Currency = ids, sum, cur
	} else {
		inv, err := p.ownInvoice(r, s, r.FormValue("invoice"))
		if err != nil {
			p.refuse(w, r, s, err)
			return
		}
		amount, err := parseAmount(r.FormValue("amount"))
		if err == nil {
			err = checkAmount(amount, inv.BalanceCents)
		}
		if err != nil {
			p.refuse(w, r, s, err)
			return
		}
		c.InvoiceIDs, c.AmountCents, c.Currency = []string{inv.ID}, amount, inv.Currency
	}
	id, err := store.NewCheckoutID()
	if err != nil {
		p.fail(w, r, err)
		return
	}
	c.ID = id
	if err := store.InsertCheckout(ctx, p.Store.Pool, c); err != nil {
		p.fail(w, r, err)
		return
	}
	meta, err := p.checkoutMetadata(ctx, c)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	back := p.Settings.BaseURL + s.Base
	sessionID, redirect, err := p.Checkout.Start(ctx, CheckoutRequest{
		ID: c.ID, AmountCents: c.AmountCents, Currency: c.Currency, Label: label(s.Lang, meta["invoice_numbers"]),
		Email: s.Debtor.Email, Lang: s.Lang, Metadata: meta,
		SuccessURL: back + "?done=paid", CancelURL: back,
	})
	if err != nil {
		p.Logger.Error("card payment not started", "checkout", c.ID, "err", err)
		p.refuse(w, r, s, &inputError{Status: http.StatusBadGateway,
			FR: "le paiement par carte n'a pas pu démarrer : réessayez dans un instant.", EN: "the card payment could not start: try again in a moment."})
		return
	}
	if err := store.SetCheckoutSession(ctx, p.Store.Pool, c.ID, sessionID); err != nil {
		p.fail(w, r, err)
		return
	}
	if err := store.RecordPortalVisit(ctx, p.Store.Pool, s.Link, "pay", p.Now()); err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// checkoutMetadata names the invoices for the payment webhook: one
// invoice by its number (the ledger books it there), several by the
// debtor (the ledger settles them oldest first, and the amount is their
// sum). invoice_numbers lists them for people reading the provider's
// dashboard, cut to the provider's limit.
func (p *Portal) checkoutMetadata(ctx context.Context, c store.Checkout) (map[string]string, error) {
	numbers, err := store.InvoiceNumbers(ctx, p.Store.Pool, c.InvoiceIDs)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"debtor_id": c.DebtorID, "portal_checkout": c.ID}
	if len(numbers) == 1 {
		meta["invoice_number"] = numbers[0]
	}
	list := strings.Join(numbers, ",")
	if len(list) > maxMetadataValue {
		list = list[:strings.LastIndexByte(list[:maxMetadataValue-4], ',')] + ",…"
	}
	meta["invoice_numbers"] = list
	return meta, nil
}

func label(l lang, numbers string) string {
	if strings.Contains(numbers, ",") {
		return l.T("open_invoices") + " " + numbers
	}
	return l.T("invoice") + " " + numbers
}
