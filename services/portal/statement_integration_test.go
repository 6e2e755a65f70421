//go:build integration

package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relance/relance/internal/rfref"
	"github.com/relance/relance/internal/statement"
)

// The statement lists each open invoice, what was paid and credited on
// it, with a running balance equal to what is left; the transfer page
// gives the IBAN and a valid RF reference, the same on every visit.
func TestIntegrationPortalStatementAndTransfer(t *testing.T) {
	d := newDBPortal(t)
	d.p.Settings.IBAN, d.p.Settings.BIC = "FR7630006000011234567890189", "AGRIFRPPXXX"
	d.debtor("d-st", map[string]int64{"F-ST-1": 100_00, "F-ST-2": 50_00})
	ctx := context.Background()
	if _, err := d.st.Pool.Exec(ctx, `
		INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at) VALUES ('bank:1', 'd-st', 'bank', 3000, 'EUR', now());
		INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ('bank:1', 'inv-F-ST-1', 3000);
		INSERT INTO credit_notes (id, invoice_id, amount_cents, currency) VALUES ('AV-1', 'inv-F-ST-1', 1000, 'EUR');
		UPDATE invoices SET balance_cents = 6000 WHERE id = 'inv-F-ST-1'`); err != nil {
		t.Fatal(err)
	}
	st, err := statement.Build(ctx, d.st.Pool, "d-st", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != 1 || st.Accounts[0].BalanceCents != 110_00 || len(st.Accounts[0].Lines) != 4 {
		t.Fatalf("statement %+v", st)
	}
	_, link := d.link("d-st", time.Hour)
	code, page := get(t, link+"/statement")
	if code != http.StatusOK || !strings.Contains(page, `id="statement-total-EUR">110,00`) || !strings.Contains(page, "Avoir") {
		t.Errorf("statement page: %d\n%s", code, page)
	}
	code, page = get(t, link+"/transfer/F-ST-2")
	if code != http.StatusOK || !strings.Contains(page, "FR7630006000011234567890189") {
		t.Fatalf("transfer page: %d", code)
	}
	i := strings.Index(page, `<dd id="rf"><strong>`)
	if i < 0 {
		t.Fatalf("no reference on the transfer page")
	}
	printed := page[i+len(`<dd id="rf"><strong>`):]
	printed = printed[:strings.Index(printed, "<")]
	if _, err := rfref.Parse(printed); err != nil {
		t.Errorf("reference %q: %v", printed, err)
	}
	if _, again := get(t, link+"/transfer/F-ST-2"); !strings.Contains(again, printed) {
		t.Errorf("the reference changed between two visits")
	}
	if code, _ := get(t, link+"/transfer/F-OTHER"); code != http.StatusNotFound {
		t.Errorf("transfer page of an unknown invoice: %d", code)
	}
}
