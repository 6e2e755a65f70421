//go:build integration

package pgtext

import (
	"context"
	"testing"

	"github.com/relance/relance/internal/testenv"
)

// Postgres itself is the reference: every case CheckJSON accepts is stored
// in jsonb, every case it refuses is refused by Postgres too.
func TestIntegrationCheckJSONAgreesWithPostgres(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	for _, tc := range jsonCases {
		var out []byte
		pgErr := st.Pool.QueryRow(ctx, `SELECT $1::jsonb`, []byte(tc.body)).Scan(&out)
		if (pgErr == nil) != tc.storable {
			t.Errorf("%s: Postgres says %v, case says storable %v", tc.name, pgErr, tc.storable)
		}
		if err := CheckJSON([]byte(tc.body)); (err == nil) != (pgErr == nil) {
			t.Errorf("%s: CheckJSON %v, Postgres %v", tc.name, err, pgErr)
		}
	}
}
