// Package ledger books money received against invoices: Allocate decides
// which invoices a payment settles (a pure function), Post writes the
// payment, its allocations, the lowered balances and the case commands
// that tell each case, all in the caller's transaction.
package ledger

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// OpenInvoice is what allocation needs to know of an invoice.
type OpenInvoice struct {
	ID       string
	Number   string
	Currency string
	// IssueDate and DueDate are ISO dates (2026-01-31), so they sort as text.
	IssueDate    string
	DueDate      string
	BalanceCents int64
}

// Allocation is the part of a payment booked on one invoice.
type Allocation struct {
	InvoiceID   string `json:"invoice_id"`
	AmountCents int64  `json:"amount_cents"`
}

// Result is how a payment splits: allocations in booking order and what
// is left over. The leftover is kept on the payment, never dropped.
type Result struct {
	Allocations      []Allocation `json:"allocations"`
	UnallocatedCents int64        `json:"unallocated_cents"`
}

// ErrReferenceNotFound means the payment names an invoice not among those given.
var ErrReferenceNotFound = errors.New("referenced invoice not found")

// ErrCurrencyMismatch means the referenced invoice is in another currency.
var ErrCurrencyMismatch = errors.New("payment currency differs from the invoice's")

// Allocate splits amountCents of currency over invoices.
//
// When the payer names an invoice (reference = its number), the payment
// goes to that invoice only, up to its balance, and any surplus stays
// unallocated for a person to decide: the payer said which debt it meant
// to pay (Code civil art. 1342-10, first paragraph), so the surplus is not
// silently spread over other invoices.
//
// Without a reference, the payment settles the invoices in the payment's
// currency oldest first — by due date, then issue date, then number — so
// debts already due are paid before those not yet due (art. 1342-10,
// second paragraph). Invoices with no balance left are skipped.
func Allocate(amountCents int64, currency, reference string, invoices []OpenInvoice) (Result, error) {
	if amountCents <= 0 {
		return Result{}, fmt.Errorf("allocate: amount must be positive, got %d", amountCents)
	}
	var candidates []OpenInvoice
	if reference != "" {
		i := slices.IndexFunc(invoices, func(inv OpenInvoice) bool { return inv.Number == reference })
		if i < 0 {
			return Result{}, fmt.Errorf("allocate to %q: %w", reference, ErrReferenceNotFound)
		}
		if invoices[i].Currency != currency {
			return Result{}, fmt.Errorf("allocate %s to %s in %s: %w", currency, reference, invoices[i].Currency, ErrCurrencyMismatch)
		}
		candidates = []OpenInvoice{invoices[i]}
	} else {
		for _, inv := range invoices {
			if inv.Currency == currency {
				candidates = append(candidates, inv)
			}
		}
		slices.SortStableFunc(candidates, oldestFirst)
	}
	res := Result{UnallocatedCents: amountCents}
	for _, inv := range candidates {
		if res.UnallocatedCents == 0 {
			break
		}
		take := min(res.UnallocatedCents, inv.BalanceCents)
		if take <= 0 {
			continue
		}
		res.Allocations = append(res.Allocations, Allocation{InvoiceID: inv.ID, AmountCents: take})
		res.UnallocatedCents -= take
	}
	return res, nil
}

func oldestFirst(a, b OpenInvoice) int {
	return cmp.Or(
		cmp.Compare(a.DueDate, b.DueDate),
		cmp.Compare(a.IssueDate, b.IssueDate),
		cmp.Compare(a.Number, b.Number),
		cmp.Compare(a.ID, b.ID),
	)
}
