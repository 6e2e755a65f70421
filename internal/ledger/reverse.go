package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// Reversal is money going back: a refund or a chargeback of a payment, or
// the reversal of a chargeback the merchant won.
type Reversal struct {
	// Kind is domain.EntryRefund, EntryChargeback or EntryChargebackReversal.
	Kind string
	// Provider and EventID identify the reversal itself (the refund's or
	// the dispute's ID at the provider); a reversal of a chargeback names
	// the chargeback's EventID.
	Provider string
	EventID  string
	// PaymentID is the payment reversed, or ProviderRef its provider
	// object (a payment intent) when the provider names that.
	PaymentID   string
	ProviderRef string
	// AmountCents of a chargeback reversal may be 0: all the chargeback.
	AmountCents int64
	Currency    string
	At          time.Time
}

// Reversed is what Reverse booked.
type Reversed struct {
	Entries []store.LedgerEntry `json:"entries"`
	// Duplicate: the same reversal was booked before; nothing written.
	Duplicate bool `json:"duplicate"`
	// Conflict says why nothing could be booked (an unknown payment, more
	// than the payment holds, another amount under the same ID): a person
	// must look.
	Conflict string `json:"conflict,omitempty"`
}

// ReversalKey is the prefix of the ledger keys a reversal books.
func ReversalKey(kind, provider, eventID string) string {
	return kind + ":" + provider + ":" + eventID + ":"
}

// Reverse books a refund, a chargeback or a chargeback's reversal in tx.
// Money still held in suspense goes back first; beyond it, the invoices
// the payment settled owe again, last settled first. Each invoice touched
// gets its balance refreshed from the ledger and a ledger command for its
// case (a case that had ended paid is reopened by the door).
func Reverse(ctx context.Context, tx pgx.Tx, r Reversal, actor store.Actor) (Reversed, error) {
	switch {
	case r.Kind != domain.EntryRefund && r.Kind != domain.EntryChargeback && r.Kind != domain.EntryChargebackReversal:
		return Reversed{}, fmt.Errorf("reverse: unknown kind %q", r.Kind)
	case r.Provider == "" || r.EventID == "":
		return Reversed{}, domain.FieldError{Field: "id", Reason: "is required"}
	case r.AmountCents < 0 || (r.AmountCents == 0 && r.Kind != domain.EntryChargebackReversal):
		return Reversed{}, domain.FieldError{Field: "amount_cents", Reason: "must be positive"}
	case r.At.IsZero():
		r.At = time.Now()
	}
	prefix := ReversalKey(r.Kind, r.Provider, r.EventID)
	done, err := store.LedgerEntriesWithPrefix(ctx, tx, prefix)
	if err != nil {
		return Reversed{}, err
	}
	if len(done) > 0 {
		if total := moved(done); r.AmountCents != 0 && total != r.AmountCents {
			return Reversed{Conflict: fmt.Sprintf("%s %s already booked with amount %d, reported %d", r.Kind, r.EventID, total, r.AmountCents)}, nil
		}
		return Reversed{Entries: done, Duplicate: true}, nil
	}
	var plan []store.LedgerEntry
	var conflict string
	if r.Kind == domain.EntryChargebackReversal {
		plan, conflict, err = planChargebackReversal(ctx, tx, r, prefix)
	} else {
		plan, conflict, err = planReturn(ctx, tx, r, prefix)
	}
	if err != nil || conflict != "" {
		return Reversed{Conflict: conflict}, err
	}
	out := Reversed{}
	var paymentID string
	for _, e := range plan {
		if err := book(ctx, tx, e); err != nil {
			return Reversed{}, err
		}
		paymentID = e.PaymentID
		out.Entries = append(out.Entries, e)
		if e.InvoiceID == "" {
			continue
		}
		if _, _, err := store.RefreshInvoiceBalance(ctx, tx, e.InvoiceID); err != nil {
			return Reversed{}, err
		}
		if _, err := store.EnqueueCaseCommand(ctx, tx, e.InvoiceID, domain.UpdateLedger, e.Key, domain.LedgerEntryUpdate{
			ID: e.Key, Kind: e.Kind, AmountCents: e.AmountCents, Currency: e.Currency, Source: e.Source,
		}); err != nil {
			return Reversed{}, err
		}
	}
	if _, err := store.SetPaymentUnallocated(ctx, tx, paymentID); err != nil {
		return Reversed{}, err
	}
	if err := store.Audit(ctx, tx, store.AuditEntry{
		Actor: actor, Action: "payment." + r.Kind, Entity: "payment", EntityID: paymentID, After: out,
	}); err != nil {
		return Reversed{}, err
	}
	return out, nil
}

