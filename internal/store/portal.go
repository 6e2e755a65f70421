package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
)

// PortalLink is a debtor's personal link to the portal; its secret is
// shown once, in the message that carries it, and only its hash is kept.
type PortalLink struct {
	ID        string     `json:"id"`
	DebtorID  string     `json:"debtor_id"`
	Source    string     `json:"source"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// PortalTokenBytes is the entropy of a link's secret: 160 bits, so a
// secret is never guessed, whatever the IDs an attacker knows.
const PortalTokenBytes = 20

// PortalTokenLen is the length of a secret in its URL form (base64url).
var PortalTokenLen = base64.RawURLEncoding.EncodedLen(PortalTokenBytes)

// ErrLinkInvalid is returned for a secret that is unknown, expired or
// revoked: callers answer all three the same way.
var ErrLinkInvalid = errors.New("invalid, expired or revoked portal link")

// NewPortalToken returns a fresh random secret in URL form.
func NewPortalToken() (string, error) {
	raw := make([]byte, PortalTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("portal token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// WellFormedPortalToken reports whether s has the form of a secret, so a
// malformed one costs no query.
func WellFormedPortalToken(s string) bool {
	if len(s) != PortalTokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// IssuePortalLink creates a link for debtorID valid for ttl from now and
// returns it with its secret. source says what carries it (an interaction
// ID, "api:<actor>").
func IssuePortalLink(ctx context.Context, q Querier, debtorID, source string, ttl time.Duration, now time.Time) (PortalLink, string, error) {
	if ttl <= 0 {
		return PortalLink{}, "", fmt.Errorf("issue portal link for %s: ttl must be positive", debtorID)
	}
	secret, err := NewPortalToken()
	if err != nil {
		return PortalLink{}, "", err
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return PortalLink{}, "", fmt.Errorf("issue portal link: %w", err)
	}
	l := PortalLink{ID: "pl_" + base64.RawURLEncoding.EncodeToString(id), DebtorID: debtorID, Source: source,
		CreatedAt: now.UTC(), ExpiresAt: now.Add(ttl).UTC()}
	_, err = q.Exec(ctx, `INSERT INTO portal_links (id, token_hash, debtor_id, source, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, l.ID, HashToken(secret), debtorID, source, l.CreatedAt, l.ExpiresAt)
	if err != nil {
		return PortalLink{}, "", fmt.Errorf("issue portal link for %s: %w", debtorID, err)
	}
	return l, secret, nil
}

// ResolvePortalLink finds the live link of secret at now; ErrLinkInvalid
// for anything else. It only reads: RecordPortalVisit notes the use.
func ResolvePortalLink(ctx context.Context, q Querier, secret string, now time.Time) (PortalLink, error) {
	if !WellFormedPortalToken(secret) {
		return PortalLink{}, ErrLinkInvalid
	}
	var l PortalLink
	err := q.QueryRow(ctx, `SELECT id, debtor_id, source, created_at, expires_at FROM portal_links
		WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`, HashToken(secret), now.UTC()).
		Scan(&l.ID, &l.DebtorID, &l.Source, &l.CreatedAt, &l.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return PortalLink{}, ErrLinkInvalid
	}
	if err != nil {
		return PortalLink{}, fmt.Errorf("resolve portal link: %w", err)
	}
	return l, nil
}

// RevokePortalLinks revokes every live link of a debtor (one link when
// linkID is set); it returns how many were revoked.
func RevokePortalLinks(ctx context.Context, q Querier, debtorID, linkID string) (int64, error) {
	tag, err := q.Exec(ctx, `UPDATE portal_links SET revoked_at = now()
		WHERE debtor_id = $1 AND ($2 = '' OR id = $2) AND revoked_at IS NULL`, debtorID, linkID)
	if err != nil {
		return 0, fmt.Errorf("revoke portal links of %s: %w", debtorID, err)
	}
	return tag.RowsAffected(), nil
}

// RecordPortalVisit notes that a debtor opened a page through a link,
// and the link's last use, in one round trip. A visit is worth less than
// the page's speed: it commits without waiting for the disk (a crash may
// lose the last few visits, never anything else).
func RecordPortalVisit(ctx context.Context, q Pipeliner, l PortalLink, page string, at time.Time) error {
	b := &pgx.Batch{}
	// One batch is one implicit transaction: the setting covers both writes.
	b.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	b.Queue(`INSERT INTO portal_visits (link_id, debtor_id, page, at) VALUES ($1, $2, $3, $4)`, l.ID, l.DebtorID, page, at.UTC())
	b.Queue(`UPDATE portal_links SET last_used_at = $2 WHERE id = $1`, l.ID, at.UTC())
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record portal visit of %s: %w", l.DebtorID, err)
	}
	return nil
}

