package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relance/relance/bench/internal/cases"
	"github.com/relance/relance/bench/internal/proc"
	"github.com/relance/relance/bench/internal/seed"
	"github.com/relance/relance/bench/internal/stack"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/temporalx"
)

// ladderOurs runs rounds of cases walking the compressed ladder on the real
// worker process, messages going to the outbox.
type ladderOurs struct {
	r      *runner
	db     *pgxpool.Pool
	worker *proc.Process
	driver *cases.Driver
}

func (r *runner) newLadderOurs(ctx context.Context) (*ladderOurs, error) {
	if err := r.st.Missing("worker"); err != nil {
		return nil, err
	}
	dbURL, err := r.newDatabase(ctx, "ladder")
	if err != nil {
		return nil, err
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if err := seed.Policy(ctx, db, seed.CompressedLadder(r.s.ladderStep)); err != nil {
		db.Close()
		return nil, err
	}
	w, err := r.st.Start(ctx, "worker", dbURL, cases.WorkerEnv(r.e.Dir)...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &ladderOurs{r: r, db: db, worker: w, driver: cases.NewDriver(r.e.Temporal, db)}, nil
}

// probe walks one case and reads its history.
func (o *ladderOurs) probe(ctx context.Context) (stack.History, error) {
	ids, err := cases.Seed(ctx, o.db, "probe", 1)
	if err != nil {
		return stack.History{}, err
	}
	if _, err := o.driver.StartAll(ctx, ids, 1); err != nil {
		return stack.History{}, err
	}
	res, err := o.driver.WaitStatus(ctx, ids, domain.StatusAgency, 2*time.Minute)
	if err != nil {
		return stack.History{}, err
	}
	if res.Reached != 1 {
		return stack.History{}, fmt.Errorf("probe case did not reach the agency in 2 minutes: %s", res)
	}
	return stack.HistoryOf(ctx, o.r.e.Temporal, temporalx.CaseWorkflowID(ids[0]))
}

// round walks n cases: cases per second from the first start until the last
// case was handed to the agency, and how many did not get there.
func (o *ladderOurs) round(ctx context.Context, round, n int) (float64, int, error) {
	ids, err := cases.Seed(ctx, o.db, fmt.Sprintf("l%d", round), n)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	// Cases start the way bulk intake starts them: plain starts, like the
	// baseline's.
	if _, err := o.driver.StartAll(ctx, ids, o.r.s.concurrency); err != nil {
		return 0, 0, err
	}
	res, err := o.driver.WaitStatus(ctx, ids, domain.StatusAgency, 2*time.Minute)
	if err != nil {
		return 0, 0, err
	}
	return perSecond(res.Reached, time.Since(t0)), n - res.Reached, nil
}

func (o *ladderOurs) close() {
	o.worker.Stop()
	o.db.Close()
}
