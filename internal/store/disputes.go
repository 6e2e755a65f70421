package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Dispute statuses.
const (
	DisputeOpen              = "open"
	DisputeResolvedForDebtor = "resolved_for_debtor"
	DisputeResolvedAgainst   = "resolved_against"
)

// Attachment is a reference to a document kept elsewhere (a DMS ID, a URL):
// Relance stores the reference, never the file.
type Attachment struct {
	Name string `json:"name"`
	Ref  string `json:"ref"`
}

// Dispute (litige) on an invoice, for its whole balance or an amount.
type Dispute struct {
	ID          string       `json:"id"`
	InvoiceID   string       `json:"invoice_id"`
	AmountCents int64        `json:"amount_cents"`
	Reason      string       `json:"reason"`
	Status      string       `json:"status"`
	CreditCents int64        `json:"credit_cents"`
	Attachments []Attachment `json:"attachments"`
	OpenedBy    string       `json:"opened_by"`
	OpenedAt    time.Time    `json:"opened_at"`
	ResolvedAt  *time.Time   `json:"resolved_at,omitempty"`
}

// DisputeComment is one message in a dispute's thread.
type DisputeComment struct {
	ID        int64     `json:"id"`
	DisputeID string    `json:"dispute_id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

const disputeColumns = `id, invoice_id, amount_cents, reason, status, credit_cents, attachments, opened_by, opened_at, resolved_at`

func scanDispute(row pgx.Row) (Dispute, error) {
	var d Dispute
	err := row.Scan(&d.ID, &d.InvoiceID, &d.AmountCents, &d.Reason, &d.Status, &d.CreditCents, &d.Attachments,
		&d.OpenedBy, &d.OpenedAt, &d.ResolvedAt)
	if d.Attachments == nil {
		d.Attachments = []Attachment{}
	}
	return d, err
}

func oneDispute(row pgx.Row, id string) (Dispute, error) {
	d, err := scanDispute(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return Dispute{}, fmt.Errorf("dispute %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Dispute{}, fmt.Errorf("load dispute %s: %w", id, err)
	}
	return d, nil
}

// InsertDispute stores an open dispute. When one with the same ID exists
// it is returned with created=false and nothing is written.
func InsertDispute(ctx context.Context, q Querier, d Dispute) (out Dispute, created bool, err error) {
	attachments, err := json.Marshal(d.Attachments)
	if err != nil {
		return Dispute{}, false, fmt.Errorf("encode attachments of dispute %s: %w", d.ID, err)
	}
	if d.Attachments == nil {
		attachments = []byte("[]")
	}
	out, err = scanDispute(q.QueryRow(ctx, `
		INSERT INTO disputes (id, invoice_id, amount_cents, reason, attachments, opened_by) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO NOTHING
		RETURNING `+disputeColumns, d.ID, d.InvoiceID, d.AmountCents, d.Reason, attachments, d.OpenedBy))
	if errors.Is(err, pgx.ErrNoRows) {
		existing, err := GetDispute(ctx, q, d.ID)
		return existing, false, err
	}
	if err != nil {
		return Dispute{}, false, fmt.Errorf("insert dispute %s: %w", d.ID, err)
	}
	return out, true, nil
}

// GetDispute loads a dispute; ErrNotFound when there is none.
func GetDispute(ctx context.Context, q Querier, id string) (Dispute, error) {
	return oneDispute(q.QueryRow(ctx, `SELECT `+disputeColumns+` FROM disputes WHERE id = $1`, id), id)
}

// GetDisputeForUpdate loads a dispute and locks it until the transaction ends.
func GetDisputeForUpdate(ctx context.Context, tx pgx.Tx, id string) (Dispute, error) {
	return oneDispute(tx.QueryRow(ctx, `SELECT `+disputeColumns+` FROM disputes WHERE id = $1 FOR UPDATE`, id), id)
}

// OpenDisputedCents is the amount under open disputes on an invoice.
func OpenDisputedCents(ctx context.Context, q Querier, invoiceID string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT coalesce(sum(amount_cents), 0)::bigint FROM disputes WHERE invoice_id = $1 AND status = 'open'`, invoiceID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("disputed amount of %s: %w", invoiceID, err)
	}
	return n, nil
}

// ResolveDispute closes an open dispute with status and the credit granted.
func ResolveDispute(ctx context.Context, q Querier, id, status string, creditCents int64) (Dispute, error) {
	d, err := scanDispute(q.QueryRow(ctx, `UPDATE disputes SET status = $2, credit_cents = $3, resolved_at = now()
		WHERE id = $1 AND status = 'open'
		RETURNING `+disputeColumns, id, status, creditCents))
	if errors.Is(err, pgx.ErrNoRows) {
		return Dispute{}, fmt.Errorf("open dispute %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Dispute{}, fmt.Errorf("resolve dispute %s: %w", id, err)
	}
	return d, nil
}

// InsertDisputeComment adds a comment to a dispute's thread.
func InsertDisputeComment(ctx context.Context, q Querier, c DisputeComment) (DisputeComment, error) {
	err := q.QueryRow(ctx, `INSERT INTO dispute_comments (dispute_id, author, body) VALUES ($1, $2, $3)
		RETURNING id, dispute_id, author, body, created_at`, c.DisputeID, c.Author, c.Body).
		Scan(&c.ID, &c.DisputeID, &c.Author, &c.Body, &c.CreatedAt)
	if err != nil {
		return DisputeComment{}, fmt.Errorf("comment on dispute %s: %w", c.DisputeID, err)
	}
	return c, nil
}

// ListDisputeComments returns a dispute's thread, oldest first.
func ListDisputeComments(ctx context.Context, q Querier, disputeID string) ([]DisputeComment, error) {
	rows, err := q.Query(ctx, `SELECT id, dispute_id, author, body, created_at FROM dispute_comments
		WHERE dispute_id = $1 ORDER BY created_at, id`, disputeID)
	if err != nil {
		return nil, fmt.Errorf("comments of dispute %s: %w", disputeID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DisputeComment])
	if err != nil {
		return nil, fmt.Errorf("comments of dispute %s: %w", disputeID, err)
	}
	return out, nil
}

// DisputeEvent is an entry a dispute change puts on the case timeline.
type DisputeEvent struct {
	Key       string // unique: a retried write adds nothing
	InvoiceID string
	DebtorID  string
	Kind      string
	Message   string
	Data      map[string]any
	At        time.Time
}

// AddDisputeEvent writes e on the case timeline (case_events).
func AddDisputeEvent(ctx context.Context, q Querier, e DisputeEvent) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("encode timeline event %s: %w", e.Key, err)
	}
	if e.Data == nil {
		data = []byte("{}")
	}
	if _, err := q.Exec(ctx, `INSERT INTO case_events (event_key, invoice_id, debtor_id, kind, message, data, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_key) DO NOTHING`,
		e.Key, e.InvoiceID, e.DebtorID, e.Kind, e.Message, data, e.At); err != nil {
		return fmt.Errorf("add timeline event %s: %w", e.Key, err)
	}
	return nil
}
