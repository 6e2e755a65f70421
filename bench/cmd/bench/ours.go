package main

import (
	"context"
	"errors"
	"math"

	"github.com/relance/relance/bench/internal/stack"
)

// ladderOurs runs rounds of cases on the real worker.
type ladderOurs struct{}

func (r *runner) newLadderOurs(ctx context.Context) (*ladderOurs, error) {
	if err := r.st.Missing("worker"); err != nil {
		return nil, err
	}
	return nil, errors.New("ladder on the real worker not wired yet")
}

func (o *ladderOurs) probe(ctx context.Context) (stack.History, error) {
	return stack.History{}, errors.New("not wired")
}

func (o *ladderOurs) round(ctx context.Context, round, n int) (float64, int, error) {
	return math.NaN(), 0, errors.New("not wired")
}

func (o *ladderOurs) close() {}
