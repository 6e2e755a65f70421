package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Interaction is one message sent (or call made) to a debtor, with its
// delivery status. Its IdempotencyKey is written before the provider is
// called, so a retried send finds it instead of sending again.
type Interaction struct {
	ID                string `json:"id"`
	IdempotencyKey    string `json:"idempotency_key"`
	InvoiceID         string `json:"invoice_id"`
	DebtorID          string `json:"debtor_id"`
	Channel           string `json:"channel"`
	Direction         string `json:"direction"`
	Rung              string `json:"rung"`
	Template          string `json:"template"`
	Language          string `json:"language"`
	Provider          string `json:"provider"`
	ProviderMessageID string `json:"provider_message_id"`
	Status            string `json:"status"`
	AmountCents       int64  `json:"amount_cents"`
	Currency          string `json:"currency"`
	Subject           string `json:"subject"`
	BodyText          string `json:"body_text"`
	BodyHTML          string `json:"body_html"`
	FilePath          string `json:"file_path"`
	// DocumentID is the stored document the message carried (a letter, a
	// statement); "" for none.
	DocumentID     string     `json:"document_id,omitempty"`
	TrackingNumber string     `json:"tracking_number"`
	DepositProof   string     `json:"deposit_proof"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	Error          string     `json:"error"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Interaction statuses written by the channels and the delivery feedback.
const (
	InteractionPending       = "pending"
	InteractionSent          = "sent"
	InteractionDelivered     = "delivered"
	InteractionOpened        = "opened"
	InteractionClicked       = "clicked"
	InteractionBounced       = "bounced"
	InteractionUndeliverable = "undeliverable"
	InteractionFailed        = "failed"
	InteractionDeposited     = "deposited"
	InteractionAcknowledged  = "acknowledged"
	InteractionOptedOut      = "opted_out"
	InteractionSkipped       = "skipped"
)

const interactionColumns = `id, idempotency_key, invoice_id, debtor_id, channel, direction, rung, template, language,
	provider, provider_message_id, status, amount_cents, currency, subject, body_text, body_html, file_path,
	tracking_number, deposit_proof, acknowledged_at, error, created_at, sent_at, updated_at, coalesce(document_id, '')`

func scanInteraction(row pgx.Row) (Interaction, error) {
	var i Interaction
	err := row.Scan(&i.ID, &i.IdempotencyKey, &i.InvoiceID, &i.DebtorID, &i.Channel, &i.Direction, &i.Rung,
		&i.Template, &i.Language, &i.Provider, &i.ProviderMessageID, &i.Status, &i.AmountCents, &i.Currency,
		&i.Subject, &i.BodyText, &i.BodyHTML, &i.FilePath, &i.TrackingNumber, &i.DepositProof, &i.AcknowledgedAt,
		&i.Error, &i.CreatedAt, &i.SentAt, &i.UpdatedAt, &i.DocumentID)
	return i, err
}

// ClaimInteraction inserts i as the record of a send about to happen. When
// a row with the same idempotency key exists it is returned instead with
// created=false, and nothing is written: the caller decides from its status
// whether the provider may be called.
func ClaimInteraction(ctx context.Context, q Querier, i Interaction) (out Interaction, created bool, err error) {
	if i.Direction == "" {
		i.Direction = "outbound"
	}
	if i.Status == "" {
		i.Status = InteractionPending
	}
	row := q.QueryRow(ctx, `
		INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, direction, rung, template,
			language, provider, status, amount_cents, currency, subject, body_text, body_html, file_path, error, document_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, NULLIF($19, ''))
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+interactionColumns,
		i.ID, i.IdempotencyKey, i.InvoiceID, i.DebtorID, i.Channel, i.Direction, i.Rung, i.Template, i.Language,
		i.Provider, i.Status, i.AmountCents, i.Currency, i.Subject, i.BodyText, i.BodyHTML, i.FilePath, i.Error, i.DocumentID)
	out, err = scanInteraction(row)
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Interaction{}, false, fmt.Errorf("record interaction %s: %w", i.IdempotencyKey, err)
	}
	out, err = GetInteractionByKey(ctx, q, i.IdempotencyKey)
	return out, false, err
}

// GetInteraction loads one interaction; ErrNotFound when there is none.
func GetInteraction(ctx context.Context, q Querier, id string) (Interaction, error) {
	return getInteraction(ctx, q, `SELECT `+interactionColumns+` FROM interactions WHERE id = $1`, id)
}

// GetInteractionForUpdate loads an interaction and locks it until the transaction ends.
func GetInteractionForUpdate(ctx context.Context, tx pgx.Tx, id string) (Interaction, error) {
	return getInteraction(ctx, tx, `SELECT `+interactionColumns+` FROM interactions WHERE id = $1 FOR UPDATE`, id)
}

// GetInteractionByKey loads the interaction recorded under an idempotency key.
func GetInteractionByKey(ctx context.Context, q Querier, key string) (Interaction, error) {
	return getInteraction(ctx, q, `SELECT `+interactionColumns+` FROM interactions WHERE idempotency_key = $1`, key)
}

// FindInteractionByProviderMessage finds the interaction a provider's
// message ID belongs to (Twilio MessageSid, postal tracking number).
func FindInteractionByProviderMessage(ctx context.Context, q Querier, provider, messageID string) (Interaction, error) {
	return getInteraction(ctx, q, `SELECT `+interactionColumns+` FROM interactions
		WHERE provider = $1 AND (provider_message_id = $2 OR tracking_number = $2) ORDER BY created_at LIMIT 1`,
		provider, messageID)
}

func getInteraction(ctx context.Context, q Querier, sql string, args ...any) (Interaction, error) {
	i, err := scanInteraction(q.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return Interaction{}, fmt.Errorf("interaction %v: %w", args, ErrNotFound)
	}
	if err != nil {
		return Interaction{}, fmt.Errorf("load interaction %v: %w", args, err)
	}
	return i, nil
}

// SentInteraction is what a provider told us when it accepted a message.
type SentInteraction struct {
	Provider          string
	ProviderMessageID string
	FilePath          string
	TrackingNumber    string
	SentAt            time.Time
	// Note is kept in the error column (e.g. "in_doubt"); "" clears it.
	Note string
}

// MarkInteractionSent records the provider's acceptance.
func MarkInteractionSent(ctx context.Context, q Querier, id string, s SentInteraction) error {
	_, err := q.Exec(ctx, `
		UPDATE interactions SET status = 'sent', provider = $2, provider_message_id = $3,
			file_path = CASE WHEN $4 = '' THEN file_path ELSE $4 END, tracking_number = $5, sent_at = $6,
			error = $7, updated_at = now()
		WHERE id = $1`,
		id, s.Provider, s.ProviderMessageID, s.FilePath, s.TrackingNumber, s.SentAt, s.Note)
	if err != nil {
		return fmt.Errorf("mark interaction %s sent: %w", id, err)
	}
	return nil
}

// MarkInteractionFailed records why a message was not sent. Status
// 'failed' (sent_at unset) means the provider certainly did not accept it
// (429, 5xx, connection refused), so the next attempt may send; 'skipped',
// 'bounced' or 'opted_out' are final.
func MarkInteractionFailed(ctx context.Context, q Querier, id, status, reason string) error {
	_, err := q.Exec(ctx, `UPDATE interactions SET status = $2, error = $3, updated_at = now() WHERE id = $1`,
		id, status, reason)
	if err != nil {
		return fmt.Errorf("mark interaction %s %s: %w", id, status, err)
	}
	return nil
}

// RetryInteraction sets a failed, unsent interaction back to pending for
// another provider call; false when someone else changed it meanwhile.
func RetryInteraction(ctx context.Context, q Querier, id string) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE interactions SET status = 'pending', updated_at = now()
		WHERE id = $1 AND status = 'failed' AND sent_at IS NULL`, id)
	if err != nil {
		return false, fmt.Errorf("retry interaction %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// interactionRank orders the statuses of a message's life so that late,
// out-of-order events never move it backwards (delivered after opened).
// Failures rank above every success.
var interactionRank = map[string]int{
	InteractionPending: 0, InteractionSkipped: 0, InteractionSent: 1, InteractionDeposited: 2,
	InteractionDelivered: 3, InteractionOpened: 4, InteractionClicked: 5, InteractionAcknowledged: 6,
	InteractionFailed: 7, InteractionUndeliverable: 8, InteractionBounced: 8, InteractionOptedOut: 9,
}

// NextInteractionStatus is the status after an event reporting next.
func NextInteractionStatus(current, next string) string {
	if interactionRank[next] > interactionRank[current] {
		return next
	}
	return current
}

// DeliveryUpdate is what a delivery event changes on an interaction.
type DeliveryUpdate struct {
	Status         string
	DepositProof   string
	AcknowledgedAt *time.Time
	Error          string
}

// ApplyDelivery moves the interaction's status forward (never backwards)
// and records proofs; it returns the status now stored. Run it in the
// transaction that records the webhook event.
func ApplyDelivery(ctx context.Context, tx pgx.Tx, id string, u DeliveryUpdate) (string, error) {
	cur, err := GetInteractionForUpdate(ctx, tx, id)
	if err != nil {
		return "", err
	}
	status := NextInteractionStatus(cur.Status, u.Status)
	_, err = tx.Exec(ctx, `
		UPDATE interactions SET status = $2,
			deposit_proof = CASE WHEN $3 = '' THEN deposit_proof ELSE $3 END,
			acknowledged_at = coalesce(acknowledged_at, $4),
			error = CASE WHEN $5 = '' THEN error ELSE $5 END,
			updated_at = now()
		WHERE id = $1`, id, status, u.DepositProof, u.AcknowledgedAt, u.Error)
	if err != nil {
		return "", fmt.Errorf("update interaction %s: %w", id, err)
	}
	return status, nil
}

// InteractionEvent is one provider event about an interaction, kept as received.
type InteractionEvent struct {
	InteractionID string
	Provider      string
	Event         string
	OccurredAt    time.Time
	Payload       []byte // JSON
}

// AddInteractionEvent appends a provider event to the interaction's history.
func AddInteractionEvent(ctx context.Context, q Querier, e InteractionEvent) error {
	payload := e.Payload
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	_, err := q.Exec(ctx, `INSERT INTO interaction_events (interaction_id, provider, event, occurred_at, payload)
		VALUES ($1, $2, $3, $4, $5)`, e.InteractionID, e.Provider, e.Event, e.OccurredAt, payload)
	if err != nil {
		return fmt.Errorf("add %s event to interaction %s: %w", e.Event, e.InteractionID, err)
	}
	return nil
}

// RecordWebhookEvent writes the (provider, event id) dedupe key; false when
// it was already there, meaning the event was processed before. Run it in
// the transaction of the event's side effects.
func RecordWebhookEvent(ctx context.Context, q Querier, provider, eventID, kind string, payload []byte) (bool, error) {
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	tag, err := q.Exec(ctx, `INSERT INTO webhook_events (provider, event_id, kind, payload) VALUES ($1, $2, $3, $4)
		ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, kind, payload)
	if err != nil {
		return false, fmt.Errorf("record %s event %s: %w", provider, eventID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetEmailStatus marks the debtor's e-mail address ok or bounced.
func SetEmailStatus(ctx context.Context, q Querier, debtorID, status string) error {
	_, err := q.Exec(ctx, `UPDATE debtors SET email_status = $2, updated_at = now() WHERE id = $1`, debtorID, status)
	if err != nil {
		return fmt.Errorf("set e-mail status of %s: %w", debtorID, err)
	}
	return nil
}

// SetPhoneStatus marks the debtor's phone number ok or unusable.
func SetPhoneStatus(ctx context.Context, q Querier, debtorID, status string) error {
	_, err := q.Exec(ctx, `UPDATE debtors SET phone_status = $2, updated_at = now() WHERE id = $1`, debtorID, status)
	if err != nil {
		return fmt.Errorf("set phone status of %s: %w", debtorID, err)
	}
	return nil
}

// InteractionsOfInvoice lists an invoice's interactions, oldest first.
func InteractionsOfInvoice(ctx context.Context, q Querier, invoiceID string) ([]Interaction, error) {
	return interactionsWhere(ctx, q, "invoice_id", invoiceID)
}

// InteractionsOfDebtor returns every message and call of a debtor, oldest first.
func InteractionsOfDebtor(ctx context.Context, q Querier, debtorID string) ([]Interaction, error) {
	return interactionsWhere(ctx, q, "debtor_id", debtorID)
}

// interactionsWhere lists the interactions whose column (a constant of
// this package, never input) equals value, oldest first.
func interactionsWhere(ctx context.Context, q Querier, column, value string) ([]Interaction, error) {
	rows, err := q.Query(ctx, `SELECT `+interactionColumns+` FROM interactions WHERE `+column+` = $1
		ORDER BY created_at, id`, value)
	if err != nil {
		return nil, fmt.Errorf("interactions of %s: %w", value, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Interaction, error) { return scanInteraction(r) })
	if err != nil {
		return nil, fmt.Errorf("interactions of %s: %w", value, err)
	}
	return out, nil
}

// InvoiceDoc is an invoice as printed on letters and agency packs.
type InvoiceDoc struct {
	ID           string
	DebtorID     string
	Number       string
	IssueDate    time.Time
	DueDate      time.Time
	Currency     string
	AmountCents  int64
	BalanceCents int64
	Status       string
	Description  string
	PaymentLink  string
	Lines        []InvoiceDocLine
}

// InvoiceDocLine is one line of an invoice.
type InvoiceDocLine struct {
	Position       int
	Description    string
	Quantity       float64
	UnitPriceCents int64
	AmountCents    int64
}

// GetInvoiceDoc loads an invoice with its lines; ErrNotFound when there is none.
func GetInvoiceDoc(ctx context.Context, q Querier, id string) (InvoiceDoc, error) {
	var d InvoiceDoc
	err := q.QueryRow(ctx, `SELECT id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents,
		status, description, payment_link FROM invoices WHERE id = $1`, id).
		Scan(&d.ID, &d.DebtorID, &d.Number, &d.IssueDate, &d.DueDate, &d.Currency, &d.AmountCents, &d.BalanceCents,
			&d.Status, &d.Description, &d.PaymentLink)
	if errors.Is(err, pgx.ErrNoRows) {
		return InvoiceDoc{}, fmt.Errorf("invoice %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return InvoiceDoc{}, fmt.Errorf("load invoice %s: %w", id, err)
	}
	rows, err := q.Query(ctx, `SELECT position, description, quantity::float8, unit_price_cents, amount_cents
		FROM invoice_lines WHERE invoice_id = $1 ORDER BY position`, id)
	if err != nil {
		return InvoiceDoc{}, fmt.Errorf("lines of invoice %s: %w", id, err)
	}
	d.Lines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (InvoiceDocLine, error) {
		var l InvoiceDocLine
		err := r.Scan(&l.Position, &l.Description, &l.Quantity, &l.UnitPriceCents, &l.AmountCents)
		return l, err
	})
	if err != nil {
		return InvoiceDoc{}, fmt.Errorf("lines of invoice %s: %w", id, err)
	}
	return d, nil
}

// IsOptedOut reports whether the debtor opted out of channel.
func IsOptedOut(ctx context.Context, q Querier, debtorID, channel string) (bool, error) {
	var out bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM channel_consents
		WHERE debtor_id = $1 AND channel = $2 AND NOT opted_in)`, debtorID, channel).Scan(&out)
	if err != nil {
		return false, fmt.Errorf("consent of %s for %s: %w", debtorID, channel, err)
	}
	return out, nil
}
