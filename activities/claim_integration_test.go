//go:build integration

package activities

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// coverRatesUntilNow adds test figures for the half-years after the shipped
// table up to today's, so tests on the real clock compute interest.
func coverRatesUntilNow(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	rows, err := store.InterestRates(ctx, st.Pool)
	if err != nil || len(rows) == 0 {
		t.Fatalf("rates: %v", err)
	}
	now := domain.HalfYearOf(time.Now())
	for h := rows[len(rows)-1].Half.Next(); !now.Before(h); h = h.Next() {
		if _, err := store.PutInterestRates(ctx, st.Pool, domain.HalfYearRates{Half: h, ECBRefiBP: 215, LegalOtherBP: 262,
			LegalIndividualBP: 667, Source: "test figures"}); err != nil {
			t.Fatal(err)
		}
	}
}

// seedDatedInvoice is seedInvoice's invoice of 1 234,56 € due on a fixed date.
func seedDatedInvoice(t *testing.T, st *store.Store, business bool, due time.Time) seed {
	t.Helper()
	s := seedInvoice(t, st, "is_business = $2", business)
	if _, err := st.Pool.Exec(context.Background(), `UPDATE invoices SET issue_date = $2, due_date = $3 WHERE id = $1`,
		s.invoiceID, due.AddDate(0, -1, 0), due); err != nil {
		t.Fatal(err)
	}
	return s
}

// A consumer's formal notice starts interest at the legal rate (C. civ.
// 1231-6, C. monét. fin. L313-2) and claims no 40 € indemnity; the next
// notice states the interest run since that notice at the half-year's rate.
func TestIntegrationConsumerInterestRunsFromTheFormalNotice(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	a := newChannels(t, st, nil)
	s := seedDatedInvoice(t, st, false, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))

	a.now = func() time.Time { return time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC) }
	res, err := a.SendMessage(ctx, s.send(domain.ChannelRegisteredLetter, "c-notice", "formal_notice"))
	if err != nil || !res.Sent {
		t.Fatalf("formal notice: %+v, %v", res, err)
	}
	text := pdfText(t, filepath.Join(a.cfg.OutboxDir, "letters", res.InteractionID+".pdf"))
	for _, w := range []string{"1231-6", "L313-2", "la présente mise en demeure fait courir des intérêts au taux légal", "2,62\u00a0%"} {
		if !strings.Contains(text, w) {
			t.Errorf("consumer formal notice lacks %q:\n%s", w, text)
		}
	}
	for _, w := range []string{"L441-10", "40,00", "12,15"} {
		if strings.Contains(text, w) {
			t.Errorf("consumer formal notice states %q (business rules):\n%s", w, text)
		}
	}

	// 2 February – 3 March 2026: 30 days at 2.62 % on 1 234,56 € = 2.658… → 2,66 €.
	a.now = func() time.Time { return time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC) }
	res, err = a.SendMessage(ctx, s.send(domain.ChannelRegisteredLetter, "c-second", "second_notice"))
	if err != nil || !res.Sent {
		t.Fatalf("second notice: %+v, %v", res, err)
	}
	text = pdfText(t, filepath.Join(a.cfg.OutboxDir, "letters", res.InteractionID+".pdf"))
	for _, w := range []string{"depuis notre mise en demeure du 1er février 2026", "2,62\u00a0% l'an", "2,66\u00a0€", "1\u00a0237,22\u00a0€"} {
		if !strings.Contains(text, w) {
			t.Errorf("consumer second notice lacks %q:\n%s", w, text)
		}
	}
}

// A half-year missing from the table is never guessed: the notice names
// the legal basis without a rate or an amount, the agency pack says why
// its interest is not stated, and the 40 € indemnity is still claimed.
func TestIntegrationMissingRateIsNotGuessed(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	a := newChannels(t, st, nil)
	s := seedDatedInvoice(t, st, true, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if _, err := st.Pool.Exec(ctx, `DELETE FROM interest_rates WHERE half_year_start >= '2026-07-01'`); err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC) }
	res, err := a.SendMessage(ctx, s.send(domain.ChannelRegisteredLetter, "m-notice", "formal_notice"))
	if err != nil || !res.Sent {
		t.Fatalf("formal notice: %+v, %v", res, err)
	}
	text := pdfText(t, filepath.Join(a.cfg.OutboxDir, "letters", res.InteractionID+".pdf"))
	for _, w := range []string{"L441-10", "majoré de 10 points.", "40,00\u00a0€", "1\u00a0274,56\u00a0€"} {
		if !strings.Contains(text, w) {
			t.Errorf("notice lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "Intérêts de retard") || strings.Contains(text, "à ce jour") {
		t.Errorf("notice states interest without a rate:\n%s", text)
	}
	if _, err := a.HandOffToAgency(ctx, domain.HandoffInput{InvoiceID: s.invoiceID, DebtorID: s.debtorID, IdempotencyKey: "m-agency"}); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := st.Pool.QueryRow(ctx, `SELECT pack FROM agency_handoffs WHERE idempotency_key = 'm-agency'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var p struct{ Amounts domain.ClaimSplit }
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Amounts.RatesMissing, "2026-H2") || p.Amounts.InterestCents != 0 || p.Amounts.FeesCents != 4000 ||
		p.Amounts.TotalCents != 127_456 {
		t.Errorf("pack amounts = %+v", p.Amounts)
	}
}

// No agency may be asked to collect a prescribed claim: a consumer
// invoice due on 10 January 2024 prescribed after 10 January 2026 (C.
// consom. L218-2), unless a part payment started a new period (C. civ. 2240).
func TestIntegrationNoHandoffPastPrescription(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	a := newChannels(t, st, nil)
	a.now = func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	s := seedDatedInvoice(t, st, false, time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC))
	in := domain.HandoffInput{InvoiceID: s.invoiceID, DebtorID: s.debtorID, IdempotencyKey: "p-agency"}
	_, err := a.HandOffToAgency(ctx, in)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || !strings.Contains(err.Error(), "prescribed after 2026-01-10") {
		t.Fatalf("handoff of a prescribed claim: %v, want a non-retryable refusal", err)
	}
	var n int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM agency_handoffs WHERE invoice_id = $1`, s.invoiceID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d handoffs written (%v)", n, err)
	}
	// A part payment on 5 June 2025 moved the end to 5 June 2027.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at)
		VALUES ('pay-p', $1, 'manual', 1000, 'EUR', '2025-06-05T10:00:00Z')`, s.debtorID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ('pay-p', $1, 1000)`,
		s.invoiceID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.HandOffToAgency(ctx, in); err != nil {
		t.Fatalf("handoff after a part payment interrupted the period: %v", err)
	}
}
