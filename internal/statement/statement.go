// Package statement builds a debtor's statement of account: each open
// invoice, then the payments and credit notes booked against it, in date
// order with a running balance per currency. It reads Postgres and
// formats nothing, so the portal page, a PDF or an API can all show it.
package statement

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/store"
)

// Kinds of statement lines.
const (
	KindInvoice    = "invoice"
	KindPayment    = "payment"
	KindCreditNote = "credit_note"
)

// Line is one movement; exactly one of DebitCents and CreditCents is set.
type Line struct {
	Date          string `json:"date"` // ISO date
	Kind          string `json:"kind"`
	InvoiceNumber string `json:"invoice_number"`
	Reference     string `json:"reference,omitempty"` // payment or credit note
	DebitCents    int64  `json:"debit_cents"`
	CreditCents   int64  `json:"credit_cents"`
	BalanceCents  int64  `json:"balance_cents"` // running, after this line
}

// Account is the statement in one currency.
type Account struct {
	Currency     string `json:"currency"`
	Lines        []Line `json:"lines"`
	BalanceCents int64  `json:"balance_cents"`
}

// Statement is a debtor's open items as of a date.
type Statement struct {
	DebtorID string    `json:"debtor_id"`
	AsOf     time.Time `json:"as_of"`
	Accounts []Account `json:"accounts"`
}

// Build reads the debtor's open invoices with what was paid or credited
// on them. The balance of each account equals the sum of the open
// invoices' balances when the ledger is consistent.
func Build(ctx context.Context, q store.Querier, debtorID string, asOf time.Time) (Statement, error) {
	rows, err := q.Query(ctx, `
		WITH open AS (
			SELECT id, number, currency, amount_cents, issue_date FROM invoices
			WHERE debtor_id = $1 AND status = 'open' AND balance_cents > 0)
		SELECT to_char(o.issue_date, 'YYYY-MM-DD'), 'invoice', o.number, '', o.currency, o.amount_cents, 0::bigint FROM open o
		UNION ALL
		SELECT to_char(p.received_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD'), 'payment', o.number, p.id, o.currency, 0, a.amount_cents
		FROM open o JOIN payment_allocations a ON a.invoice_id = o.id JOIN payments p ON p.id = a.payment_id
		UNION ALL
		SELECT to_char(c.created_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD'), 'credit_note', o.number, c.id, o.currency, 0, c.amount_cents
		FROM open o JOIN credit_notes c ON c.invoice_id = o.id`, debtorID)
	if err != nil {
		return Statement{}, fmt.Errorf("statement of %s: %w", debtorID, err)
	}
	type raw struct {
		Line
		Currency string
	}
	lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (raw, error) {
		var l raw
		err := r.Scan(&l.Date, &l.Kind, &l.InvoiceNumber, &l.Reference, &l.Currency, &l.DebitCents, &l.CreditCents)
		return l, err
	})
	if err != nil {
		return Statement{}, fmt.Errorf("statement of %s: %w", debtorID, err)
	}
	// Date order; on one day an invoice comes before what settles it.
	slices.SortStableFunc(lines, func(a, b raw) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Date, b.Date),
			cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), cmp.Compare(a.InvoiceNumber, b.InvoiceNumber),
			cmp.Compare(a.Reference, b.Reference))
	})
	st := Statement{DebtorID: debtorID, AsOf: asOf}
	for _, l := range lines {
		if n := len(st.Accounts); n == 0 || st.Accounts[n-1].Currency != l.Currency {
			st.Accounts = append(st.Accounts, Account{Currency: l.Currency})
		}
		acc := &st.Accounts[len(st.Accounts)-1]
		acc.BalanceCents += l.DebitCents - l.CreditCents
		l.BalanceCents = acc.BalanceCents
		acc.Lines = append(acc.Lines, l.Line)
	}
	return st, nil
}

func kindOrder(k string) int {
	switch k {
	case KindInvoice:
		return 0
	case KindCreditNote:
		return 1
	}
	return 2
}
