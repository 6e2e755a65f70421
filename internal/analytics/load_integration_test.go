//go:build integration

package analytics

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is the instant of a Paris wall-clock time on a date.
func at(day time.Time, hour, minute int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, paris)
}

// owner says whose each worked-example invoice is: debtor d1 (segment
// smb, collector c-alice, policy standard-b2b) or d2 (segment key,
// collector c-bob, policy key-account); G's case was reassigned to c-alice.
var owner = map[string]string{"A": "d1", "B": "d1", "C": "d1", "D": "d1", "E": "d1",
	"F": "d2", "G": "d2", "H": "d2", "I": "d2", "U": "d2"}

// seed writes the worked example into Postgres the way the services do:
// invoices with their status, payments and their allocations, credit
// notes, the write-off on the case timeline, promises, plans, disputes.
// Times are chosen near Paris midnight, so a date taken in UTC would be wrong.
func seed(t *testing.T, st *store.Store, facts Facts) {
	t.Helper()
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO collectors (id, name) VALUES ('c-alice', 'Alice'), ('c-bob', 'Bob')`)
	exec(`INSERT INTO debtors (id, name, segment, collector_id) VALUES ('d1', 'Un', 'smb', 'c-alice'), ('d2', 'Deux', 'key', 'c-bob')`)
	exec(`INSERT INTO policies (name, version, definition) VALUES ('standard-b2b', 1, '{}'), ('key-account', 1, '{}'), ('unused', 1, '{}')`)
	for _, inv := range facts.Invoices {
		bal := inv.BalanceAt(d("2026-03-31"))
		status := "open"
		switch {
		case inv.AtAgency:
			status = "agency"
		case !inv.WrittenOff.IsZero():
			status = "written_off"
			bal = inv.writeOffCents()
		case bal == 0 && !inv.settledOn().IsZero():
			status = "paid"
		case bal == 0:
			status = "credited"
		}
		exec(`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents, status)
			VALUES ($1, $2, $1, $3, $4, $5, $6, $7, $8)`, inv.ID, owner[inv.ID], inv.Issued, inv.Due, inv.Currency, inv.AmountCents, bal, status)
		policy, collector := "standard-b2b", any(nil)
		if owner[inv.ID] == "d2" {
			policy = "key-account"
		}
		if inv.ID == "G" {
			collector = "c-alice"
		}
		exec(`INSERT INTO cases (invoice_id, workflow_id, debtor_id, status, policy_name, collector_id, currency, closed_at)
			VALUES ($1, 'invoice:' || $1, $2, $3, $4, $5, $6, $7)`, inv.ID, owner[inv.ID], status, policy, collector, inv.Currency,
			at(d("2026-03-20"), 12, 0))
		for i, m := range inv.Movements {
			id := fmt.Sprintf("%s-%d", inv.ID, i)
			if m.Kind == Payment {
				// 00:30 in Paris is the day before in UTC.
				exec(`INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at) VALUES ($1, $2, 'bank', $3, $4, $5)`,
					id, owner[inv.ID], m.Cents, inv.Currency, at(m.On, 0, 30))
				exec(`INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)`, id, inv.ID, m.Cents)
			} else {
				exec(`INSERT INTO credit_notes (id, invoice_id, amount_cents, currency, created_at) VALUES ($1, $2, $3, $4, $5)`,
					id, inv.ID, m.Cents, inv.Currency, at(m.On, 23, 50))
			}
		}
		if !inv.WrittenOff.IsZero() {
			exec(`INSERT INTO case_events (invoice_id, debtor_id, kind, message, occurred_at) VALUES ($1, $2, 'written_off', 'x', $3)`,
				inv.ID, owner[inv.ID], at(inv.WrittenOff, 0, 15))
		}
	}
	// A cancelled invoice is never a receivable.
	exec(`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents, status)
		VALUES ('X', 'd1', 'X', '2026-02-02', '2026-02-10', 'EUR', 99900, 99900, 'cancelled')`)
	for i, p := range facts.Promises {
		var resolved any
		if !p.Resolved.IsZero() {
			resolved = at(p.Resolved, 0, 5)
		}
		exec(`INSERT INTO promises (id, invoice_id, amount_cents, currency, promised_date, status, resolved_at)
			VALUES ($1, 'C', 100, $2, '2026-02-01', $3, $4)`, fmt.Sprint("p", i), p.Currency, p.Status, resolved)
	}
	for i, p := range facts.Plans {
		var resolved any
		if !p.Resolved.IsZero() {
			resolved = at(p.Resolved, 23, 55)
		}
		exec(`INSERT INTO payment_plans (id, invoice_id, status, resolved_at) VALUES ($1, 'F', $2, $3)`, fmt.Sprint("pl", i), p.Status, resolved)
	}
	for i, dp := range facts.Disputes {
		var resolved any
		status := "open"
		if !dp.Resolved.IsZero() {
			resolved, status = dp.Resolved, "resolved_for_debtor"
		}
		exec(`INSERT INTO disputes (id, invoice_id, amount_cents, reason, status, opened_at, resolved_at) VALUES ($1, $2, 100, 'r', $3, $4, $5)`,
			fmt.Sprint("dp", i), dp.InvoiceID, status, dp.Opened, resolved)
	}
}

// TestIntegrationKPIReportFromPostgres checks that what Load reads from
// the tables gives the worked example's answers, whole and filtered.
func TestIntegrationKPIReportFromPostgres(t *testing.T) {
	st := testenv.Postgres(t)
	facts, p := february()
	seed(t, st, facts)
	ctx := context.Background()

	pick := func(keep func(id string) bool) Facts {
		var out Facts
		for _, inv := range facts.Invoices {
			if keep(inv.ID) {
				out.Invoices = append(out.Invoices, inv)
			}
		}
		if keep("C") { // the promises are on C, the plans on F
			out.Promises = facts.Promises
		}
		if keep("F") {
			out.Plans = facts.Plans
		}
		for _, dp := range facts.Disputes {
			if keep(dp.InvoiceID) {
				out.Disputes = append(out.Disputes, dp)
			}
		}
		return out
	}
	cases := []struct {
		name   string
		filter Filter
		want   Facts
	}{
		{"everything", Filter{}, facts},
		{"usd", Filter{Currency: "USD"}, pick(func(id string) bool { return id == "U" })},
		{"segment key", Filter{Segment: "key"}, pick(func(id string) bool { return owner[id] == "d2" })},
		{"collector alice (and G, reassigned)", Filter{Collector: "c-alice"}, pick(func(id string) bool { return owner[id] == "d1" || id == "G" })},
		{"policy key-account in EUR", Filter{Policy: "key-account", Currency: "EUR"}, pick(func(id string) bool { return owner[id] == "d2" && id != "U" })},
		{"a policy nothing runs on", Filter{Policy: "unused"}, Facts{}},
	}
	for _, c := range cases {
		r, err := KPIReport(ctx, st.Pool, Query{Period: p, Filter: c.filter})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := Compute(c.want, p)
		if want == nil {
			want = []KPIs{}
		}
		if !reflect.DeepEqual(r.Currencies, want) {
			t.Errorf("%s: from Postgres\n%+v\nwant\n%+v", c.name, r.Currencies, want)
		}
	}
	// The whole report still holds the hand-computed figures (not only
	// agreeing with Compute): B at the agency is owed, X cancelled is not.
	r, err := KPIReport(ctx, st.Pool, Query{Period: p})
	if err != nil {
		t.Fatal(err)
	}
	if eur := r.Currencies[0]; eur.ReceivablesCents != 270000 || eur.AgencyReceivablesCents != 40000 || eur.SalesCents != 325000 ||
		eur.WrittenOffCents != 60000 || eur.CreditedCents != 35000 {
		t.Errorf("EUR from Postgres = %+v", eur)
	}

	for _, f := range []Filter{{Segment: "nope"}, {Collector: "c-nobody"}, {Policy: "nope"}} {
		_, err := KPIReport(ctx, st.Pool, Query{Period: p, Filter: f})
		if err == nil {
			t.Errorf("filter %+v naming nothing: no error", f)
		}
	}
}

// TestIntegrationEffectivenessFromPostgres writes the synthetic March
// history as interactions, payments and credit notes and checks the
// report read from Postgres gives the known answers.
func TestIntegrationEffectivenessFromPostgres(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	actions, invoices, p, now := march()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO collectors (id, name) VALUES ('c-a', 'A'), ('c-b', 'B')`)
	exec(`INSERT INTO debtors (id, name, collector_id) VALUES ('da', 'A', 'c-a'), ('db', 'B', 'c-b')`)
	debtor := map[string]string{"P1": "da", "P3": "da", "U1": "da", "P2": "db", "P4": "db"}
	for _, inv := range invoices {
		exec(`INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			VALUES ($1, $2, $1, '2026-01-15', '2026-02-14', $3, $4, $4)`, inv.ID, debtor[inv.ID], inv.Currency, inv.AmountCents)
		for i, m := range inv.Movements {
			id := fmt.Sprintf("%s-%d", inv.ID, i)
			if m.Kind == Payment {
				exec(`INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at) VALUES ($1, $2, 'bank', $3, $4, $5)`,
					id, debtor[inv.ID], m.Cents, inv.Currency, m.At)
				exec(`INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)`, id, inv.ID, m.Cents)
			} else {
				exec(`INSERT INTO credit_notes (id, invoice_id, amount_cents, currency, created_at) VALUES ($1, $2, $3, $4, $5)`,
					id, inv.ID, m.Cents, inv.Currency, m.At)
			}
		}
	}
	for i, a := range actions {
		exec(`INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, rung, template, status, sent_at)
			VALUES ($1, $1, $2, $3, $4, $5, $6, 'delivered', $7)`, fmt.Sprint("it", i), a.InvoiceID, debtor[a.InvoiceID], a.Channel, a.Rung, a.Template, a.At)
	}
	// Neither a message that never left nor an inbound one is an action.
	exec(`INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, rung, status, created_at)
		VALUES ('skipped', 'skipped', 'P3', 'da', 'sms', 'sms-d6', 'skipped', '2026-03-11T10:00:00Z')`)
	exec(`INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, direction, status, sent_at)
		VALUES ('inbound', 'inbound', 'P3', 'da', 'email', 'inbound', 'delivered', '2026-03-11T10:00:00Z')`)

	r, err := EffectivenessReport(ctx, st.Pool, Query{Period: p}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Effectiveness(actions, invoices, p, now, nil)
	if !reflect.DeepEqual(r.Effects, want) {
		t.Errorf("from Postgres\n%+v\nwant\n%+v", r.Effects, want)
	}
	if len(r.Effects) != 12 || r.Effects[0].Dimension != ByRung {
		t.Errorf("effects = %+v", r.Effects)
	}
	r, err = EffectivenessReport(ctx, st.Pool, Query{Period: p, Filter: Filter{Collector: "c-b"}}, now, []string{ByChannel})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Effects) != 1 || r.Effects[0].Actions != 2 || r.Effects[0].Amount14dCents != 40000 {
		t.Errorf("c-b's channels = %+v", r.Effects)
	}
}
