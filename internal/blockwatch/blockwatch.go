// Package blockwatch announces changes of the debtors' order-block signal:
// it recomputes every debtor's score and exposure, compares the signal
// with the one last announced, and for each change writes the new state
// and queues a signed debtor.blocked / debtor.unblocked webhook in the
// same transaction, so a change is announced exactly once.
package blockwatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/analytics"
	"github.com/relance/relance/internal/outhook"
	"github.com/relance/relance/internal/store"
)

// Event types of the order-block signal.
const (
	EventBlocked   = "debtor.blocked"
	EventUnblocked = "debtor.unblocked"
)

// Signal is the data of a debtor.blocked / debtor.unblocked webhook.
type Signal struct {
	DebtorID         string   `json:"debtor_id"`
	Blocked          bool     `json:"blocked"`
	Reasons          []string `json:"reasons"`
	Score            int      `json:"score"`
	Currency         string   `json:"currency"`
	OpenCents        int64    `json:"open_cents"`
	CreditLimitCents *int64   `json:"credit_limit_cents"`
}

// Sync recomputes the signals as of today (now is the instant recorded)
// and announces the changes; it returns how many it announced. A debtor
// seen for the first time is announced only when blocked.
func Sync(ctx context.Context, st *store.Store, today, now time.Time, blockBelow int) (int, error) {
	scores, err := analytics.Scores(ctx, st.Pool, today, blockBelow)
	if err != nil {
		return 0, err
	}
	announced := 0
	for _, s := range scores {
		changed, err := record(ctx, st, s, now)
		if err != nil {
			return announced, err
		}
		if changed {
			announced++
		}
	}
	return announced, nil
}

// record writes s's signal when it differs from the last one and queues
// its webhook, in one transaction; the upsert's WHERE makes a concurrent
// Sync of the same change write nothing.
func record(ctx context.Context, st *store.Store, s analytics.Score, now time.Time) (bool, error) {
	changed := false
	err := st.InTx(ctx, func(tx pgx.Tx) error {
		var inserted bool
		err := tx.QueryRow(ctx, `INSERT INTO debtor_block_state (debtor_id, blocked, reasons, score, changed_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (debtor_id) DO UPDATE SET blocked = EXCLUDED.blocked, reasons = EXCLUDED.reasons,
			    score = EXCLUDED.score, changed_at = EXCLUDED.changed_at
			WHERE debtor_block_state.blocked <> EXCLUDED.blocked
			RETURNING (xmax = 0)`, s.DebtorID, s.Blocked, s.Reasons, s.Score, now).Scan(&inserted)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // unchanged
		}
		if err != nil {
			return fmt.Errorf("record block state of %s: %w", s.DebtorID, err)
		}
		if inserted && !s.Blocked {
			return nil // first seen, not blocked: nothing to announce
		}
		changed = true
		event := EventUnblocked
		if s.Blocked {
			event = EventBlocked
		}
		return outhook.Enqueue(ctx, tx, outhook.Event{
			ID: "evt_" + strings.ReplaceAll(uuid.NewString(), "-", ""), Type: event, CreatedAt: now,
			Data: Signal{DebtorID: s.DebtorID, Blocked: s.Blocked, Reasons: s.Reasons, Score: s.Score,
				Currency: s.Exposure.Currency, OpenCents: s.Exposure.OpenCents, CreditLimitCents: s.Exposure.CreditLimitCents},
		})
	})
	return changed, err
}
