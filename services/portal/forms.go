package main

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/relance/relance/internal/store"
)

// inputError is a form the portal refuses: a 4xx, a message in both
// languages shown on the page, and nothing written.
type inputError struct {
	Status int
	FR, EN string
}

func (e *inputError) Error() string { return e.EN }

func (e *inputError) in(l lang) string {
	if l == en {
		return e.EN
	}
	return e.FR
}

func bad(fr, en string) *inputError {
	return &inputError{Status: http.StatusUnprocessableEntity, FR: fr, EN: en}
}

// refuse shows the home page with the refusal and its status.
func (p *Portal) refuse(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var ie *inputError
	if !errors.As(err, &ie) {
		p.fail(w, r, err)
		return
	}
	v := p.newView(s, "title")
	v.Error = ie.in(s.Lang)
	p.showHome(w, r, s, v, 0, ie.Status)
}

// parseAmount reads an amount typed by a person: "1234,56", "1 234,56",
// "1234.56" or "1234"; it returns minor units.
func parseAmount(s string) (int64, error) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "€", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, bad("indiquez un montant.", "enter an amount.")
	}
	s = strings.Replace(s, ",", ".", 1)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if hasFrac && (len(frac) == 0 || len(frac) > 2) {
		return 0, bad("le montant doit avoir au plus deux décimales.", "the amount may have at most two decimals.")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	if len(whole) > 12 {
		return 0, bad("ce montant est trop élevé.", "this amount is too large.")
	}
	w, err1 := strconv.ParseUint(whole, 10, 64)
	f, err2 := strconv.ParseUint(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, bad("le montant n'est pas un nombre (par exemple 120,50).", "the amount is not a number (for example 120.50).")
	}
	return int64(w*100 + f), nil
}

// checkAmount refuses 0 and more than the balance.
func checkAmount(cents, balance int64) error {
	if cents <= 0 {
		return bad("le montant doit être supérieur à zéro.", "the amount must be more than zero.")
	}
	if cents > balance {
		return bad("le montant dépasse le reste dû de la facture.", "the amount is more than what is left on the invoice.")
	}
	return nil
}

// parseDate reads an <input type="date"> value as that day in Paris.
func parseDate(s string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), paris)
	if err != nil {
		return time.Time{}, bad("la date n'est pas valable (jj/mm/aaaa).", "the date is not valid.")
	}
	return d, nil
}

// ownInvoice loads one of the session's debtor's open invoices by number;
// an invoice of another debtor answers exactly like one that does not exist.
func (p *Portal) ownInvoice(r *http.Request, s *session, number string) (store.Invoice, error) {
	number = strings.TrimSpace(number)
	if number == "" {
		return store.Invoice{}, bad("choisissez une facture.", "choose an invoice.")
	}
	inv, err := store.DebtorInvoiceByNumber(r.Context(), p.Store.Pool, s.Debtor.ID, number)
	if errors.Is(err, store.ErrNotFound) {
		return store.Invoice{}, &inputError{Status: http.StatusNotFound,
			FR: "la facture " + number + " ne figure pas parmi les vôtres.", EN: "invoice " + number + " is not one of yours."}
	}
	if err != nil {
		return store.Invoice{}, err
	}
	if inv.Status != "open" || inv.BalanceCents <= 0 {
		return store.Invoice{}, &inputError{Status: http.StatusConflict,
			FR: "la facture " + number + " n'a plus rien à régler.", EN: "nothing is left to pay on invoice " + number + "."}
	}
	return inv, nil
}

// nonce is the form's one-time key: a double submit applies once.
func nonce(r *http.Request) (string, error) {
	n := strings.TrimSpace(r.FormValue("nonce"))
	if n == "" || len(n) > 64 {
		return "", bad("le formulaire a expiré : rechargez la page.", "the form has expired: reload the page.")
	}
	return n, nil
}
