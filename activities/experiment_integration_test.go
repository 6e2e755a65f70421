//go:build integration

package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/relance/relance/internal/analytics"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// TestIntegrationChampionChallengerAssignment starts 60 cases on a
// champion sending half its new cases to a challenger: each case loads
// the policy of the arm its draw gives, the arm is recorded once, and the
// report compares the arms.
func TestIntegrationChampionChallengerAssignment(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := store.SeedPolicies(ctx, st.Pool, domain.DefaultPolicy(), domain.DemoPolicy()); err != nil {
		t.Fatal(err)
	}
	firm := domain.DefaultPolicy()
	firm.Name, firm.Segments = "firm-b2b", []string{"never-chosen-on-its-own"}
	if _, err := store.SavePolicy(ctx, st.Pool, firm, "test"); err != nil {
		t.Fatal(err)
	}
	champion := domain.DefaultPolicy()
	champion.Challenger, champion.ChallengerPercent = "firm-b2b", 50
	if champion, _ = store.SavePolicy(ctx, st.Pool, champion, "test"); champion.Version != 2 {
		t.Fatalf("champion saved as v%d, want v2", champion.Version)
	}
	exec(`INSERT INTO debtors (id, name) VALUES ('d1', 'Un')`)
	a := &CaseActivities{Store: st}
	arms := map[string]int{}
	for i := range 60 {
		id := fmt.Sprintf("inv_%02d", i)
		exec(`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			VALUES ($1, 'd1', $1, '2026-01-01', '2026-01-31', 'EUR', 10000, 10000)`, id)
		facts, err := a.LoadCase(ctx, domain.LoadCaseInput{InvoiceID: id})
		if err != nil {
			t.Fatal(err)
		}
		want := domain.AssignArm(champion, id)
		wantPolicy := map[string]string{domain.ArmChampion: "standard-b2b", domain.ArmChallenger: "firm-b2b"}[want]
		if facts.Policy.Name != wantPolicy {
			t.Fatalf("%s: runs on %s, its draw says %s (%s)", id, facts.Policy.Name, want, wantPolicy)
		}
		arms[want]++
		// A retried load keeps the arm.
		again, err := a.LoadCase(ctx, domain.LoadCaseInput{InvoiceID: id})
		if err != nil || again.Policy.Name != facts.Policy.Name {
			t.Fatalf("%s: reloaded on %s (%v), first on %s", id, again.Policy.Name, err, facts.Policy.Name)
		}
		// Pay the champion's cases with an even number, every challenger case.
		if want == domain.ArmChallenger || i%2 == 0 {
			exec(`INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at) VALUES ($1, 'd1', 'bank', 10000, 'EUR', now())`, "p"+id)
			exec(`INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, 10000)`, "p"+id, id)
		}
	}
	var recorded int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM case_assignments WHERE experiment = 'standard-b2b' AND share_percent = 50`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 60 || arms[domain.ArmChallenger] == 0 || arms[domain.ArmChampion] == 0 {
		t.Fatalf("%d assignments recorded, arms %v", recorded, arms)
	}

	today := analyticsToday()
	r, err := analytics.ChampionChallenger(ctx, st.Pool, analytics.Query{Period: analytics.Period{From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 1)},
		Filter: analytics.Filter{Policy: "standard-b2b"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Champion.Cases != arms[domain.ArmChampion] || r.Challenger.Cases != arms[domain.ArmChallenger] || r.Challenger.Paid != r.Challenger.Cases ||
		r.Challenger.Policy != "firm-b2b" || r.RecoveryRate.Difference == nil || *r.RecoveryRate.Difference <= 0 {
		t.Errorf("report = %+v", r)
	}
}

// analyticsToday is today's Paris date at midnight UTC.
func analyticsToday() time.Time {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		loc = time.UTC
	}
	y, m, d := time.Now().In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
