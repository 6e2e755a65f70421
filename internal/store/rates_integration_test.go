//go:build integration

package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// The shipped rates form a table without gaps, and a computation over them
// gives the worked examples' figures.
func TestIntegrationShippedRateTable(t *testing.T) {
	st := testenv.Postgres(t)
	table, err := store.RateTable(context.Background(), st.Pool)
	if err != nil {
		t.Fatal(err)
	}
	rows := table.Rows()
	if len(rows) != 5 || rows[0].Half != (domain.HalfYear{Year: 2024}) {
		t.Fatalf("shipped rows = %+v", rows)
	}
	li, err := domain.ComputeLateInterest(domain.NewMoney(1_000_000, "EUR"),
		domain.InterestTerms{Business: true, DueDate: time.Date(2025, 5, 15, 0, 0, 0, 0, time.UTC)},
		time.Date(2025, 8, 14, 0, 0, 0, 0, time.UTC), table)
	if err != nil || li.InterestCents != 31_552 {
		t.Errorf("worked example on the shipped table: %+v, %v", li, err)
	}
	// A gap stored in Postgres (rows deleted by hand) is an error to load.
	if _, err := st.Pool.Exec(context.Background(), `DELETE FROM interest_rates WHERE half_year_start = '2025-01-01'`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RateTable(context.Background(), st.Pool); err == nil {
		t.Error("a table with a gap loaded")
	}
}
