package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Document is the record of a stored document: what its bytes were
// (SHA-256, size, type), where they are (Key in the documents bucket) and
// whose they are. The bytes are written once; see internal/documents.
type Document struct {
	ID          string     `json:"id"`
	Key         string     `json:"key"`
	Kind        string     `json:"kind"`
	ContentType string     `json:"content_type"`
	Filename    string     `json:"filename"`
	SizeBytes   int64      `json:"size_bytes"`
	SHA256      string     `json:"sha256"` // lowercase hex
	DebtorID    string     `json:"debtor_id,omitempty"`
	InvoiceID   string     `json:"invoice_id,omitempty"`
	LegalHold   bool       `json:"legal_hold"`
	CreatedAt   time.Time  `json:"created_at"`
	StoredAt    *time.Time `json:"stored_at,omitempty"`
	RemovedAt   *time.Time `json:"removed_at,omitempty"`
}

// Kinds of documents.
const (
	DocLetter     = "letter"      // letters and formal notices, as posted
	DocStatement  = "statement"   // statements of account sent by e-mail
	DocAgencyPack = "agency_pack" // the agency pack's PDF
	DocAgencyData = "agency_data" // the agency pack's JSON, as delivered
	DocExport     = "export"      // a GDPR export archive
)

const documentColumns = `id, key, kind, content_type, filename, size_bytes, sha256, coalesce(debtor_id, ''),
	coalesce(invoice_id, ''), legal_hold, created_at, stored_at, removed_at`

func scanDocument(row pgx.Row) (Document, error) {
	var d Document
	err := row.Scan(&d.ID, &d.Key, &d.Kind, &d.ContentType, &d.Filename, &d.SizeBytes, &d.SHA256, &d.DebtorID,
		&d.InvoiceID, &d.LegalHold, &d.CreatedAt, &d.StoredAt, &d.RemovedAt)
	return d, err
}

// ClaimDocument records d before its bytes are stored. When its key is
// taken, the existing row is returned with created=false and nothing is
// written: the caller compares the digests.
func ClaimDocument(ctx context.Context, q Querier, d Document) (out Document, created bool, err error) {
	out, err = scanDocument(q.QueryRow(ctx, `
		INSERT INTO documents (id, key, kind, content_type, filename, size_bytes, sha256, debtor_id, invoice_id, legal_hold)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), NULLIF($9, ''), $10)
		ON CONFLICT (key) DO NOTHING
		RETURNING `+documentColumns,
		d.ID, d.Key, d.Kind, d.ContentType, d.Filename, d.SizeBytes, d.SHA256, d.DebtorID, d.InvoiceID, d.LegalHold))
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Document{}, false, fmt.Errorf("record document %s: %w", d.Key, err)
	}
	out, err = DocumentByKey(ctx, q, d.Key)
	return out, false, err
}

// MarkDocumentStored records that the bytes are in the bucket.
func MarkDocumentStored(ctx context.Context, q Querier, id string, at time.Time) error {
	_, err := q.Exec(ctx, `UPDATE documents SET stored_at = $2 WHERE id = $1 AND stored_at IS NULL`, id, at)
	if err != nil {
		return fmt.Errorf("mark document %s stored: %w", id, err)
	}
	return nil
}

// DropUnstoredDocument deletes a claim whose bytes never reached the
// bucket, so the key can be claimed again; a stored document is never
// deleted.
func DropUnstoredDocument(ctx context.Context, q Querier, id string) error {
	_, err := q.Exec(ctx, `DELETE FROM documents WHERE id = $1 AND stored_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("drop unstored document %s: %w", id, err)
	}
	return nil
}

// MarkDocumentRemoved records that the bytes were erased from the bucket.
func MarkDocumentRemoved(ctx context.Context, q Querier, id string, at time.Time) error {
	_, err := q.Exec(ctx, `UPDATE documents SET removed_at = $2, filename = '' WHERE id = $1 AND removed_at IS NULL`, id, at)
	if err != nil {
		return fmt.Errorf("mark document %s removed: %w", id, err)
	}
	return nil
}

// SetDocumentLegalHold puts a document under legal hold or lifts it.
func SetDocumentLegalHold(ctx context.Context, q Querier, id string, hold bool) error {
	tag, err := q.Exec(ctx, `UPDATE documents SET legal_hold = $2 WHERE id = $1`, id, hold)
	if err != nil {
		return fmt.Errorf("legal hold of document %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	return nil
}

// GetDocument loads a document's record.
func GetDocument(ctx context.Context, q Querier, id string) (Document, error) {
	d, err := scanDocument(q.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Document{}, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("load document %s: %w", id, err)
	}
	return d, nil
}

// DocumentByKey loads the record of the document stored under key.
func DocumentByKey(ctx context.Context, q Querier, key string) (Document, error) {
	d, err := scanDocument(q.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return Document{}, fmt.Errorf("document %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("load document %s: %w", key, err)
	}
	return d, nil
}

// DocumentsOfInvoice lists an invoice's documents, oldest first.
func DocumentsOfInvoice(ctx context.Context, q Querier, invoiceID string) ([]Document, error) {
	return listDocuments(ctx, q, `SELECT `+documentColumns+` FROM documents WHERE invoice_id = $1 ORDER BY created_at, id`, invoiceID)
}

// DocumentsOfDebtor lists every document of a debtor (its invoices' and
// its own), oldest first.
func DocumentsOfDebtor(ctx context.Context, q Querier, debtorID string) ([]Document, error) {
	return listDocuments(ctx, q, `SELECT `+documentColumns+` FROM documents
		WHERE debtor_id = $1 OR invoice_id IN (SELECT id FROM invoices WHERE debtor_id = $1)
		ORDER BY created_at, id`, debtorID)
}

func listDocuments(ctx context.Context, q Querier, sql string, arg string) ([]Document, error) {
	rows, err := q.Query(ctx, sql, arg)
	if err != nil {
		return nil, fmt.Errorf("list documents of %s: %w", arg, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Document, error) { return scanDocument(r) })
	if err != nil {
		return nil, fmt.Errorf("list documents of %s: %w", arg, err)
	}
	return out, nil
}
