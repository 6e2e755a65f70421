package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/relance/relance/bench/internal/bare"
	"github.com/relance/relance/bench/internal/cases"
	"github.com/relance/relance/bench/internal/load"
	"github.com/relance/relance/bench/internal/payhook"
	"github.com/relance/relance/bench/internal/proc"
	"github.com/relance/relance/bench/internal/report"
	"github.com/relance/relance/bench/internal/seed"
	"github.com/relance/relance/bench/internal/stack"
	"github.com/relance/relance/internal/domain"

	"github.com/jackc/pgx/v5/pgxpool"
)

// intake: invoices imported through the API until every case has started,
// against the raw start rate of empty workflows.
func (r *runner) intake(ctx context.Context) []report.Row {
	const name, unit, target = "intake", "cases/s", "ratio>=0.8"
	bw, err := r.startBareWorker(ctx)
	if err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, fmt.Errorf("baseline worker: %w", err))}
	}
	defer bw.Stop()
	var base []float64
	for round := range r.s.rounds {
		v, err := r.emptyStartRound(ctx, round, r.s.intakeBaseN)
		if err != nil {
			return []report.Row{missingRow(name, unit, math.NaN(), target, fmt.Errorf("baseline: %w", err))}
		}
		logf("round %d baseline: %.0f starts/s", round+1, v)
		base = append(base, v)
	}
	ours, oursErr := r.intakeOurs(ctx)
	// A baseline round after ours too, so the median brackets it in time.
	if v, err := r.emptyStartRound(ctx, r.s.rounds, r.s.intakeBaseN); err == nil {
		logf("round %d baseline: %.0f starts/s", r.s.rounds+1, v)
		base = append(base, v)
	}
	if oursErr != nil {
		row := missingRow(name, unit, report.Median(base), target, oursErr)
		row.Note += " " + ours.note
		return append([]report.Row{row}, rssRows("intake", ours.rss)...)
	}
	logf("ours: %.0f cases/s (%s)", ours.rate, ours.note)
	row := report.Row{Name: name, Unit: unit, Ours: ours.rate, Baseline: report.Median(base), Target: target, Note: ours.note}
	row.Met = report.Verdict(row.Ratio() >= 0.8)
	accepted := report.Row{Name: "intake-accepted", Unit: unit, Ours: ours.accepted, Baseline: report.Median(base),
		Note: "the same import until its last batch was answered: invoices stored, starts recorded by Temporal (diagnostic)"}
	return append([]report.Row{row, accepted}, rssRows("intake", ours.rss)...)
}

// worklist: p50/p99 of the collector worklist at a fixed rate against a gin
// handler returning a constant.
func (r *runner) worklist(ctx context.Context) []report.Row {
	body := []byte(`{"items":[` + strings.Repeat(`{"id":"task-000001","invoice_id":"inv-000001","kind":"call","status":"open","due_at":"2026-01-01T00:00:00Z"},`, 49) +
		`{"id":"task-000050","invoice_id":"inv-000050","kind":"call","status":"open","due_at":"2026-01-01T00:00:00Z"}],"next_cursor":"abc"}`)
	addr, stop, err := constantServer(body)
	if err != nil {
		return []report.Row{missingRow("worklist-p99", "ms", math.NaN(), "ours<10ms", err)}
	}
	defer stop()
	ours, oursURL, oursHeader, stopOurs, oursErr := r.worklistOurs(ctx)
	if oursErr == nil {
		defer stopOurs()
	}
	// One request at a time first: the cost of an answer without queueing.
	serialBase := serialLatency(ctx, "http://"+addr+"/v1/worklist", nil, 20)
	serialOurs := math.NaN()
	if ours != nil {
		serialOurs = serialLatency(ctx, oursURL, oursHeader, 20)
	}
	logf("one request at a time (median of 20): baseline %.2f ms, ours %.2f ms", serialBase, serialOurs)
	var p50, p99, o50, o99 []float64
	var oursErrors int
	for round := range r.s.rounds {
		res := r.latencyRound(ctx, "http://"+addr+"/v1/worklist", nil)
		logf("round %d baseline: sent %d, errors %d, p50 %s, p99 %s", round+1, res.Sent, res.Errors, res.Quantile(0.5), res.Quantile(0.99))
		p50 = append(p50, ms(res.Quantile(0.5)))
		p99 = append(p99, ms(res.Quantile(0.99)))
		if ours != nil {
			res := ours(ctx)
			logf("round %d ours: sent %d, errors %d, p50 %s, p99 %s", round+1, res.Sent, res.Errors, res.Quantile(0.5), res.Quantile(0.99))
			o50 = append(o50, ms(res.Quantile(0.5)))
			o99 = append(o99, ms(res.Quantile(0.99)))
			oursErrors += res.Errors
		}
	}
	if oursErr != nil {
		return []report.Row{
			missingRow("worklist-p50", "ms", report.Median(p50), "", oursErr),
			missingRow("worklist-p99", "ms", report.Median(p99), "ours<10ms", oursErr),
		}
	}
	note := fmt.Sprintf("%d open tasks, %d req/s open loop for %s per round, errors=%d", r.s.tasks, r.s.rate, r.s.duration, oursErrors)
	row99 := report.Row{Name: "worklist-p99", Unit: "ms", Ours: report.Median(o99), Baseline: report.Median(p99), Target: "ours<10ms", Note: note}
	row99.Met = report.Verdict(row99.Ours < 10 && oursErrors == 0)
	return []report.Row{
		{Name: "worklist-serial", Unit: "ms", Ours: serialOurs, Baseline: serialBase, Note: "one request at a time, median of 20 (diagnostic)"},
		{Name: "worklist-p50", Unit: "ms", Ours: report.Median(o50), Baseline: report.Median(p50), Note: note},
		row99,
	}
}

