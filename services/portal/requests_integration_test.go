//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relance/relance/internal/browsertest"
	"github.com/relance/relance/internal/domain"
)

// TestIntegrationPortalPromiseAndDisputeInBrowser: a promise inside the
// policy's bounds pauses the case at once; one beyond them leaves the
// case dunning and a task for the collector; a dispute with a PDF
// attachment pauses the case through the dispute command.
func TestIntegrationPortalPromiseAndDisputeInBrowser(t *testing.T) {
	f := newFixture(t, "portal-requests")
	f.serve()
	f.relay()
	ids := f.debtor("d-req", "c-bob", map[string]int64{"F-REQ-1": 300_00, "F-REQ-2": 200_00, "F-REQ-3": 100_00})
	link := f.emailLink(ids["F-REQ-1"])
	for _, n := range []string{"F-REQ-2", "F-REQ-3"} {
		f.waitCase(ids[n], n+" started", func(s domain.CaseState) bool { return s.Status == domain.StatusActive })
	}
	day := func(n int) string { return time.Now().In(paris).AddDate(0, 0, n).Format("2006-01-02") }
	ctx := browsertest.New(t, browsertest.Options{Width: 390, Height: 844})

	// Inside the bounds (default: 30 days): accepted, the case pauses.
	promise := func(number, date string) string {
		t.Helper()
		form := "#inv-" + number + " form[action$='/promise']"
		if err := chromedp.Do(ctx, chromedp.Navigate(link),
			chromedp.Click(chromedp.CSS("#inv-"+number+" details:nth-of-type(1) summary")),
			chromedp.SetValue(chromedp.CSS(form+" input[name=date]"), date),
			chromedp.Click(chromedp.CSS(form+" button")),
		); err != nil {
			t.Fatalf("promise on %s: %v", number, err)
		}
		flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#flash")))
		if err != nil {
			t.Fatalf("confirmation of the promise on %s: %v", number, err)
		}
		return flash
	}
	if flash := promise("F-REQ-1", day(10)); !strings.Contains(flash, "promesse de paiement est enregistrée") {
		t.Errorf("promise inside the bounds: %q", flash)
	}
	st := f.waitCase(ids["F-REQ-1"], "F-REQ-1 paused on the promise", func(s domain.CaseState) bool {
		return s.Status == domain.StatusPaused && s.Pause == domain.PausePromise
	})
	if st.Promise == nil || st.Promise.AmountCents != 300_00 {
		t.Errorf("promise on the case: %+v", st.Promise)
	}
	if n := f.count(`SELECT count(*) FROM promises WHERE invoice_id = $1 AND created_by LIKE 'portal:%'`, ids["F-REQ-1"]); n != 1 {
		t.Errorf("%d promises recorded, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'portal.promise' AND entity_id = $1 AND role = 'debtor'`, ids["F-REQ-1"]); n != 1 {
		t.Errorf("%d audit lines for the promise, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM case_events WHERE invoice_id = $1 AND kind = 'portal_promise'`, ids["F-REQ-1"]); n != 1 {
		t.Errorf("%d timeline entries for the promise, want 1", n)
	}

	// Beyond the bounds (45 days): a task for the collector, the case goes on.
	if flash := promise("F-REQ-2", day(45)); !strings.Contains(flash, "transmise à votre interlocuteur") {
		t.Errorf("promise beyond the bounds: %q", flash)
	}
	if n := f.count(`SELECT count(*) FROM tasks WHERE invoice_id = $1 AND kind = 'follow_up' AND collector_id = 'c-bob'
		AND script->>'portal_request' = 'promise' AND script->>'date' = $2`, ids["F-REQ-2"], day(45)); n != 1 {
		t.Errorf("%d collector tasks for the promise beyond the bounds, want 1", n)
	}
	if st, err := f.cases.State(f.ctx, ids["F-REQ-2"]); err != nil || st.Status != domain.StatusActive || st.Promise != nil {
		t.Errorf("F-REQ-2 after a promise beyond the bounds: %s, promise %+v, %v", st.Status, st.Promise, err)
	}

	// A dispute with a PDF attachment pauses F-REQ-3.
	pdf := filepath.Join(t.TempDir(), "bon-de-livraison.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	form := "#inv-F-REQ-3 form[action$='/dispute']"
	if err := chromedp.Do(ctx, chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS("#inv-F-REQ-3 details:nth-of-type(3) summary")),
		chromedp.SetValue(chromedp.CSS(form+" select[name=reason]"), "not_received"),
		chromedp.SendKeys(chromedp.CSS(form+" textarea[name=text]"), "Marchandise jamais livrée, voir le bon."),
		chromedp.SetUploadFiles(chromedp.CSS(form+" input[type=file]"), []string{pdf}),
		chromedp.Click(chromedp.CSS(form+" button")),
	); err != nil {
		t.Fatalf("dispute F-REQ-3: %v", err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#flash")))
	if err != nil || !strings.Contains(flash, "contestation est enregistrée") {
		t.Fatalf("dispute confirmation %q, %v", flash, err)
	}
	st = f.waitCase(ids["F-REQ-3"], "F-REQ-3 paused on the dispute", func(s domain.CaseState) bool {
		return s.Status == domain.StatusPaused && s.Pause == domain.PauseDispute
	})
	if len(st.Disputes) != 1 || st.Disputes[0].AmountCents != 100_00 {
		t.Errorf("disputes on the case: %+v", st.Disputes)
	}
	var ctype, name string
	if err := f.st.Pool.QueryRow(f.ctx, `SELECT a.content_type, a.filename FROM portal_attachments a
		JOIN disputes d ON d.id = a.dispute_id WHERE d.invoice_id = $1 AND d.reason LIKE 'not_received: %'`, ids["F-REQ-3"]).Scan(&ctype, &name); err != nil ||
		ctype != "application/pdf" || name != "bon-de-livraison.pdf" {
		t.Errorf("attachment %q %q, %v", ctype, name, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#inv-F-REQ-3 .badge")))
	if err != nil || !strings.Contains(text, "contesté") {
		t.Errorf("the page does not show the dispute: %q, %v", text, err)
	}
}
