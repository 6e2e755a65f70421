// Package cases drives real collection cases for benchmarks and drills:
// seeds their invoices, starts them through the case client (as intake
// does) and watches the cases projection until they reach a status.
package cases

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/relance/relance/bench/internal/seed"
	"github.com/relance/relance/bench/internal/stack"
	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
)

// TaskQueue of the real worker (its default).
const TaskQueue = "relance-cases"

// WorkerEnv is the environment of a worker whose channels write to an
// outbox under dir (no provider credentials). The weekly contact cap and
// the calendar rules are off: a ladder compressed into milliseconds would
// otherwise wait days for them, which is their job, not a cost.
func WorkerEnv(dir string) []string {
	return []string{
		"TEMPORAL_TASK_QUEUE=" + TaskQueue,
		"CONTACT_WEEKLY_CAP=0",
		"CONTACT_CALENDAR=false",
		"OUTBOX_DIR=" + filepath.Join(dir, "outbox"),
	}
}

// Seed makes n invoices of a batch, one debtor each (the weekly contact
// cap is per debtor), and returns their IDs.
func Seed(ctx context.Context, db *pgxpool.Pool, batch string, n int) ([]string, error) {
	if err := seed.Debtors(ctx, db, batch, n); err != nil {
		return nil, err
	}
	invs, err := seed.Invoices(ctx, db, batch, n, n)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(invs))
	for i, inv := range invs {
		ids[i] = inv.ID
	}
	return ids, nil
}

// Driver starts cases and watches them.
type Driver struct {
	Cases *caseclient.Client
	DB    *pgxpool.Pool
	// StartTimeout bounds one start attempt; a start is retried (it is
	// idempotent) until RetryFor has passed.
	StartTimeout, RetryFor time.Duration
}

// NewDriver returns a driver on the real worker's task queue.
func NewDriver(c client.Client, db *pgxpool.Pool) *Driver {
	return &Driver{Cases: &caseclient.Client{Temporal: c, TaskQueue: TaskQueue}, DB: db,
		StartTimeout: 30 * time.Second, RetryFor: 5 * time.Minute}
}

// StartAll starts every case with conc callers the way bulk intake does
// (without waiting for the worker), retrying each start while Temporal is
// away.
func (d *Driver) StartAll(ctx context.Context, ids []string, conc int) (time.Duration, error) {
	t0 := time.Now()
	err := stack.ForEach(ctx, ids, conc, func(ctx context.Context, id string) error {
		deadline := time.Now().Add(d.RetryFor)
		for {
			sctx, cancel := context.WithTimeout(ctx, d.StartTimeout)
			err := d.Cases.EnsureStarted(sctx, caseclient.StartRequest{InvoiceID: id, Summary: "bench " + id})
			cancel()
			if err == nil || ctx.Err() != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("start %s: %w", id, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})
	return time.Since(t0), err
}

// Progress is where a set of cases stands.
type Progress struct {
	Total, Reached int
	ByStatus       map[string]int
}

func (p Progress) String() string {
	keys := slices.Sorted(maps.Keys(p.ByStatus))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, p.ByStatus[k]))
	}
	return fmt.Sprintf("%d/%d reached (%s)", p.Reached, p.Total, strings.Join(parts, " "))
}

// Statuses reads the projection's status of each case ("" when not projected).
func (d *Driver) Statuses(ctx context.Context, ids []string) (map[string]string, error) {
	rows, err := d.DB.Query(ctx, `SELECT invoice_id, status FROM cases WHERE invoice_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string, len(ids))
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, rows.Err()
}

// Progress counts the cases by status.
func (d *Driver) Progress(ctx context.Context, ids []string, want domain.CaseStatus) (Progress, error) {
	st, err := d.Statuses(ctx, ids)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{Total: len(ids), ByStatus: map[string]int{}}
	for _, id := range ids {
		s := st[id]
		if s == "" {
			s = "none"
		}
		p.ByStatus[s]++
		if s == string(want) {
			p.Reached++
		}
	}
	return p, nil
}

// WaitStatus polls until every case has status want, or nothing moved for
// stall (then it returns the progress without error). Database errors are
// retried (a drill may restart Postgres meanwhile).
func (d *Driver) WaitStatus(ctx context.Context, ids []string, want domain.CaseStatus, stall time.Duration) (Progress, error) {
	var last Progress
	moved := time.Now()
	for {
		p, err := d.Progress(ctx, ids, want)
		if err == nil {
			if p.Reached == p.Total {
				return p, nil
			}
			if p.Reached != last.Reached || !maps.Equal(p.ByStatus, last.ByStatus) {
				moved = time.Now()
			}
			last = p
		}
		if time.Since(moved) > stall {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
