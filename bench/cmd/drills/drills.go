package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/relance/relance/bench/internal/fakes"
)

// kill walks d.s.cases cases while the worker is killed -9 d.s.kills times
// at random moments and restarted each time.
func (d *driller) kill(ctx context.Context) outcome {
	lr, err := d.newLadderRun(ctx, "kill", d.s.cases, fakes.Always, fakes.Always)
	if err != nil {
		return outcome{err: err}
	}
	defer lr.close()
	if err := lr.startWorker(ctx); err != nil {
		return outcome{err: err}
	}
	started := lr.startCases(ctx)
	var downtime time.Duration
	for i := range d.s.kills {
		select {
		case <-ctx.Done():
			return outcome{err: ctx.Err()}
		case <-time.After(time.Duration(1000+rand.IntN(5000)) * time.Millisecond):
		}
		lr.worker.Kill()
		t0 := time.Now()
		if err := lr.startWorker(ctx); err != nil {
			return outcome{err: fmt.Errorf("restart %d: %w", i+1, err)}
		}
		downtime += time.Since(t0)
	}
	if err := <-started; err != nil {
		return outcome{err: fmt.Errorf("start cases: %w", err)}
	}
	lost, dups, inDoubt, detail, err := lr.verdict(ctx, 3*time.Minute)
	if err != nil {
		return outcome{err: err}
	}
	return outcome{lost: lost, duplicates: dups, inDoubt: inDoubt,
		did: fmt.Sprintf("%d cases on the compressed ladder (rungs %s apart), worker killed -9 %d times 1–6 s apart and restarted (down %s in all); %s",
			d.s.cases, d.s.step, d.s.kills, downtime.Round(time.Millisecond), detail)}
}

// postgres restarts the run's own Postgres while cases walk the ladder and
// watches the worker's /readyz go red, then green.
func (d *driller) postgres(ctx context.Context) outcome {
	if !d.e.PG.Owned() {
		return outcome{err: errors.New("needs a Postgres cluster of its own (run without -database-url)")}
	}
	lr, err := d.newLadderRun(ctx, "pgrestart", d.s.pgCases, fakes.Always, fakes.Always)
	if err != nil {
		return outcome{err: err}
	}
	defer lr.close()
	if err := lr.startWorker(ctx); err != nil {
		return outcome{err: err}
	}
	started := lr.startCases(ctx)
	// Let a part of the cases get going before the database goes away.
	if _, err := lr.driver.WaitStatus(ctx, lr.ids[:max(1, len(lr.ids)/10)], "agency", 20*time.Second); err != nil {
		return outcome{err: err}
	}
	if err := d.e.PG.Stop(ctx); err != nil {
		return outcome{err: err}
	}
	red := waitReady(ctx, lr.worker.Ready, false, 30*time.Second)
	time.Sleep(5 * time.Second)
	if err := d.e.PG.Start(ctx); err != nil {
		return outcome{err: err}
	}
	t0 := time.Now()
	green := waitReady(ctx, lr.worker.Ready, true, time.Minute)
	backIn := time.Since(t0)
	if err := <-started; err != nil {
		return outcome{err: fmt.Errorf("start cases: %w", err)}
	}
	lost, dups, inDoubt, detail, err := lr.verdict(ctx, 3*time.Minute)
	if err != nil {
		return outcome{err: err}
	}
	o := outcome{lost: lost, duplicates: dups, inDoubt: inDoubt,
		did: fmt.Sprintf("%d cases on the compressed ladder; Postgres stopped (fast) for 5 s mid-run and started again; worker /readyz red=%v, green again=%v (%s after restart); %s",
			d.s.pgCases, red, green, backIn.Round(100*time.Millisecond), detail)}
	if !red || !green {
		o.err = fmt.Errorf("/readyz did not go red then green (red=%v green=%v); %s", red, green, o.did)
	}
	return o
}

