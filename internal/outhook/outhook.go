// Package outhook sends Relance's own webhooks to another system (the
// ERP): an event is queued in Postgres in the transaction of the change it
// announces, then delivered, signed, until the receiver answers 2xx or the
// attempts run out, every attempt logged.
//
// Signature (the generic HMAC scheme Relance also verifies on its own
// inbound webhooks, internal/webhook.HMAC):
//
//	X-Timestamp: <unix seconds>
//	X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>." + raw body)>
//	X-Event-Id:  <event id> (the same on every attempt: receivers dedupe on it)
//	X-Event-Type: debtor.blocked
package outhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/webhook"
)

// Event is the body of an outgoing webhook.
type Event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      any       `json:"data"`
}

// Enqueue queues e for delivery; call it in the transaction of the change
// it announces. An event ID already queued is left alone.
func Enqueue(ctx context.Context, q store.Querier, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode webhook %s: %w", e.ID, err)
	}
	if _, err := q.Exec(ctx, `INSERT INTO outgoing_webhooks (id, event, payload, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING`, e.ID, e.Type, body, e.CreatedAt); err != nil {
		return fmt.Errorf("queue webhook %s: %w", e.ID, err)
	}
	return nil
}

// Sign sets the signature headers of body sent at t.
func Sign(h http.Header, secret []byte, t time.Time, body []byte) {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	h.Set(webhook.HMACTimestampHeader, ts)
	h.Set(webhook.HMACSignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
}

// Backoff is the wait after the n-th failed attempt: 30 s doubling, at
// most 6 hours (30s, 1m, 2m, 4m … 6h).
func Backoff(n int) time.Duration {
	const first, most = 30 * time.Second, 6 * time.Hour
	if n <= 1 {
		return first
	}
	if n > 20 {
		return most
	}
	return min(first<<(n-1), most)
}

// Deliverer posts the due webhooks to URL.
type Deliverer struct {
	Store  *store.Store
	Client *http.Client
	URL    string
	Secret []byte
	// MaxAttempts after which a webhook is marked failed (it stays in the
	// log; an operator may re-queue it).
	MaxAttempts int
	// Lease is how long a claimed webhook is kept from other deliverers
	// while its request runs (longer than the client's timeout).
	Lease time.Duration
	Now   func() time.Time
}

// claimed is a webhook taken for one attempt.
type claimed struct {
	id, event string
	payload   []byte
	attempt   int
}

// DeliverDue attempts every webhook due now, one at a time, and returns how
// many it attempted. A claim pushes next_attempt_at past the lease in its
// own short transaction, so no transaction is open during the request, and
// a deliverer that dies mid-request leaves the webhook to be retried when
// the lease ends.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	n := 0
	for {
		c, ok, err := d.claim(ctx)
		if err != nil || !ok {
			return n, err
		}
		n++
		if err := d.attempt(ctx, c); err != nil {
			return n, err
		}
	}
}

func (d *Deliverer) claim(ctx context.Context) (claimed, bool, error) {
	now := d.Now()
	var c claimed
	err := d.Store.Pool.QueryRow(ctx, `UPDATE outgoing_webhooks SET attempts = attempts + 1, next_attempt_at = $2
		WHERE id = (SELECT id FROM outgoing_webhooks WHERE status = 'pending' AND next_attempt_at <= $1
		            ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, event, payload, attempts`, now, now.Add(d.Lease)).Scan(&c.id, &c.event, &c.payload, &c.attempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("claim an outgoing webhook: %w", err)
	}
	return c, true, nil
}

// attempt posts one webhook and records the outcome.
func (d *Deliverer) attempt(ctx context.Context, c claimed) error {
	start := d.Now()
	code, sendErr := d.post(ctx, c, start)
	elapsed := d.Now().Sub(start)
	var status *int
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
	}
	if code != 0 {
		status = &code
	}
	return d.Store.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO outgoing_webhook_attempts (webhook_id, attempt, at, status_code, error, duration_ms)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.id, c.attempt, start, status, errText, elapsed.Milliseconds()); err != nil {
			return fmt.Errorf("log attempt %d of webhook %s: %w", c.attempt, c.id, err)
		}
		var err error
		switch {
		case sendErr == nil:
			_, err = tx.Exec(ctx, `UPDATE outgoing_webhooks SET status = 'delivered', delivered_at = $2 WHERE id = $1`, c.id, d.Now())
		case c.attempt >= d.MaxAttempts:
			_, err = tx.Exec(ctx, `UPDATE outgoing_webhooks SET status = 'failed' WHERE id = $1`, c.id)
		default:
			_, err = tx.Exec(ctx, `UPDATE outgoing_webhooks SET next_attempt_at = $2 WHERE id = $1`, c.id, start.Add(Backoff(c.attempt)))
		}
		if err != nil {
			return fmt.Errorf("record delivery of webhook %s: %w", c.id, err)
		}
		return nil
	})
}

// post sends the webhook; the error says why it did not count as delivered.
func (d *Deliverer) post(ctx context.Context, c claimed, at time.Time) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(c.payload))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Event-Id", c.id)
	req.Header.Set("X-Event-Type", c.event)
	Sign(req.Header, d.Secret, at, c.payload)
	resp, err := d.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// Attempt is one logged delivery attempt.
type Attempt struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode *int      `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMs int       `json:"duration_ms"`
}

// Delivery is an outgoing webhook with its attempts.
type Delivery struct {
	ID            string          `json:"id"`
	Event         string          `json:"event"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt *time.Time      `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	DeliveredAt   *time.Time      `json:"delivered_at,omitempty"`
	Payload       json.RawMessage `json:"payload"`
	Log           []Attempt       `json:"log"`
}

// List returns the newest webhooks (of status, when not empty) with their
// attempts, at most limit.
func List(ctx context.Context, q store.Querier, status string, limit int) ([]Delivery, error) {
	rows, err := q.Query(ctx, `SELECT w.id, w.event, w.status, w.attempts,
		CASE WHEN w.status = 'pending' THEN w.next_attempt_at END, w.created_at, w.delivered_at, w.payload,
		coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'status_code', a.status_code,
			'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.attempt, a.id)
			FROM outgoing_webhook_attempts a WHERE a.webhook_id = w.id), '[]')
		FROM outgoing_webhooks w WHERE $1 = '' OR w.status = $1
		ORDER BY w.created_at DESC, w.id LIMIT $2`, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list outgoing webhooks: %w", err)
	}
	out := []Delivery{}
	var dl Delivery
	var log []byte
	if _, err := pgx.ForEachRow(rows, []any{&dl.ID, &dl.Event, &dl.Status, &dl.Attempts, &dl.NextAttemptAt, &dl.CreatedAt,
		&dl.DeliveredAt, &dl.Payload, &log}, func() error {
		d := dl
		d.Payload = append(json.RawMessage(nil), dl.Payload...)
		if err := json.Unmarshal(log, &d.Log); err != nil {
			return fmt.Errorf("decode attempts of %s: %w", d.ID, err)
		}
		out = append(out, d)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list outgoing webhooks: %w", err)
	}
	return out, nil
}
