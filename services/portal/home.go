package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// pageSize bounds the invoices on one page: a debtor with 10,000 open
// invoices gets the same fast page as one with two.
const pageSize = 50

// paris is where due dates and "days late" are reckoned.
var paris = mustLocation("Europe/Paris")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

type homeData struct {
	Debtor     store.Debtor
	Totals     []totalView
	Invoices   []invoiceView
	Awaiting   []awaitingView
	SMSStopped bool
	Prev, Next int
}

type totalView struct {
	Currency, Balance, Overdue string
	PayAll                     bool
}

type invoiceView struct {
	Number, Description, Currency string
	Balance, BalanceInput         string
	DueDate                       string
	DaysLate                      int
	Disputed                      string
	Letters                       []letterView
}

type letterView struct{ Date, Kind string }

type awaitingView struct{ Amount string }

// flashes are the confirmations a redirect after a post may ask for.
var flashes = map[string]string{
	"paid": "done_paid", "promise": "done_promise", "promise_task": "done_promise_task",
	"plan": "done_plan", "plan_task": "done_plan_task", "dispute": "done_dispute",
	"message": "done_message", "consent": "done_consent",
}

// home shows what the debtor owes, a page of open invoices at a time.
func (p *Portal) home(w http.ResponseWriter, r *http.Request, s *session) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 0)
	v := p.newView(s, "title")
	if key, ok := flashes[r.URL.Query().Get("done")]; ok {
		v.Flash = s.Lang.T(key)
	}
	p.showHome(w, r, s, v, page, http.StatusOK)
}

// showHome renders the home page with status (a form's error keeps the
// page the debtor was on).
func (p *Portal) showHome(w http.ResponseWriter, r *http.Request, s *session, v *view, page, status int) {
	ctx, q, now := r.Context(), p.Store.Pool, p.Now()
	if status == http.StatusOK {
		if err := store.RecordPortalVisit(ctx, p.Store.Pool, s.Link, "home", now); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	l := string(s.Lang)
	h, err := store.LoadPortalHome(ctx, q, s.Debtor.ID, now.In(paris), now.Add(-24*time.Hour), pageSize+1, page*pageSize)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	totals, invoices, letters, disputed := h.Totals, h.Invoices, h.Letters, h.Disputed
	d := homeData{Debtor: s.Debtor, SMSStopped: h.SMSOff}
	if page > 0 {
		d.Prev = page - 1
	}
	if len(invoices) > pageSize {
		invoices, d.Next = invoices[:pageSize], page+1
	}
	for _, t := range totals {
		tv := totalView{Currency: t.Currency, Balance: domain.NewMoney(t.BalanceCents, t.Currency).Format(l),
			PayAll: p.Checkout != nil && t.OpenCount > 1}
		if t.OverdueCents > 0 && t.OverdueCents != t.BalanceCents {
			tv.Overdue = domain.NewMoney(t.OverdueCents, t.Currency).Format(l)
		}
		d.Totals = append(d.Totals, tv)
	}
	for _, inv := range invoices {
		due, _ := time.ParseInLocation("2006-01-02", inv.DueDate, paris)
		iv := invoiceView{
			Number: inv.Number, Description: inv.Description, Currency: inv.Currency,
			Balance: domain.NewMoney(inv.BalanceCents, inv.Currency).Format(l), BalanceInput: amountInput(inv.BalanceCents, l),
			DueDate: formatDate(due, s.Lang), DaysLate: domain.DaysLate(due, now.In(paris)),
		}
		if c := disputed[inv.ID]; c > 0 {
			iv.Disputed = domain.NewMoney(c, inv.Currency).Format(l)
		}
		for _, lt := range letters[inv.ID] {
			kind := s.Lang.T("letter")
			if lt.Registered {
				kind = s.Lang.T("registered")
			}
			iv.Letters = append(iv.Letters, letterView{Date: formatDate(lt.SentAt.In(paris), s.Lang), Kind: kind})
		}
		d.Invoices = append(d.Invoices, iv)
	}
	for _, c := range h.Awaiting {
		d.Awaiting = append(d.Awaiting, awaitingView{Amount: domain.NewMoney(c.AmountCents, c.Currency).Format(l)})
	}
	v.Data = d
	p.render(w, r, status, "home", v)
}

// formatDate writes a date the debtor's way: 31/01/2026 or 31 Jan 2026.
func formatDate(t time.Time, l lang) string {
	if l == en {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

// amountInput is an amount as the debtor would type it: 1234,56 or 1234.56.
func amountInput(cents int64, l string) string {
	s := strconv.FormatInt(cents/100, 10)
	frac := strconv.FormatInt(cents%100+100, 10)[1:]
	if l == "en" {
		return s + "." + frac
	}
	return s + "," + frac
}
