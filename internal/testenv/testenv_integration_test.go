//go:build integration

package testenv

import (
	"context"
	"os"
	"testing"

	"go.temporal.io/api/workflowservice/v1"
)

var dev Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

func TestIntegrationPostgresIsolated(t *testing.T) {
	a, b := Postgres(t), Postgres(t)
	ctx := context.Background()
	if _, err := a.Pool.Exec(ctx, `INSERT INTO collectors (id, name) VALUES ('c1', 'Alice')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM collectors`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second database sees %d collectors of the first", n)
	}
}

func TestIntegrationTemporalSearchAttributes(t *testing.T) {
	c := dev.Client(t)
	if _, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
		Query: `CaseStatus = "active" AND AmountDueCents > 0 AND NextActionAt > "2020-01-01T00:00:00Z"`,
	}); err != nil {
		t.Fatalf("query on custom search attributes: %v", err)
	}
}
