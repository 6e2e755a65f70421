package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/rfref"
)

// PortalTotal is what a debtor owes in one currency.
type PortalTotal struct {
	Currency     string `json:"currency"`
	OpenCount    int    `json:"open_count"`
	BalanceCents int64  `json:"balance_cents"`
	OverdueCents int64  `json:"overdue_cents"`
}

// DebtorInvoiceByNumber loads one of the debtor's invoices by number;
// another debtor's invoice is ErrNotFound, as if it did not exist.
func DebtorInvoiceByNumber(ctx context.Context, q Querier, debtorID, number string) (Invoice, error) {
	return oneInvoice(q.QueryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE debtor_id = $1 AND number = $2`,
		debtorID, number), "number "+number)
}

// LetterSent is a letter that went to the debtor about an invoice.
type LetterSent struct {
	InvoiceID  string    `json:"invoice_id"`
	Registered bool      `json:"registered"`
	Template   string    `json:"template"`
	SentAt     time.Time `json:"sent_at"`
}

// Checkout is a card payment started from the portal; it books nothing.
type Checkout struct {
	ID                string     `json:"id"`
	DebtorID          string     `json:"debtor_id"`
	LinkID            string     `json:"link_id"`
	Provider          string     `json:"provider"`
	ProviderSessionID string     `json:"provider_session_id"`
	AmountCents       int64      `json:"amount_cents"`
	Currency          string     `json:"currency"`
	InvoiceIDs        []string   `json:"invoice_ids"`
	Status            string     `json:"status"`
	CreatedAt         time.Time  `json:"created_at"`
	SubmittedAt       *time.Time `json:"submitted_at,omitempty"`
}

// NewCheckoutID is random: a local checkout page is reached by it alone.
func NewCheckoutID() (string, error) {
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("checkout id: %w", err)
	}
	return "co_" + base64.RawURLEncoding.EncodeToString(raw), nil
}

// InsertCheckout records a started checkout.
func InsertCheckout(ctx context.Context, q Querier, c Checkout) error {
	if _, err := q.Exec(ctx, `INSERT INTO portal_checkouts (id, debtor_id, link_id, provider, provider_session_id,
		amount_cents, currency, invoice_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.DebtorID, c.LinkID, c.Provider, c.ProviderSessionID, c.AmountCents, c.Currency, c.InvoiceIDs); err != nil {
		return fmt.Errorf("insert checkout %s: %w", c.ID, err)
	}
	return nil
}

// SetCheckoutSession records the provider's session of a checkout.
func SetCheckoutSession(ctx context.Context, q Querier, id, sessionID string) error {
	if _, err := q.Exec(ctx, `UPDATE portal_checkouts SET provider_session_id = $2 WHERE id = $1`, id, sessionID); err != nil {
		return fmt.Errorf("checkout %s session: %w", id, err)
	}
	return nil
}

const checkoutColumns = `id, debtor_id, link_id, provider, provider_session_id, amount_cents, currency, invoice_ids,
	status, created_at, submitted_at`

func scanCheckout(row pgx.Row) (Checkout, error) {
	var c Checkout
	err := row.Scan(&c.ID, &c.DebtorID, &c.LinkID, &c.Provider, &c.ProviderSessionID, &c.AmountCents, &c.Currency,
		&c.InvoiceIDs, &c.Status, &c.CreatedAt, &c.SubmittedAt)
	return c, err
}

// GetCheckout loads a checkout; ErrNotFound when there is none.
func GetCheckout(ctx context.Context, q Querier, id string) (Checkout, error) {
	c, err := scanCheckout(q.QueryRow(ctx, `SELECT `+checkoutColumns+` FROM portal_checkouts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Checkout{}, fmt.Errorf("checkout %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Checkout{}, fmt.Errorf("load checkout %s: %w", id, err)
	}
	return c, nil
}

// SubmitCheckout marks a checkout paid by the debtor (not yet confirmed):
// false when it was submitted already.
func SubmitCheckout(ctx context.Context, q Querier, id string, at time.Time) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE portal_checkouts SET status = 'submitted', submitted_at = $2
		WHERE id = $1 AND status = 'started'`, id, at.UTC())
	if err != nil {
		return false, fmt.Errorf("submit checkout %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// TransferReference returns the invoice's ISO 11649 reference, creating
// it on first use. Its body is random digits, so it says nothing of the
// invoice to whoever reads a bank statement.
func TransferReference(ctx context.Context, q Querier, invoiceID string) (string, error) {
	var ref string
	err := q.QueryRow(ctx, `SELECT reference FROM transfer_references WHERE invoice_id = $1`, invoiceID).Scan(&ref)
	if err == nil {
		return ref, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("transfer reference of %s: %w", invoiceID, err)
	}
	for range 5 {
		n, err := rand.Int(rand.Reader, big.NewInt(1e15))
		if err != nil {
			return "", fmt.Errorf("transfer reference: %w", err)
		}
		ref, err = rfref.Make(fmt.Sprintf("%015d", n))
		if err != nil {
			return "", err
		}
		err = q.QueryRow(ctx, `INSERT INTO transfer_references (reference, invoice_id) VALUES ($1, $2)
			ON CONFLICT (invoice_id) DO UPDATE SET invoice_id = EXCLUDED.invoice_id RETURNING reference`, ref, invoiceID).Scan(&ref)
		if err == nil {
			return ref, nil
		}
		if !IsUniqueViolation(err) {
			return "", fmt.Errorf("transfer reference of %s: %w", invoiceID, err)
		}
	}
	return "", fmt.Errorf("transfer reference of %s: no free reference after 5 tries", invoiceID)
}

// InvoiceOfTransferReference returns the invoice a reference was given
// for; ErrNotFound for an unknown one.
func InvoiceOfTransferReference(ctx context.Context, q Querier, ref string) (Invoice, error) {
	return oneInvoice(q.QueryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices
		WHERE id = (SELECT invoice_id FROM transfer_references WHERE reference = $1)`, ref), "reference "+ref)
}

// InvoiceNumbers returns the numbers of the given invoices, oldest due first.
func InvoiceNumbers(ctx context.Context, q Querier, ids []string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT number FROM invoices WHERE id = ANY($1) ORDER BY due_date, number`, ids)
	if err != nil {
		return nil, fmt.Errorf("invoice numbers: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("invoice numbers: %w", err)
	}
	return out, nil
}

// OpenInvoiceIDs returns the IDs of a debtor's open invoices with a
// balance in currency, and the sum of those balances.
func OpenInvoiceIDs(ctx context.Context, q Querier, debtorID, currency string) ([]string, int64, error) {
	rows, err := q.Query(ctx, `SELECT id, balance_cents FROM invoices
		WHERE debtor_id = $1 AND currency = $2 AND status = 'open' AND balance_cents > 0 ORDER BY due_date, number`, debtorID, currency)
	if err != nil {
		return nil, 0, fmt.Errorf("open invoices of %s: %w", debtorID, err)
	}
	var ids []string
	var sum int64
	var id string
	var cents int64
	_, err = pgx.ForEachRow(rows, []any{&id, &cents}, func() error { ids = append(ids, id); sum += cents; return nil })
	if err != nil {
		return nil, 0, fmt.Errorf("open invoices of %s: %w", debtorID, err)
	}
	return ids, sum, nil
}

// PortalHome is what the portal's home page shows of a debtor.
type PortalHome struct {
	Totals   []PortalTotal
	Invoices []Invoice
	Letters  map[string][]LetterSent
	Disputed map[string]int64
	Awaiting []Checkout
	SMSOff   bool
}

// openPage is the page of open invoices the home page shows ($1 debtor,
// $2 limit, $3 offset).
const openPage = `SELECT id FROM invoices WHERE debtor_id = $1 AND status = 'open' AND balance_cents > 0
	ORDER BY due_date, number LIMIT $2 OFFSET $3`

// LoadPortalHome reads the home page of a debtor in one round trip: the
// totals, a page of open invoices oldest due first, the letters and
// disputes of that page, the card payments awaiting confirmation (since
// awaitingSince) and the SMS consent.
func LoadPortalHome(ctx context.Context, q Pipeliner, debtorID string, today, awaitingSince time.Time, limit, offset int) (PortalHome, error) {
	h := PortalHome{Letters: map[string][]LetterSent{}, Disputed: map[string]int64{}}
	day := today.Format("2006-01-02")
	b := &pgx.Batch{}
	b.Queue(`SELECT currency, count(*), sum(balance_cents)::bigint,
		coalesce(sum(balance_cents) FILTER (WHERE due_date < $2), 0)::bigint
		FROM invoices WHERE debtor_id = $1 AND status = 'open' AND balance_cents > 0
		GROUP BY currency ORDER BY currency`, debtorID, day).Query(func(rows pgx.Rows) error {
		var err error
		h.Totals, err = pgx.CollectRows(rows, pgx.RowToStructByPos[PortalTotal])
		return err
	})
	b.Queue(`SELECT `+invoiceColumns+` FROM invoices WHERE id IN (`+openPage+`) ORDER BY due_date, number`,
		debtorID, limit, offset).Query(func(rows pgx.Rows) error {
		var err error
		h.Invoices, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Invoice, error) { return scanInvoice(r) })
		return err
	})
	b.Queue(`SELECT invoice_id, channel = 'registered_letter', template, sent_at FROM interactions
		WHERE invoice_id IN (`+openPage+`) AND channel IN ('letter', 'registered_letter') AND sent_at IS NOT NULL
		ORDER BY sent_at, id`, debtorID, limit, offset).Query(func(rows pgx.Rows) error {
		var l LetterSent
		_, err := pgx.ForEachRow(rows, []any{&l.InvoiceID, &l.Registered, &l.Template, &l.SentAt}, func() error {
			h.Letters[l.InvoiceID] = append(h.Letters[l.InvoiceID], l)
			return nil
		})
		return err
	})
	b.Queue(`SELECT invoice_id, sum(amount_cents)::bigint FROM disputes
		WHERE invoice_id IN (`+openPage+`) AND status = 'open' GROUP BY invoice_id`,
		debtorID, limit, offset).Query(func(rows pgx.Rows) error {
		var id string
		var cents int64
		_, err := pgx.ForEachRow(rows, []any{&id, &cents}, func() error { h.Disputed[id] = cents; return nil })
		return err
	})
	b.Queue(`SELECT `+checkoutColumns+` FROM portal_checkouts c
		WHERE c.debtor_id = $1 AND c.status = 'submitted' AND c.submitted_at >= $2
		AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.debtor_id = c.debtor_id AND p.received_at >= c.created_at
			AND p.amount_cents = c.amount_cents AND p.provider = 'stripe')
		ORDER BY c.submitted_at DESC LIMIT 5`, debtorID, awaitingSince.UTC()).Query(func(rows pgx.Rows) error {
		var err error
		h.Awaiting, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Checkout, error) { return scanCheckout(r) })
		return err
	})
	b.Queue(`SELECT EXISTS (SELECT 1 FROM channel_consents WHERE debtor_id = $1 AND channel = 'sms' AND NOT opted_in)`,
		debtorID).QueryRow(func(row pgx.Row) error { return row.Scan(&h.SMSOff) })
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return PortalHome{}, fmt.Errorf("portal home of %s: %w", debtorID, err)
	}
	return h, nil
}
