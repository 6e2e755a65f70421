//go:build integration

package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relance/relance/internal/browsertest"
	"github.com/relance/relance/internal/domain"
)

// TestIntegrationPortalPayOneOfTwoByCardInBrowser: the debtor opens the
// link of its reminder e-mail from the outbox, pays one of its two
// invoices by card through the local checkout page, which posts a signed
// webhook to the real payments service: the ledger books it, the relay
// tells the case, and that case ends paid while the other keeps dunning.
// A card payment started but never confirmed changes nothing.
func TestIntegrationPortalPayOneOfTwoByCardInBrowser(t *testing.T) {
	f := newFixture(t, "portal-pay")
	payments := f.startPayments()
	f.portal.Local = &LocalCheckout{BaseURL: f.srv.URL, WebhookURL: payments + "/v1/webhooks/stripe", Secret: []byte(webhookSecret)}
	f.portal.Checkout = f.portal.Local
	f.serve()
	ids := f.debtor("d-pay", "c-alice", map[string]int64{"F-PAY-1": 1_234_56, "F-PAY-2": 480_00})

	link := f.emailLink(ids["F-PAY-1"])
	ctx := browsertest.New(t, browsertest.Options{Width: 390, Height: 844}) // a phone
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("open the link: %v", err)
	}
	total, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#total-EUR")))
	if err != nil {
		t.Fatalf("read the total: %v", err)
	}
	if total != "1\u00a0714,56\u00a0€" {
		t.Errorf("total %q, want 1 714,56 €", total)
	}
	for _, n := range []string{"F-PAY-1", "F-PAY-2"} {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#inv-"+n)))
		if err != nil || !strings.Contains(text, n) || !strings.Contains(text, "Jours de retard") {
			t.Fatalf("invoice %s on the page: %q, %v", n, text, err)
		}
	}
	browsertest.Screenshot(t, ctx, t.TempDir()+"/home.png")

	// A payment started on F-PAY-2 and abandoned on the checkout page.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#inv-F-PAY-2 form.pay button"))); err != nil {
		t.Fatalf("start paying F-PAY-2: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#checkout-amount"))); err != nil {
		t.Fatalf("checkout page of F-PAY-2: %v", err)
	}

	// F-PAY-1 paid in full.
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.Click(chromedp.CSS("#inv-F-PAY-1 form.pay button"))); err != nil {
		t.Fatalf("pay F-PAY-1: %v", err)
	}
	amount, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#checkout-amount")))
	if err != nil || amount != "1\u00a0234,56\u00a0€" {
		t.Fatalf("checkout amount %q, %v", amount, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#checkout-pay"))); err != nil {
		t.Fatalf("pay on the checkout page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#checkout-done"))); err != nil {
		t.Fatalf("checkout confirmation: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#return"))); err != nil {
		t.Fatalf("back to the portal: %v", err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#flash")))
	if err != nil || !strings.Contains(flash, "paiement") {
		t.Fatalf("confirmation on return: %q, %v", flash, err)
	}

	paid := f.waitCase(ids["F-PAY-1"], "F-PAY-1 paid", func(s domain.CaseState) bool { return s.Status == domain.StatusPaid })
	if paid.PaidCents != 1_234_56 || paid.BalanceCents != 0 {
		t.Errorf("F-PAY-1 paid %d, balance %d", paid.PaidCents, paid.BalanceCents)
	}
	other, err := f.cases.State(f.ctx, ids["F-PAY-2"])
	if err != nil {
		t.Fatal(err)
	}
	if other.Status != domain.StatusActive || other.BalanceCents != 480_00 || other.PaidCents != 0 {
		t.Errorf("F-PAY-2 (payment started, not confirmed): %s, balance %d, paid %d; want active, 48000, 0",
			other.Status, other.BalanceCents, other.PaidCents)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE debtor_id = 'd-pay'`); n != 1 {
		t.Errorf("%d payments booked, want 1", n)
	}
	var meta string
	if err := f.st.Pool.QueryRow(f.ctx, `SELECT payload->'data'->'object'->'metadata'->>'invoice_number' FROM webhook_events
		WHERE provider = 'stripe'`).Scan(&meta); err != nil || meta != "F-PAY-1" {
		t.Errorf("webhook metadata names %q (%v), want F-PAY-1", meta, err)
	}
	// The portal visits are recorded for the case and the score.
	if n := f.count(`SELECT count(*) FROM portal_visits WHERE debtor_id = 'd-pay' AND page = 'home'`); n < 2 {
		t.Errorf("%d home visits recorded, want at least 2", n)
	}

	// The page now shows only F-PAY-2.
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	total, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#total-EUR")))
	if err != nil || total != "480,00\u00a0€" {
		t.Errorf("total after payment %q, %v; want 480,00 €", total, err)
	}
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("home answers %d with Referrer-Policy %q", res.StatusCode, res.Header.Get("Referrer-Policy"))
	}
	_ = time.Second
}
