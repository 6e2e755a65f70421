//go:build integration

package blockwatch

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/relance/relance/internal/analytics"
	"github.com/relance/relance/internal/outhook"
	"github.com/relance/relance/internal/testenv"
)

func TestIntegrationBlockSignalAnnouncedOncePerChange(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	today := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	now := today.Add(9 * time.Hour)
	// d1 owes 1,000 (not yet due) on a 900 limit: blocked. d2 owes nothing: never announced.
	exec(`INSERT INTO debtors (id, name, credit_limit_cents) VALUES ('d1', 'Un', 90000), ('d2', 'Deux', NULL)`)
	exec(`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
		VALUES ('i1', 'd1', 'F1', '2026-03-01', '2026-03-31', 'EUR', 100000, 100000)`)

	sync := func(want int) {
		t.Helper()
		now = now.Add(time.Minute) // each announcement at its own instant
		n, err := Sync(ctx, st, today, now, analytics.DefaultBlockBelow)
		if err != nil || n != want {
			t.Fatalf("Sync announced %d (%v), want %d", n, err, want)
		}
	}
	sync(1)
	sync(0) // unchanged: nothing more
	// A credit note of 200 brings the debt under the limit: unblocked.
	exec(`INSERT INTO credit_notes (id, invoice_id, amount_cents, currency, created_at) VALUES ('cn1', 'i1', 20000, 'EUR', '2026-03-09T10:00:00Z')`)
	sync(1)
	sync(0)

	log, err := outhook.List(ctx, st.Pool, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Event != EventUnblocked || log[1].Event != EventBlocked {
		t.Fatalf("queued = %+v, want blocked then unblocked for d1 only", log)
	}
	var ev struct {
		Type string
		Data Signal
	}
	if err := json.Unmarshal(log[1].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != EventBlocked || ev.Data.DebtorID != "d1" || !ev.Data.Blocked || ev.Data.OpenCents != 100000 ||
		len(ev.Data.Reasons) != 1 || ev.Data.Reasons[0] != "over_credit_limit" || *ev.Data.CreditLimitCents != 90000 {
		t.Errorf("blocked event = %+v", ev)
	}
}
