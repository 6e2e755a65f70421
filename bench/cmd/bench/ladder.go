package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/relance/relance/bench/internal/bare"
	"github.com/relance/relance/bench/internal/proc"
	"github.com/relance/relance/bench/internal/report"
	"github.com/relance/relance/bench/internal/stack"
)

// ladder: N invoices walk the compressed full ladder on the real worker,
// against bare workflows with the same number of activities and timers.
func (r *runner) ladder(ctx context.Context) []report.Row {
	const name, unit, target = "ladder-throughput", "cases/s", "ratio>=0.8"
	// The shape of a default-ladder case when ours cannot tell: a timer and
	// two local activities per rung (check, act) plus the load.
	shape := bare.LadderInput{Timers: 8, LocalActivities: 17, Delay: r.s.ladderStep}
	bw, err := r.startBareWorker(ctx)
	if err != nil {
		return []report.Row{missingRow(name, unit, math.NaN(), target, fmt.Errorf("baseline worker: %w", err))}
	}
	defer bw.Stop()

	ours, oursErr := r.newLadderOurs(ctx)
	var oursHist stack.History
	if ours != nil {
		defer ours.close()
		if oursHist, oursErr = ours.probe(ctx); oursErr == nil {
			shape.Activities, shape.LocalActivities, shape.Timers = oursHist.Activities, oursHist.LocalActivities, max(oursHist.Timers, 1)
			logf("a case's history: %d events, %d activities, %d local activities, %d timers, %d updates",
				oursHist.Events, oursHist.Activities, oursHist.LocalActivities, oursHist.Timers, oursHist.Updates)
			logf("by type: %s", oursHist.Breakdown())
		} else {
			ours = nil
		}
	}
	var oursRates, baseRates, oursCPU, baseCPU []float64
	for round := range r.s.rounds {
		if ours != nil {
			m := r.cpuMeter(ours.worker)
			v, wrong, err := ours.round(ctx, round, r.s.ladderN)
			if err != nil {
				oursErr, ours = err, nil
			} else {
				w, t := m.perCase(r.s.ladderN)
				logf("round %d ours: %.1f cases/s (%d cases ended in a wrong state); CPU per case: worker %.1f ms, Temporal server %.1f ms", round+1, v, wrong, w, t)
				oursRates, oursCPU = append(oursRates, v), append(oursCPU, w+t)
			}
		}
		m := r.cpuMeter(bw)
		v, err := r.bareLadderRound(ctx, round, r.s.ladderN, shape)
		if err != nil {
			return []report.Row{missingRow(name, unit, math.NaN(), target, fmt.Errorf("baseline: %w", err))}
		}
		w, t := m.perCase(r.s.ladderN)
		logf("round %d baseline: %.1f cases/s; CPU per case: worker %.1f ms, Temporal server %.1f ms", round+1, v, w, t)
		baseRates, baseCPU = append(baseRates, v), append(baseCPU, w+t)
	}
	bareHist, _ := r.bareHistory(ctx, shape)
	logf("a bare ladder's history: %d events (%s)", bareHist.Events, bareHist.Breakdown())
	row := report.Row{Name: name, Unit: unit, Ours: report.Median(oursRates), Baseline: report.Median(baseRates), Target: target,
		Note: fmt.Sprintf("n=%d per round, %d rounds, rung offset %s, baseline %d activities + %d local + %d timers", r.s.ladderN, r.s.rounds, r.s.ladderStep, shape.Activities, shape.LocalActivities, shape.Timers)}
	cpu := report.Row{Name: "ladder-cpu-per-case", Unit: "ms", Ours: report.Median(oursCPU), Baseline: report.Median(baseCPU),
		Note: "worker + Temporal server CPU time per case (diagnostic; Postgres not counted)"}
	hist := report.Row{Name: "ladder-history-events", Unit: "events/case", Ours: float64(oursHist.Events), Baseline: float64(bareHist.Events), Target: "ours<=60"}
	if oursErr != nil {
		row = missingRow(name, unit, row.Baseline, target, oursErr)
		hist = missingRow(hist.Name, hist.Unit, hist.Baseline, hist.Target, oursErr)
		cpu = missingRow(cpu.Name, cpu.Unit, cpu.Baseline, "", oursErr)
	} else {
		row.Met = report.Verdict(row.Ratio() >= 0.8)
		hist.Met = report.Verdict(hist.Ours <= 60)
	}
	return []report.Row{row, hist, cpu}
}

// cpuMeter measures the CPU a worker and the Temporal server use over a round.
type cpuMeter struct {
	worker             *proc.Process
	temporalPID        int
	worker0, temporal0 time.Duration
}

func (r *runner) cpuMeter(worker *proc.Process) *cpuMeter {
	m := &cpuMeter{worker: worker}
	m.worker0, _ = worker.CPU()
	if pid, err := r.e.TemporalPID(); err == nil {
		m.temporalPID = pid
		m.temporal0, _ = proc.CPU(pid)
	}
	return m
}

// perCase returns the worker's and the server's CPU milliseconds per case since the start.
func (m *cpuMeter) perCase(n int) (worker, temporal float64) {
	w, err := m.worker.CPU()
	if err != nil {
		return math.NaN(), math.NaN()
	}
	worker = float64(w-m.worker0) / float64(time.Millisecond) / float64(n)
	temporal = math.NaN()
	if m.temporalPID != 0 {
		if t, err := proc.CPU(m.temporalPID); err == nil {
			temporal = float64(t-m.temporal0) / float64(time.Millisecond) / float64(n)
		}
	}
	return worker, temporal
}

// bareHistory runs one bare ladder and counts its history.
func (r *runner) bareHistory(ctx context.Context, shape bare.LadderInput) (stack.History, error) {
	id := fmt.Sprintf("bare-ladder-probe-%d", r.dbSeq)
	r.dbSeq++
	if _, err := stack.StartWorkflows(ctx, r.e.Temporal, []string{id}, 1, bare.TaskQueue, bare.LadderWorkflow, func(string) any { return shape }); err != nil {
		return stack.History{}, err
	}
	if err := stack.WaitAll(ctx, r.e.Temporal, []string{id}, 1); err != nil {
		return stack.History{}, err
	}
	return stack.HistoryOf(ctx, r.e.Temporal, id)
}
