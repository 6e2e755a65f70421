package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
)

// InterestRates returns every half-year's late-payment rates, oldest first.
func InterestRates(ctx context.Context, q Querier) ([]domain.HalfYearRates, error) {
	rows, err := q.Query(ctx, `SELECT half_year_start, ecb_refi_bp, legal_other_bp, legal_individual_bp, source
		FROM interest_rates ORDER BY half_year_start`)
	if err != nil {
		return nil, fmt.Errorf("list interest rates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.HalfYearRates, error) {
		var x domain.HalfYearRates
		var start time.Time
		if err := r.Scan(&start, &x.ECBRefiBP, &x.LegalOtherBP, &x.LegalIndividualBP, &x.Source); err != nil {
			return x, err
		}
		x.Half = domain.HalfYearOf(start)
		return x, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list interest rates: %w", err)
	}
	return out, nil
}

// RateTable loads the rates as a checked table: a gap between two stored
// half-years is an error (domain.ErrRateMissing).
func RateTable(ctx context.Context, q Querier) (domain.RateTable, error) {
	rows, err := InterestRates(ctx, q)
	if err != nil {
		return domain.RateTable{}, err
	}
	return domain.NewRateTable(rows)
}

// PutInterestRates adds or corrects one half-year's rates and returns the
// previous figures (nil when the half-year is new).
func PutInterestRates(ctx context.Context, q Querier, r domain.HalfYearRates) (*domain.HalfYearRates, error) {
	var before *domain.HalfYearRates
	var old domain.HalfYearRates
	err := q.QueryRow(ctx, `SELECT ecb_refi_bp, legal_other_bp, legal_individual_bp, source FROM interest_rates
		WHERE half_year_start = $1 FOR UPDATE`, r.Half.Start()).Scan(&old.ECBRefiBP, &old.LegalOtherBP, &old.LegalIndividualBP, &old.Source)
	switch {
	case err == nil:
		old.Half = r.Half
		before = &old
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("read interest rates of %s: %w", r.Half, err)
	}
	_, err = q.Exec(ctx, `INSERT INTO interest_rates (half_year_start, ecb_refi_bp, legal_other_bp, legal_individual_bp, source)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (half_year_start) DO UPDATE SET ecb_refi_bp = excluded.ecb_refi_bp, legal_other_bp = excluded.legal_other_bp,
			legal_individual_bp = excluded.legal_individual_bp, source = excluded.source, updated_at = now()`,
		r.Half.Start(), r.ECBRefiBP, r.LegalOtherBP, r.LegalIndividualBP, r.Source)
	if err != nil {
		return nil, fmt.Errorf("put interest rates of %s: %w", r.Half, err)
	}
	return before, nil
}
