//go:build integration

package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relance/relance/internal/caseworker/caseworkertest"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

var dev testenv.Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

func TestIntegrationDemoLoadsAndRerunsCleanly(t *testing.T) {
	st := testenv.Postgres(t)
	tc := dev.Client(t)
	logger := slog.New(slog.DiscardHandler)
	cases, _ := caseworkertest.Start(t, tc, st, "demo-test")

	ctx := context.Background()
	tokens := filepath.Join(t.TempDir(), ".dev", "demo-tokens.txt")
	count := func(sql string) int {
		var n int
		if err := st.Pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for run := range 2 {
		if err := loadDemo(ctx, st, cases, tokens, logger); err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if n := count(`SELECT count(*) FROM invoices`); n != 6 {
			t.Fatalf("run %d: %d invoices, want 6", run+1, n)
		}
		if n := count(`SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL`); n != 5 {
			t.Fatalf("run %d: %d live tokens, want 5", run+1, n)
		}
		// Two collectors, a manager and an admin sign in to the console with the printed password.
		if n := count(`SELECT count(*) FROM users WHERE password_hash IS NOT NULL`); n != 4 {
			t.Fatalf("run %d: %d demo accounts, want 4", run+1, n)
		}
	}
	accounts, err := os.ReadFile(filepath.Join(filepath.Dir(tokens), "demo-accounts.txt"))
	if err != nil || !strings.Contains(string(accounts), "alice@relance.example") || !strings.Contains(string(accounts), demoPassword) {
		t.Errorf("demo-accounts.txt = %q, %v; want the accounts and their password", accounts, err)
	}
	// Every invoice has its case from import, the one due next month too
	// (asleep until its reminder). Intake starts cases without waiting for
	// the worker: each case is in the projection once it has loaded its facts.
	cased := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cased = count(`SELECT count(*) FROM cases`); cased >= 6 {
			break
		}
	}
	if cased != 6 {
		t.Errorf("%d cases, want 6", cased)
	}
	if n := count(`SELECT count(*) FROM cases c JOIN invoices i ON i.id = c.invoice_id
		WHERE i.due_date > current_date AND c.status = 'active' AND (c.next_action_at AT TIME ZONE 'UTC') = (i.due_date - 3)::timestamp`); n != 1 {
		t.Errorf("%d cases of a future invoice asleep until its reminder on D-3, want 1", n)
	}
	// Once every demo case has ended, the next run brings a new batch to watch.
	if _, err := st.Pool.Exec(ctx, `UPDATE invoices SET status = 'agency' WHERE status = 'open'`); err != nil {
		t.Fatal(err)
	}
	if err := loadDemo(ctx, st, cases, tokens, logger); err != nil {
		t.Fatalf("run after the cases ended: %v", err)
	}
	if n := count(`SELECT count(*) FROM invoices WHERE number LIKE 'DEMO-B002-%' AND status = 'open'`); n != 6 {
		t.Errorf("%d open invoices in the second batch, want 6", n)
	}
	if n := count(`SELECT count(*) FROM channel_consents WHERE debtor_id = 'demo-garage' AND channel = 'email' AND NOT opted_in`); n != 1 {
		t.Error("the garage is not opted out of e-mail")
	}
	if n := count(`SELECT count(DISTINCT language) FROM debtors`); n != 2 {
		t.Error("the demo debtors do not speak both languages")
	}
	raw, err := os.ReadFile(tokens)
	if err != nil {
		t.Fatal(err)
	}
	// Each secret in the file is a live token (the first run's are revoked).
	var secrets int
	for _, line := range strings.Split(string(raw), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := store.LookupToken(ctx, st.Pool, fields[len(fields)-1]); err != nil {
			t.Errorf("token %s in the file does not work: %v", fields[0], err)
		}
		secrets++
	}
	if secrets != 5 {
		t.Errorf("%d tokens in the file, want 5", secrets)
	}
}