// waitReady polls ready until it answers want or timeout passes.
func waitReady(ctx context.Context, ready func(context.Context) bool, want bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if ready(ctx) == want {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// Fault patterns of the providers drill: each message meets one scenario,
// chosen by its interaction ID, and plays it attempt by attempt.
var (
	sendgridScenarios = [][]fakes.Fault{
		{fakes.OK},
		{fakes.TooMany, fakes.OK},
		{fakes.Internal, fakes.Internal, fakes.OK},
		{fakes.Timeout, fakes.OK},
		{fakes.AcceptedNoReply, fakes.OK},
		{fakes.Permanent},
	}
	twilioScenarios = [][]fakes.Fault{
		{fakes.OK},
		{fakes.TooMany, fakes.OK},
		{fakes.Internal, fakes.OK},
		{fakes.Permanent},
	}
)

// faults walks cases with providers answering 429, 500, timeouts and
// permanent refusals: transient failures are retried, a permanent one falls
// back to the next channel, nothing is sent twice, nothing is lost.
func (d *driller) faults(ctx context.Context) outcome {
	lr, err := d.newLadderRun(ctx, "faults", d.s.faultCases, fakes.Pattern(sendgridScenarios...), fakes.Pattern(twilioScenarios...))
	if err != nil {
		return outcome{err: err}
	}
	defer lr.close()
	if err := lr.startWorker(ctx); err != nil {
		return outcome{err: err}
	}
	if err := <-lr.startCases(ctx); err != nil {
		return outcome{err: fmt.Errorf("start cases: %w", err)}
	}
	lost, dups, inDoubt, detail, err := lr.verdict(ctx, 3*time.Minute)
	if err != nil {
		return outcome{err: err}
	}
	fallback, wrong, err := lr.checkFallbacks(ctx)
	if err != nil {
		return outcome{err: err}
	}
	return outcome{lost: lost + wrong, duplicates: dups, inDoubt: inDoubt,
		did: fmt.Sprintf("%d cases; sendgrid scenarios ok | 429,ok | 500,500,ok | timeout(held 5 s, dropped unprocessed),ok | accepted then held 5 s and dropped,ok | permanent 400; twilio ok | 429,ok | 500,ok | permanent 21211; %s; %s",
			d.s.faultCases, fallback, detail)}
}

// checkFallbacks checks each message refused for good by a provider was
// followed, in the same rung, by the next channel; and that no message
// with a transient scenario ended anywhere but sent.
func (lr *ladderRun) checkFallbacks(ctx context.Context) (summary string, wrong int, err error) {
	rows, err := lr.db.Query(ctx, `SELECT i.id, i.invoice_id, i.rung, i.channel, i.provider, i.status,
		EXISTS (SELECT 1 FROM interactions n WHERE n.invoice_id = i.invoice_id AND n.rung = i.rung AND n.created_at > i.created_at AND n.channel <> i.channel)
		FROM interactions i WHERE i.provider IN ('sendgrid', 'twilio')`)
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	var permanent, fellBack, lastChannel, transientOK int
	for rows.Next() {
		var id, inv, rung, channel, provider, status string
		var next bool
		if err := rows.Scan(&id, &inv, &rung, &channel, &provider, &status, &next); err != nil {
			return "", 0, err
		}
		scenarios := sendgridScenarios
		if provider == "twilio" {
			scenarios = twilioScenarios
		}
		s := scenarios[fakes.ScenarioOf(id, len(scenarios))]
		if s[len(s)-1] == fakes.Permanent {
			permanent++
			switch {
			case next:
				fellBack++
			case rung == "pre-due-reminder": // e-mail only: the rung is skipped, not lost
				lastChannel++
			default:
				wrong++
			}
			continue
		}
		if status == "sent" || status == "delivered" {
			transientOK++
		} else {
			wrong++
		}
	}
	return fmt.Sprintf("permanent refusals=%d (fell back to the next channel=%d, rung with no further channel=%d), transient scenarios ending sent=%d, wrong=%d",
		permanent, fellBack, lastChannel, transientOK, wrong), wrong, rows.Err()
}
