package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relance/relance/bench/internal/cases"
	"github.com/relance/relance/bench/internal/fakes"
	"github.com/relance/relance/bench/internal/proc"
	"github.com/relance/relance/bench/internal/seed"
	"github.com/relance/relance/internal/domain"
)

// rungsDone is how many rungs of the compressed default ladder a case
// started after its due date does: all but the pre-due reminder.
const rungsDone = 7

// ladderRun is a set of cases walking the compressed ladder on the real
// worker, e-mails and texts going to the provider fakes.
type ladderRun struct {
	d        *driller
	db       *pgxpool.Pool
	dbURL    string
	ids      []string
	sendgrid *fakes.Provider
	twilio   *fakes.Provider
	worker   *proc.Process
	driver   *cases.Driver
}

func (d *driller) newLadderRun(ctx context.Context, what string, n int, sg, tw fakes.Script) (*ladderRun, error) {
	if err := d.st.Missing("worker"); err != nil {
		return nil, err
	}
	dbURL, err := d.newDatabase(ctx, what)
	if err != nil {
		return nil, err
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if err := seed.Policy(ctx, db, seed.CompressedLadder(d.s.step)); err != nil {
		db.Close()
		return nil, err
	}
	ids, err := cases.Seed(ctx, db, what, n)
	if err != nil {
		db.Close()
		return nil, err
	}
	lr := &ladderRun{d: d, db: db, dbURL: dbURL, ids: ids, sendgrid: fakes.NewSendGrid(sg), twilio: fakes.NewTwilio(tw),
		driver: cases.NewDriver(d.e.Temporal, db)}
	lr.sendgrid.Hold, lr.twilio.Hold = 5*time.Second, 5*time.Second
	lr.worker, err = d.st.Process("worker", dbURL, lr.workerEnv()...)
	if err != nil {
		lr.close()
		return nil, err
	}
	return lr, nil
}

func (lr *ladderRun) workerEnv() []string {
	return append(cases.WorkerEnv(lr.d.e.Dir),
		"SENDGRID_API_KEY=SG.bench", "SENDGRID_BASE_URL="+lr.sendgrid.URL(), "MAIL_FROM=relances@example.test",
		"TWILIO_ACCOUNT_SID=ACbench00000000000000000000000000", "TWILIO_AUTH_TOKEN=bench", "TWILIO_FROM=+33600000000",
		"TWILIO_BASE_URL="+lr.twilio.URL(),
		// Texts carry the interaction ID in their status callback, which the fake reads.
		"PUBLIC_BASE_URL=http://127.0.0.1:9")
}

// startWorker (re)starts the worker process and waits until it is ready.
func (lr *ladderRun) startWorker(ctx context.Context) error {
	if err := lr.worker.Start(); err != nil {
		return err
	}
	return lr.worker.WaitReady(ctx, time.Minute)
}

// startCases starts every case in the background; the returned channel
// gives the result once all have started.
func (lr *ladderRun) startCases(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := lr.driver.StartAll(ctx, lr.ids, 8)
		done <- err
	}()
	return done
}

// verdict waits for every case to be handed to the agency and checks the
// messages: lost counts cases that did not get there and messages recorded
// as sent that no provider accepted; duplicates counts keys a provider
// accepted more than once.
//
// A message whose request the provider dropped unanswered is "in doubt":
// the worker cannot know whether it was taken and, by design, does not send
// it again (at most once). The fake knows; such messages are counted as
// inDoubt, apart from lost.
func (lr *ladderRun) verdict(ctx context.Context, stall time.Duration) (lost, dups, inDoubt int, detail string, err error) {
	p, err := lr.driver.WaitStatus(ctx, lr.ids, domain.StatusAgency, stall)
	if err != nil {
		return 0, 0, 0, "", err
	}
	lost = p.Total - p.Reached
	accepted := map[string]int{}
	for _, f := range []*fakes.Provider{lr.sendgrid, lr.twilio} {
		for k, n := range f.AcceptedKeys() {
			accepted[k] += n
			if n > 1 {
				dups += n - 1
			}
		}
	}
	rows, err := lr.db.Query(ctx, `SELECT id, provider, status, error FROM interactions WHERE provider IN ('sendgrid', 'twilio')`)
	if err != nil {
		return 0, 0, 0, "", err
	}
	defer rows.Close()
	var sent, sentNotAccepted, acceptedNotSent int
	seen := map[string]bool{}
	for rows.Next() {
		var id, provider, status, reason string
		if err := rows.Scan(&id, &provider, &status, &reason); err != nil {
			return 0, 0, 0, "", err
		}
		seen[id] = true
		switch {
		case status == "sent" || status == "delivered":
			sent++
			switch {
			case accepted[id] > 0:
			case reason == "in_doubt":
				inDoubt++
			default:
				sentNotAccepted++
			}
		case accepted[id] > 0:
			acceptedNotSent++ // the provider has it, the ledger of messages does not say so
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, 0, "", err
	}
	kinds, err := lr.timelineKinds(ctx)
	if err != nil {
		return 0, 0, 0, "", err
	}
	// Every rung but the courtesy reminder (its date is past for these
	// overdue invoices) must be done exactly once on each case's timeline.
	var rungsWrong int
	if err := lr.db.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[]) AS inv(id)
		WHERE (SELECT count(*) FROM case_events e WHERE e.invoice_id = inv.id AND e.kind = 'step_done') <> $2`,
		lr.ids, rungsDone).Scan(&rungsWrong); err != nil {
		return 0, 0, 0, "", err
	}
	lost += rungsWrong
	unknown := 0
	for k := range accepted {
		if !seen[k] {
			unknown++
		}
	}
	lost += sentNotAccepted
	detail = fmt.Sprintf("cases %s; provider messages recorded sent=%d, sent but never accepted=%d (in doubt and never accepted=%d), accepted but not recorded sent=%d, accepted with an unknown key=%d; cases without exactly %d rungs done=%d; sendgrid{%s} twilio{%s}; timeline{%s}",
		p, sent, sentNotAccepted, inDoubt, acceptedNotSent, unknown, rungsDone, rungsWrong, lr.sendgrid.Stats(), lr.twilio.Stats(), kinds)
	return lost, dups, inDoubt, detail, nil
}

// timelineKinds counts the cases' timeline entries by kind.
func (lr *ladderRun) timelineKinds(ctx context.Context) (string, error) {
	rows, err := lr.db.Query(ctx, `SELECT kind, count(*) FROM case_events GROUP BY kind ORDER BY kind`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%s=%d", kind, n))
	}
	return strings.Join(parts, " "), rows.Err()
}

func (lr *ladderRun) close() {
	if lr.worker != nil {
		lr.worker.Stop()
	}
	lr.sendgrid.Close()
	lr.twilio.Close()
	lr.db.Close()
}
