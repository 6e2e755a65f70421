package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relance/relance/bench/internal/cases"
	"github.com/relance/relance/bench/internal/load"
	"github.com/relance/relance/bench/internal/proc"
	"github.com/relance/relance/bench/internal/report"
	"github.com/relance/relance/bench/internal/seed"
	"github.com/relance/relance/bench/internal/stack"
	"github.com/relance/relance/internal/store"
)

// intakeResult is one import of ours: cases per second until every case
// has started (loaded its facts: a row in the cases projection), invoices
// per second until the last import was answered (stored, start recorded
// by Temporal), and the RSS of the services at the end.
type intakeResult struct {
	rate, accepted float64
	rss            map[string]float64
	note           string
}

// intakeOurs imports r.s.intakeN invoices through POST /v1/invoices:bulk
// and waits until every case has started.
func (r *runner) intakeOurs(ctx context.Context) (res intakeResult, err error) {
	for _, n := range []string{"api", "worker"} {
		if err := r.st.Missing(n); err != nil {
			return res, err
		}
	}
	dbURL, err := r.newDatabase(ctx, "intake")
	if err != nil {
		return res, err
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return res, err
	}
	defer db.Close()
	debtors := max(r.s.intakeN/10, 1)
	if err := seed.Debtors(ctx, db, "in", debtors); err != nil {
		return res, err
	}
	// Cases start and sleep: this measures intake, not the ladder.
	if err := seed.Policy(ctx, db, seed.SleepingLadder()); err != nil {
		return res, err
	}
	_, secret, err := store.CreateToken(ctx, db, "bench-intake", store.RoleService, "")
	if err != nil {
		return res, err
	}
	worker, err := r.st.Start(ctx, "worker", dbURL, cases.WorkerEnv(r.e.Dir)...)
	if err != nil {
		return res, err
	}
	defer worker.Stop()
	api, err := r.st.Start(ctx, "api", dbURL, "TEMPORAL_TASK_QUEUE="+cases.TaskQueue)
	if err != nil {
		return res, err
	}
	defer api.Stop()
	// The other services run beside, as in production, so that the memory
	// of each is printed at the end; one that does not start is left out.
	services := []*proc.Process{api, worker}
	for _, extra := range []struct {
		name string
		env  []string
	}{
		{"payments", []string{"PAYMENTS_STRIPE_SECRETS=" + webhookSecret, "TEMPORAL_TASK_QUEUE=" + cases.TaskQueue}},
		{"events", []string{"TEMPORAL_TASK_QUEUE=" + cases.TaskQueue}},
	} {
		p, err := r.st.Start(ctx, extra.name, dbURL, extra.env...)
		if err != nil {
			logf("%s not started, its memory is not reported: %v", extra.name, firstLine(err))
			continue
		}
		defer p.Stop()
		services = append(services, p)
	}

	const batch = 1000
	var batches [][]map[string]any
	due := time.Now().UTC().AddDate(0, 0, -10)
	for i := 0; i < r.s.intakeN; i += batch {
		var lines []map[string]any
		for j := i; j < min(i+batch, r.s.intakeN); j++ {
			lines = append(lines, map[string]any{
				"number": fmt.Sprintf("F-in-%07d", j), "debtor_id": seed.DebtorID("in", j%debtors),
				"issue_date": due.AddDate(0, -1, 0).Format("2006-01-02"), "due_date": due.Format("2006-01-02"),
				"currency": "EUR", "amount_cents": 120000,
			})
		}
		batches = append(batches, lines)
	}
	c := &http.Client{Timeout: 10 * time.Minute}
	var failedStarts atomic.Int64
	workerCPU, apiCPU := r.cpuMeter(worker), r.cpuMeter(api)
	t0 := time.Now()
	err = stack.ForEach(ctx, batches, 4, func(ctx context.Context, lines []map[string]any) error {
		body, _ := json.Marshal(lines)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+api.Addr+"/v1/invoices:bulk", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("bulk import answered %d: %.300s", resp.StatusCode, b)
		}
		var rep struct {
			Lines []struct {
				Case string `json:"case"`
			} `json:"lines"`
		}
		_ = json.Unmarshal(b, &rep)
		for _, l := range rep.Lines {
			if l.Case == "start_failed" {
				failedStarts.Add(1)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	posted := time.Since(t0)
	started, err := waitCount(ctx, db, `SELECT count(*) FROM cases`, r.s.intakeN, 2*time.Minute)
	if err != nil {
		return res, err
	}
	elapsed := time.Since(t0)
	res.rss = map[string]float64{}
	for _, p := range services {
		if v, err := p.RSS(); err == nil {
			res.rss[p.Name] = mb(v)
		}
	}
	wms, tms := workerCPU.perCase(max(started, 1))
	ams, _ := apiCPU.perCase(max(started, 1))
	res.note = fmt.Sprintf("%d invoices in batches of %d, 4 clients; posts done in %s, %d cases started in %s; start_failed lines=%d; CPU per case: api %.1f ms, worker %.1f ms, Temporal server %.1f ms",
		r.s.intakeN, batch, posted.Round(time.Second), started, elapsed.Round(time.Second), failedStarts.Load(), ams, wms, tms)
	res.accepted = perSecond(r.s.intakeN, posted)
	if started < r.s.intakeN {
		res.rate = math.NaN()
		return res, fmt.Errorf("only %d of %d cases started", started, r.s.intakeN)
	}
	res.rate = perSecond(started, elapsed)
	return res, nil
}

// waitCount polls query (a count) until it reaches want or stops moving for stall.
func waitCount(ctx context.Context, db *pgxpool.Pool, query string, want int, stall time.Duration) (int, error) {
	last, moved := -1, time.Now()
	for {
		var n int
		if err := db.QueryRow(ctx, query).Scan(&n); err != nil {
			return 0, err
		}
		if n >= want {
			return n, nil
		}
		if n != last {
			last, moved = n, time.Now()
		}
		if time.Since(moved) > stall {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// worklistOurs prepares the API over r.s.tasks open tasks and returns a
// function running one latency round against GET /v1/worklist.
func (r *runner) worklistOurs(ctx context.Context) (round func(context.Context) load.Result, url string, header http.Header, stop func(), err error) {
	if err := r.st.Missing("api"); err != nil {
		return nil, "", nil, nil, err
	}
	dbURL, err := r.newDatabase(ctx, "worklist")
	if err != nil {
		return nil, "", nil, nil, err
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, "", nil, nil, err
	}
	fail := func(err error) (func(context.Context) load.Result, string, http.Header, func(), error) {
		db.Close()
		return nil, "", nil, nil, err
	}
	if err := seed.Debtors(ctx, db, "wl", 1000); err != nil {
		return fail(err)
	}
	invoices, err := seed.Invoices(ctx, db, "wl", 10000, 1000)
	if err != nil {
		return fail(err)
	}
	if err := seed.Tasks(ctx, db, "wl", r.s.tasks, invoices); err != nil {
		return fail(err)
	}
	if _, err := db.Exec(ctx, "ANALYZE"); err != nil {
		return fail(err)
	}
	_, secret, err := store.CreateToken(ctx, db, "bench-collector", store.RoleCollector, seed.CollectorID)
	if err != nil {
		return fail(err)
	}
	api, err := r.st.Start(ctx, "api", dbURL, "TEMPORAL_TASK_QUEUE="+cases.TaskQueue)
	if err != nil {
		return fail(err)
	}
	url = "http://" + api.Addr + "/v1/worklist"
	header = http.Header{"Authorization": {"Bearer " + secret}}
	// The answer must be a real, non-empty worklist, or the figure means nothing.
	if n, err := worklistSize(ctx, url, header); err != nil || n == 0 {
		api.Stop()
		return fail(fmt.Errorf("worklist check: %d items, %v", n, err))
	}
	return func(ctx context.Context) load.Result { return r.latencyRound(ctx, url, header) }, url, header,
		func() { api.Stop(); db.Close() }, nil
}

func worklistSize(ctx context.Context, url string, header http.Header) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Items []json.RawMessage `json:"items"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	return len(body.Items), err
}

// rssRows turns service memory into rows (no baseline).
func rssRows(prefix string, rss map[string]float64) []report.Row {
	var rows []report.Row
	for _, name := range []string{"api", "worker", "payments", "events"} {
		if v, ok := rss[name]; ok {
			rows = append(rows, report.Row{Name: prefix + "-rss-" + name, Unit: "MB", Ours: v, Baseline: math.NaN(), Note: "memory at the end of the run"})
		}
	}
	return rows
}
