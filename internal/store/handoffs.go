package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Handoff is a claim handed to a collection agency, with the data pack sent.
type Handoff struct {
	ID             string     `json:"id"`
	IdempotencyKey string     `json:"idempotency_key"`
	InvoiceID      string     `json:"invoice_id"`
	Agency         string     `json:"agency"`
	Reference      string     `json:"reference"`
	Status         string     `json:"status"`
	Pack           []byte     `json:"pack"` // JSON
	FilePath       string     `json:"file_path"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
}

const handoffColumns = `id, idempotency_key, invoice_id, agency, reference, status, pack, file_path, created_at, sent_at`

func scanHandoff(row pgx.Row) (Handoff, error) {
	var h Handoff
	err := row.Scan(&h.ID, &h.IdempotencyKey, &h.InvoiceID, &h.Agency, &h.Reference, &h.Status, &h.Pack,
		&h.FilePath, &h.CreatedAt, &h.SentAt)
	return h, err
}

// ClaimHandoff inserts h (status pending) unless a handoff with its
// idempotency key exists, which is then returned with created=false.
func ClaimHandoff(ctx context.Context, q Querier, h Handoff) (out Handoff, created bool, err error) {
	pack := h.Pack
	if len(pack) == 0 {
		pack = []byte("{}")
	}
	out, err = scanHandoff(q.QueryRow(ctx, `
		INSERT INTO agency_handoffs (id, idempotency_key, invoice_id, agency, pack)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+handoffColumns, h.ID, h.IdempotencyKey, h.InvoiceID, h.Agency, pack))
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Handoff{}, false, fmt.Errorf("record handoff %s: %w", h.IdempotencyKey, err)
	}
	out, err = scanHandoff(q.QueryRow(ctx, `SELECT `+handoffColumns+` FROM agency_handoffs WHERE idempotency_key = $1`,
		h.IdempotencyKey))
	if err != nil {
		return Handoff{}, false, fmt.Errorf("load handoff %s: %w", h.IdempotencyKey, err)
	}
	return out, false, nil
}

// MarkHandoffSent records that the agency received the pack.
func MarkHandoffSent(ctx context.Context, q Querier, id, reference, filePath string, at time.Time) error {
	_, err := q.Exec(ctx, `UPDATE agency_handoffs SET status = 'sent', reference = $2, file_path = $3, sent_at = $4
		WHERE id = $1`, id, reference, filePath, at)
	if err != nil {
		return fmt.Errorf("mark handoff %s sent: %w", id, err)
	}
	return nil
}

// SetHandoffDocument links the stored PDF of a handoff's pack.
func SetHandoffDocument(ctx context.Context, q Querier, id, documentID string) error {
	_, err := q.Exec(ctx, `UPDATE agency_handoffs SET document_id = $2 WHERE id = $1`, id, documentID)
	if err != nil {
		return fmt.Errorf("link handoff %s to document %s: %w", id, documentID, err)
	}
	return nil
}

// PaymentLine is a payment allocated to an invoice, for statements and packs.
type PaymentLine struct {
	PaymentID   string    `json:"payment_id"`
	Provider    string    `json:"provider"`
	Method      string    `json:"method"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	ReceivedAt  time.Time `json:"received_at"`
}

// PaymentsOfInvoice lists what was paid against an invoice, oldest first.
func PaymentsOfInvoice(ctx context.Context, q Querier, invoiceID string) ([]PaymentLine, error) {
	rows, err := q.Query(ctx, `SELECT p.id, p.provider, p.method, a.amount_cents, p.currency, p.received_at
		FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
		WHERE a.invoice_id = $1 ORDER BY p.received_at, p.id`, invoiceID)
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", invoiceID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PaymentLine, error) {
		var p PaymentLine
		err := r.Scan(&p.PaymentID, &p.Provider, &p.Method, &p.AmountCents, &p.Currency, &p.ReceivedAt)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", invoiceID, err)
	}
	return out, nil
}

// MarkHandoffFailed records that the agency refused the pack for good.
func MarkHandoffFailed(ctx context.Context, q Querier, id string) error {
	_, err := q.Exec(ctx, `UPDATE agency_handoffs SET status = 'failed' WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("mark handoff %s failed: %w", id, err)
	}
	return nil
}

// GetHandoff loads one handoff; ErrNotFound when there is none.
func GetHandoff(ctx context.Context, q Querier, id string) (Handoff, error) {
	h, err := scanHandoff(q.QueryRow(ctx, `SELECT `+handoffColumns+` FROM agency_handoffs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Handoff{}, fmt.Errorf("handoff %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Handoff{}, fmt.Errorf("load handoff %s: %w", id, err)
	}
	return h, nil
}

// SetHandoffStatus records what the agency reports (accepted, closed).
func SetHandoffStatus(ctx context.Context, q Querier, id, status string) error {
	_, err := q.Exec(ctx, `UPDATE agency_handoffs SET status = $2 WHERE id = $1`, id, status)
	if err != nil {
		return fmt.Errorf("set handoff %s %s: %w", id, status, err)
	}
	return nil
}

// GetHandoffByKey loads the handoff recorded under an idempotency key;
// ErrNotFound when there is none.
func GetHandoffByKey(ctx context.Context, q Querier, key string) (Handoff, error) {
	h, err := scanHandoff(q.QueryRow(ctx, `SELECT `+handoffColumns+` FROM agency_handoffs WHERE idempotency_key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return Handoff{}, fmt.Errorf("handoff with key %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Handoff{}, fmt.Errorf("load handoff with key %s: %w", key, err)
	}
	return h, nil
}