// serialLatency is the median latency of n requests sent one after the other, in ms.
func serialLatency(ctx context.Context, url string, header http.Header, n int) float64 {
	c := load.NewClient(1)
	var xs []float64
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return math.NaN()
		}
		for k, v := range header {
			req.Header[k] = v
		}
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			xs = append(xs, ms(time.Since(t0)))
		}
	}
	return report.Median(xs)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// webhooks: signed payment events applied with dedupe, against raw pgx
// inserts of the same rows.
func (r *runner) webhooks(ctx context.Context) []report.Row {
	const name, unit, target = "payment-webhooks", "events/s", "ours>=1000/s"
	dbURL, err := r.newDatabase(ctx, "webhooks")
	if err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, err)}
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, err)}
	}
	defer db.Close()
	if err := seed.Debtors(ctx, db, "wh", 500); err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, err)}
	}
	invoices, err := seed.Invoices(ctx, db, "wh", 2000, 500)
	if err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, err)}
	}
	var base, ours []float64
	oursErr := r.st.Missing("payments")
	var svc *proc.Process
	if oursErr == nil {
		// The relay is off: this measures the webhook's own work (verify,
		// dedupe, ledger, case command); delivery to cases is the relay's.
		svc, oursErr = r.st.Start(ctx, "payments", dbURL, "PAYMENTS_STRIPE_SECRETS="+webhookSecret, "CASE_RELAY_ENABLED=false")
	}
	if svc != nil {
		defer svc.Stop()
	}
	for round := range r.s.rounds {
		events := makePaymentEvents(fmt.Sprintf("raw%d", round), r.s.webhooksN, invoices)
		v, err := rawPaymentInserts(ctx, db, events, r.s.concurrency)
		if err != nil {
			return []report.Row{missingRow(name, unit, math.NaN(), target, fmt.Errorf("baseline: %w", err))}
		}
		logf("round %d baseline: %.0f events/s", round+1, v)
		base = append(base, v)
		if svc == nil || oursErr != nil {
			continue
		}
		events = makePaymentEvents(fmt.Sprintf("hook%d", round), r.s.webhooksN, invoices)
		v, err = postPaymentEvents(ctx, "http://"+svc.Addr+"/v1/webhooks/stripe", events, r.s.concurrency)
		if err != nil {
			oursErr = err
			continue
		}
		logf("round %d ours: %.0f events/s", round+1, v)
		ours = append(ours, v)
	}
	if oursErr != nil {
		return []report.Row{missingRow(name, unit, report.Median(base), target, oursErr)}
	}
	row := report.Row{Name: name, Unit: unit, Ours: report.Median(ours), Baseline: report.Median(base), Target: target,
		Note: fmt.Sprintf("%d events per round, %d clients, relay off", r.s.webhooksN, r.s.concurrency)}
	row.Met = report.Verdict(row.Ours >= 1000)
	return []report.Row{row}
}

const webhookSecret = "whsec_bench_secret"

// postPaymentEvents posts every event signed, with conc clients; each must
// be answered 200 "processed".
func postPaymentEvents(ctx context.Context, url string, events []paymentEvent, conc int) (float64, error) {
	c := load.NewClient(conc)
	t0 := time.Now()
	err := stack.ForEach(ctx, events, conc, func(ctx context.Context, ev paymentEvent) error {
		body := payhook.Event{ID: ev.id, Type: "payment_intent.succeeded", Intent: "pi_" + ev.id, AmountCents: ev.amount,
			InvoiceNumber: ev.invoice.Number, DebtorID: ev.invoice.DebtorID, Created: ev.createdAt}.Body()
		code, err := payhook.Post(ctx, c, url, body, payhook.Signature(webhookSecret, body, time.Now()))
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("event %s answered %d", ev.id, code)
		}
		return nil
	})
	return perSecond(len(events), time.Since(t0)), err
}

