package domain

// Kinds of ledger entries: every movement of money on an invoice or on the
// suspense account of a receipt is one of these.
const (
	EntryInvoice            = "invoice"
	EntryAdjustment         = "adjustment" // an ERP correcting the invoice's amount
	EntryCreditNote         = "credit_note"
	EntryPayment            = "payment"
	EntryRefund             = "refund"
	EntryChargeback         = "chargeback"
	EntryChargebackReversal = "chargeback_reversal"
	EntryWriteOff           = "write_off"
	EntryUnallocated        = "unallocated" // money received and held in suspense
	EntryAllocation         = "allocation"  // money moved from suspense onto an invoice
	EntryInterest           = "interest"
	EntryFee                = "fee"
)

// LedgerBalance is what the ledger says of one invoice, computed from its
// entries in one place (store.InvoiceLedger). The case takes these figures
// as the truth with each money command instead of keeping a running total.
type LedgerBalance struct {
	// OwedCents is the invoice with its adjustments, interest and fees.
	OwedCents int64 `json:"owed_cents"`
	// PaidCents is the money received on the invoice, net of refunds and
	// chargebacks (plus their reversals).
	PaidCents       int64 `json:"paid_cents"`
	CreditedCents   int64 `json:"credited_cents"`
	WrittenOffCents int64 `json:"written_off_cents"`
	// BalanceCents is what is still owed (never below zero).
	BalanceCents int64 `json:"balance_cents"`
	// OverpaidCents is what the invoice's payers paid beyond it, held in
	// suspense for a person to refund or allocate.
	OverpaidCents int64 `json:"overpaid_cents"`
}

// Settled reports whether nothing is owed any more.
func (b LedgerBalance) Settled() bool { return b.BalanceCents == 0 }

// UpdateLedger tells a case that money moved on its invoice other than a
// payment (a refund, a chargeback or its reversal, interest, a fee): the
// case takes the ledger's figures it carries.
const UpdateLedger = "ledger"

// LedgerEntryUpdate is the payload of UpdateLedger. ID is the entry's
// stable key; AmountCents is the change of what is owed (positive when a
// refund or a chargeback makes it owed again).
type LedgerEntryUpdate struct {
	ID          string         `json:"id"`
	Kind        string         `json:"kind"`
	AmountCents int64          `json:"amount_cents"`
	Currency    string         `json:"currency"`
	Source      string         `json:"source,omitempty"`
	Ledger      *LedgerBalance `json:"ledger,omitempty"`
}
