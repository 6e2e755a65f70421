package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/relance/relance/bench/internal/env"
	"github.com/relance/relance/bench/internal/report"
	"github.com/relance/relance/bench/internal/stack"
)

// runner holds one run's environment and sizes.
type runner struct {
	e     *env.Env
	s     sizes
	st    *stack.Stack
	dbSeq int
}

func newRunner(ctx context.Context, e *env.Env, s sizes, logDir string) (*runner, error) {
	fmt.Println("building binaries…")
	st, err := stack.New(ctx, e, logDir)
	if err != nil {
		return nil, err
	}
	for name := range stack.Packages {
		if err := st.Missing(name); err != nil {
			fmt.Printf("  %s: not available (%v)\n", name, firstLine(err))
		}
	}
	return &runner{e: e, s: s, st: st}, nil
}

func (r *runner) close() {}

// newDatabase makes a fresh migrated database for one benchmark.
func (r *runner) newDatabase(ctx context.Context, what string) (string, error) {
	r.dbSeq++
	return r.e.PG.CreateDatabase(ctx, fmt.Sprintf("bench_%s_%d_%d", what, time.Now().Unix(), r.dbSeq))
}

func firstLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

// missingRow reports a figure whose own side cannot run (yet).
func missingRow(name, unit string, baseline float64, target string, why error) report.Row {
	return report.Row{Name: name, Unit: unit, Ours: math.NaN(), Baseline: baseline, Target: target,
		Note: "ours not measured: " + firstLine(why)}
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return math.NaN()
	}
	return float64(n) / d.Seconds()
}

func logf(format string, args ...any) {
	fmt.Printf("  "+format+"\n", args...)
}