// PortalVisits counts a debtor's portal page views since a time.
func PortalVisits(ctx context.Context, q Querier, debtorID string, since time.Time) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM portal_visits WHERE debtor_id = $1 AND at >= $2`, debtorID, since).Scan(&n); err != nil {
		return 0, fmt.Errorf("portal visits of %s: %w", debtorID, err)
	}
	return n, nil
}

// PortalRulesOfInvoice returns the portal bounds of the policy the
// invoice's case runs on, or the defaults when it has no case yet.
func PortalRulesOfInvoice(ctx context.Context, q Querier, invoiceID string) (domain.PortalRules, error) {
	return portalRules(ctx, q, `SELECT p.definition FROM cases c
		JOIN policies p ON p.name = c.policy_name AND p.version = c.policy_version WHERE c.invoice_id = $1`, invoiceID)
}

// PortalRulesOfDebtor returns the portal bounds of the policy of the
// debtor's most recently started open case, or the defaults.
func PortalRulesOfDebtor(ctx context.Context, q Querier, debtorID string) (domain.PortalRules, error) {
	return portalRules(ctx, q, `SELECT p.definition FROM cases c
		JOIN policies p ON p.name = c.policy_name AND p.version = c.policy_version
		WHERE c.debtor_id = $1 AND c.closed_at IS NULL ORDER BY c.started_at DESC LIMIT 1`, debtorID)
}

func portalRules(ctx context.Context, q Querier, sql, arg string) (domain.PortalRules, error) {
	var def []byte
	err := q.QueryRow(ctx, sql, arg).Scan(&def)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.PortalRules{}.WithDefaults(), nil
	}
	if err != nil {
		return domain.PortalRules{}, fmt.Errorf("portal rules of %s: %w", arg, err)
	}
	var p domain.Policy
	if err := json.Unmarshal(def, &p); err != nil {
		return domain.PortalRules{}, fmt.Errorf("portal rules of %s: policy: %w", arg, err)
	}
	return p.PortalRules(), nil
}

// SetDebtorContact changes the e-mail address and the language a debtor
// asked for; a new address is taken as deliverable again.
func SetDebtorContact(ctx context.Context, q Querier, debtorID, email, language string) error {
	_, err := q.Exec(ctx, `UPDATE debtors SET
		email_status = CASE WHEN email <> $2 THEN 'ok' ELSE email_status END,
		email = $2, language = $3, updated_at = now() WHERE id = $1`, debtorID, email, language)
	if err != nil {
		return fmt.Errorf("contact of %s: %w", debtorID, err)
	}
	return nil
}

// PortalMessage is a message a debtor wrote in the portal.
type PortalMessage struct {
	ID        string `json:"id"`
	DebtorID  string `json:"debtor_id"`
	InvoiceID string `json:"invoice_id,omitempty"`
	LinkID    string `json:"link_id"`
	Body      string `json:"body"`
}

// InsertPortalMessage stores a debtor's message; false when its ID was
// stored already (a form sent twice).
func InsertPortalMessage(ctx context.Context, q Querier, m PortalMessage) (bool, error) {
	var invoice *string
	if m.InvoiceID != "" {
		invoice = &m.InvoiceID
	}
	tag, err := q.Exec(ctx, `INSERT INTO portal_messages (id, debtor_id, invoice_id, link_id, body)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`, m.ID, m.DebtorID, invoice, m.LinkID, m.Body)
	if err != nil {
		return false, fmt.Errorf("insert portal message %s: %w", m.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// PortalAttachment is a file joined to a dispute from the portal.
type PortalAttachment struct {
	ID          string
	DebtorID    string
	DisputeID   string
	Filename    string
	ContentType string
	SHA256      []byte
	Content     []byte
}

// InsertPortalAttachment stores a dispute's file.
func InsertPortalAttachment(ctx context.Context, q Querier, a PortalAttachment) error {
	if _, err := q.Exec(ctx, `INSERT INTO portal_attachments (id, debtor_id, dispute_id, filename, content_type,
		size_bytes, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.DebtorID, a.DisputeID, a.Filename, a.ContentType, len(a.Content), a.SHA256, a.Content); err != nil {
		return fmt.Errorf("insert attachment of dispute %s: %w", a.DisputeID, err)
	}
	return nil
}

// OldestOpenInvoice returns the debtor's open invoice due first, for
// requests about no invoice in particular; ErrNotFound when none is open.
func OldestOpenInvoice(ctx context.Context, q Querier, debtorID string) (Invoice, error) {
	return oneInvoice(q.QueryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices
		WHERE debtor_id = $1 AND status = 'open' ORDER BY due_date, number LIMIT 1`, debtorID), "oldest open of "+debtorID)
}
