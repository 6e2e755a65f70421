package main

import (
	"context"
	"fmt"
	"math"

	"github.com/relance/relance/bench/internal/bare"
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
	var oursRates, baseRates []float64
	for round := range r.s.rounds {
		if ours != nil {
			v, wrong, err := ours.round(ctx, round, r.s.ladderN)
			if err != nil {
				oursErr, ours = err, nil
			} else {
				logf("round %d ours: %.1f cases/s (%d cases ended in a wrong state)", round+1, v, wrong)
				oursRates = append(oursRates, v)
			}
		}
		v, err := r.bareLadderRound(ctx, round, r.s.ladderN, shape)
		if err != nil {
			return []report.Row{missingRow(name, unit, math.NaN(), target, fmt.Errorf("baseline: %w", err))}
		}
		logf("round %d baseline: %.1f cases/s", round+1, v)
		baseRates = append(baseRates, v)
	}
	bareHist, _ := r.bareHistory(ctx, shape)
	logf("a bare ladder's history: %d events (%s)", bareHist.Events, bareHist.Breakdown())
	row := report.Row{Name: name, Unit: unit, Ours: report.Median(oursRates), Baseline: report.Median(baseRates), Target: target,
		Note: fmt.Sprintf("n=%d per round, %d rounds, rung offset %s, baseline %d activities + %d local + %d timers", r.s.ladderN, r.s.rounds, r.s.ladderStep, shape.Activities, shape.LocalActivities, shape.Timers)}
	hist := report.Row{Name: "ladder-history-events", Unit: "events/case", Ours: float64(oursHist.Events), Baseline: float64(bareHist.Events), Target: "ours<=60"}
	if oursErr != nil {
		row = missingRow(name, unit, row.Baseline, target, oursErr)
		hist = missingRow(hist.Name, hist.Unit, hist.Baseline, hist.Target, oursErr)
	} else {
		row.Met = report.Verdict(row.Ratio() >= 0.8)
		hist.Met = report.Verdict(hist.Ours <= 60)
	}
	return []report.Row{row, hist}
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