// sleeping: worker RSS with N cases waiting on timers, against the bare
// worker holding as many bare workflows asleep.
func (r *runner) sleeping(ctx context.Context) []report.Row {
	const name, unit, target = "sleeping-cases-rss", "MB", "ours<200MB"
	bw, err := r.startBareWorker(ctx)
	if err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, err)}
	}
	defer bw.Stop()
	idle, _ := bw.RSS()
	ids := make([]string, r.s.sleepingN)
	for i := range ids {
		ids[i] = fmt.Sprintf("bare-sleep-%d-%06d", time.Now().Unix(), i)
	}
	if _, err := stack.StartWorkflows(ctx, r.e.Temporal, ids, r.s.concurrency, bare.TaskQueue, bare.LadderWorkflow,
		func(string) any { return bare.LadderInput{Sleep: 24 * time.Hour, Timers: 1, Activities: 1} }); err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, err)}
	}
	// Every bare workflow must have run its first task (started its timer)
	// before memory is read; the last started is the last to run.
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if h, err := stack.HistoryOf(ctx, r.e.Temporal, ids[len(ids)-1]); err == nil && h.Timers >= 1 {
			break
		}
	}
	base := settledRSS(ctx, func() (int64, error) { return bw.RSS() })
	logf("baseline worker: idle %.0f MB, %d sleeping workflows %.0f MB", mb(idle), r.s.sleepingN, base)
	ours, oursIdle, oursErr := r.sleepingOurs(ctx)
	if oursErr != nil {
		return []report.Row{missingRow(name, unit, base, target, oursErr)}
	}
	logf("real worker: idle %.0f MB, %d sleeping cases %.0f MB", oursIdle, r.s.sleepingN, ours)
	row := report.Row{Name: name, Unit: unit, Ours: ours, Baseline: base, Target: target,
		Note: fmt.Sprintf("%d cases asleep on timers; idle worker %.0f MB, idle bare worker %.0f MB", r.s.sleepingN, oursIdle, mb(idle))}
	row.Met = report.Verdict(ours < 200)
	return []report.Row{row}
}

// sleepingOurs starts r.s.sleepingN cases on the real worker whose first
// rung is a month away, and reads the worker's RSS once they all sleep.
func (r *runner) sleepingOurs(ctx context.Context) (rss, idle float64, err error) {
	if err := r.st.Missing("worker"); err != nil {
		return 0, 0, err
	}
	dbURL, err := r.newDatabase(ctx, "sleeping")
	if err != nil {
		return 0, 0, err
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if err := seed.Policy(ctx, db, seed.SleepingLadder()); err != nil {
		return 0, 0, err
	}
	ids, err := cases.Seed(ctx, db, "sl", r.s.sleepingN)
	if err != nil {
		return 0, 0, err
	}
	w, err := r.st.Start(ctx, "worker", dbURL, cases.WorkerEnv(r.e.Dir)...)
	if err != nil {
		return 0, 0, err
	}
	defer w.Stop()
	idleB, _ := w.RSS()
	d := cases.NewDriver(r.e.Temporal, db)
	if _, err := d.StartAll(ctx, ids, 4*r.s.concurrency); err != nil {
		return 0, 0, err
	}
	p, err := d.WaitStatus(ctx, ids, domain.StatusActive, time.Minute)
	if err != nil {
		return 0, 0, err
	}
	if p.Reached != p.Total {
		return 0, 0, fmt.Errorf("cases not all asleep: %s", p)
	}
	return settledRSS(ctx, func() (int64, error) { return w.RSS() }), mb(idleB), nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// settledRSS waits until every started workflow's first task has run (the
// RSS stops moving) and returns the median of a few readings, in MB.
func settledRSS(ctx context.Context, read func() (int64, error)) float64 {
	var last int64
	for range 30 {
		time.Sleep(2 * time.Second)
		v, err := read()
		if err != nil {
			return math.NaN()
		}
		if last != 0 && math.Abs(float64(v-last)) < 0.02*float64(last) {
			break
		}
		last = v
	}
	var xs []float64
	for range 5 {
		v, err := read()
		if err == nil {
			xs = append(xs, mb(v))
		}
		time.Sleep(500 * time.Millisecond)
	}
	return report.Median(xs)
}
