package main

import (
	"net/http"
	"time"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/statement"
	"github.com/relance/relance/internal/store"
)

type statementData struct {
	AsOf, DebtorName string
	Currencies       []statementAccount
}

type statementAccount struct {
	Currency, Total string
	Lines           []statementLine
}

type statementLine struct{ Date, Label, Debit, Credit, Balance string }

// statement shows the statement of account built by internal/statement.
func (p *Portal) statement(w http.ResponseWriter, r *http.Request, s *session) {
	now := p.Now()
	if err := store.RecordPortalVisit(r.Context(), p.Store.Pool, s.Link, "statement", now); err != nil {
		p.fail(w, r, err)
		return
	}
	st, err := statement.Build(r.Context(), p.Store.Pool, s.Debtor.ID, now)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	l := string(s.Lang)
	d := statementData{AsOf: formatDate(now.In(paris), s.Lang), DebtorName: s.Debtor.Name}
	for _, acc := range st.Accounts {
		a := statementAccount{Currency: acc.Currency, Total: domain.NewMoney(acc.BalanceCents, acc.Currency).Format(l)}
		for _, ln := range acc.Lines {
			date, _ := time.ParseInLocation("2006-01-02", ln.Date, paris)
			row := statementLine{Date: formatDate(date, s.Lang),
				Balance: domain.NewMoney(ln.BalanceCents, acc.Currency).Format(l)}
			switch ln.Kind {
			case statement.KindInvoice:
				row.Label = s.Lang.T("invoice") + " " + ln.InvoiceNumber
			case statement.KindPayment:
				row.Label = s.Lang.T("payment") + " — " + s.Lang.T("invoice") + " " + ln.InvoiceNumber
			default:
				row.Label = s.Lang.T("credit_note") + " — " + s.Lang.T("invoice") + " " + ln.InvoiceNumber
			}
			if ln.DebitCents > 0 {
				row.Debit = domain.NewMoney(ln.DebitCents, acc.Currency).Format(l)
			}
			if ln.CreditCents > 0 {
				row.Credit = domain.NewMoney(ln.CreditCents, acc.Currency).Format(l)
			}
			a.Lines = append(a.Lines, row)
		}
		d.Currencies = append(d.Currencies, a)
	}
	v := p.newView(s, "statement")
	v.Data = d
	p.render(w, r, http.StatusOK, "statement", v)
}