// moved is the absolute amount a set of entries booked on accounts (a
// reversal's rows all move money the same way).
func moved(entries []store.LedgerEntry) int64 {
	var n int64
	for _, e := range entries {
		n += max(e.AmountCents, -e.AmountCents)
	}
	return n
}

// planReturn splits a refund or a chargeback over what the payment holds.
func planReturn(ctx context.Context, tx pgx.Tx, r Reversal, prefix string) ([]store.LedgerEntry, string, error) {
	pay, err := store.FindPayment(ctx, tx, r.PaymentID, r.Provider, r.ProviderRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Sprintf("%s %s names no booked payment (%s%s)", r.Kind, r.EventID, r.PaymentID, r.ProviderRef), nil
	}
	if err != nil {
		return nil, "", err
	}
	if pay, err = store.GetPaymentForUpdate(ctx, tx, pay.ID); err != nil {
		return nil, "", err
	}
	if pay.Currency != r.Currency {
		return nil, fmt.Sprintf("%s %s is in %s, payment %s in %s", r.Kind, r.EventID, r.Currency, pay.ID, pay.Currency), nil
	}
	entries, err := store.ListLedgerEntries(ctx, tx, "", pay.ID)
	if err != nil {
		return nil, "", err
	}
	var held int64
	net := map[string]int64{} // what the payment still pays on each invoice
	var order []string
	for _, e := range entries {
		if e.InvoiceID == "" {
			held += e.AmountCents
			continue
		}
		if _, seen := net[e.InvoiceID]; !seen {
			order = append(order, e.InvoiceID)
		}
		net[e.InvoiceID] -= e.AmountCents
	}
	left := r.AmountCents
	entry := func(invoiceID, suffix string, amount int64) store.LedgerEntry {
		return store.LedgerEntry{Key: prefix + suffix, Kind: r.Kind, InvoiceID: invoiceID, DebtorID: pay.DebtorID,
			PaymentID: pay.ID, Source: r.Provider, AmountCents: amount, Currency: pay.Currency, OccurredAt: r.At}
	}
	var plan []store.LedgerEntry
	if take := min(left, held); take > 0 {
		plan = append(plan, entry("", "suspense", -take))
		left -= take
	}
	for i := len(order) - 1; i >= 0 && left > 0; i-- {
		inv := order[i]
		if take := min(left, net[inv]); take > 0 {
			plan = append(plan, entry(inv, inv, take))
			left -= take
		}
	}
	if left > 0 {
		return nil, fmt.Sprintf("%s %s of %d exceeds what payment %s still holds by %d", r.Kind, r.EventID, r.AmountCents, pay.ID, left), nil
	}
	return plan, "", nil
}

// planChargebackReversal gives back what a chargeback took, account by account.
func planChargebackReversal(ctx context.Context, tx pgx.Tx, r Reversal, prefix string) ([]store.LedgerEntry, string, error) {
	cb, err := store.LedgerEntriesWithPrefix(ctx, tx, ReversalKey(domain.EntryChargeback, r.Provider, r.EventID))
	if err != nil {
		return nil, "", err
	}
	if len(cb) == 0 {
		return nil, fmt.Sprintf("reversal of chargeback %s, which was never booked", r.EventID), nil
	}
	if total := moved(cb); r.AmountCents != 0 && r.AmountCents != total {
		return nil, fmt.Sprintf("reversal of %d for chargeback %s of %d", r.AmountCents, r.EventID, total), nil
	}
	if cb[0].Currency != r.Currency && r.Currency != "" {
		return nil, fmt.Sprintf("reversal in %s of chargeback %s in %s", r.Currency, r.EventID, cb[0].Currency), nil
	}
	if _, err := store.GetPaymentForUpdate(ctx, tx, cb[0].PaymentID); err != nil {
		return nil, "", err
	}
	plan := make([]store.LedgerEntry, 0, len(cb))
	for _, e := range cb {
		plan = append(plan, store.LedgerEntry{
			Key:  prefix + strings.TrimPrefix(e.Key, ReversalKey(domain.EntryChargeback, r.Provider, r.EventID)),
			Kind: domain.EntryChargebackReversal, InvoiceID: e.InvoiceID, DebtorID: e.DebtorID, PaymentID: e.PaymentID,
			Source: r.Provider, AmountCents: -e.AmountCents, Currency: e.Currency, OccurredAt: r.At,
		})
	}
	return plan, "", nil
}
