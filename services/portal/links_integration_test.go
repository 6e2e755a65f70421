//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relance/relance/internal/browsertest"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// noCases fails the test if the portal reaches a case: refused input
// must stop before.
type noCases struct{ t *testing.T }

func (n noCases) Update(context.Context, string, string, string, any) (domain.CaseState, error) {
	n.t.Errorf("a refused request reached the case")
	return domain.CaseState{}, fmt.Errorf("no case in this test")
}

// dbPortal is the portal on Postgres alone, for what never reaches a case.
type dbPortal struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
	p   *Portal
	srv *httptest.Server
}

func newDBPortal(t *testing.T) *dbPortal {
	t.Helper()
	d := &dbPortal{t: t, ctx: context.Background(), st: testenv.Postgres(t)}
	d.p = &Portal{Store: d.st, Cases: noCases{t}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Settings: Settings{CreditorName: "Relance Test SAS", MaxAttachment: 64 << 10}}
	d.p.Local = &LocalCheckout{WebhookURL: "http://127.0.0.1:1/unused", Secret: []byte("x")}
	d.p.Checkout = d.p.Local
	if err := d.p.Init(); err != nil {
		t.Fatal(err)
	}
	d.srv = httptest.NewServer(d.p.Router())
	t.Cleanup(d.srv.Close)
	d.p.Settings.BaseURL, d.p.Local.BaseURL = d.srv.URL, d.srv.URL
	return d
}

// debtor stores a debtor and its open invoices (number → cents) without
// starting cases.
func (d *dbPortal) debtor(id string, invoices map[string]int64) {
	d.t.Helper()
	if _, err := store.UpsertDebtor(d.ctx, d.st.Pool, store.Debtor{ID: id, Name: "Débiteur " + id, IsBusiness: true,
		Email: id + "@example.fr", Country: "FR", Language: "fr", Timezone: "Europe/Paris", Segment: "standard",
		RiskRating: "medium", Currency: "EUR", ContactWindowStart: 480, ContactWindowEnd: 1200}); err != nil {
		d.t.Fatal(err)
	}
	due := time.Now().AddDate(0, 0, -5).Format("2006-01-02")
	for number, cents := range invoices {
		if _, err := store.InsertInvoice(d.ctx, d.st.Pool, store.Invoice{ID: "inv-" + number, DebtorID: id, Number: number,
			IssueDate: due, DueDate: due, Currency: "EUR", AmountCents: cents}); err != nil {
			d.t.Fatal(err)
		}
	}
}

func (d *dbPortal) link(debtorID string, ttl time.Duration) (store.PortalLink, string) {
	d.t.Helper()
	l, secret, err := store.IssuePortalLink(d.ctx, d.st.Pool, debtorID, "test", ttl, time.Now())
	if err != nil {
		d.t.Fatal(err)
	}
	return l, d.srv.URL + "/p/" + secret
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Wrong, malformed, expired and revoked tokens all get the same neutral
// page and status, in the browser as over HTTP; repeated failures from
// one address are then refused even with a good token.
func TestIntegrationPortalBadTokensGetTheSameNeutralPage(t *testing.T) {
	d := newDBPortal(t)
	d.debtor("d-tok", map[string]int64{"F-TOK-1": 10_000})
	_, good := d.link("d-tok", time.Hour)
	code, body := get(t, good)
	if code != http.StatusOK || !strings.Contains(body, "F-TOK-1") {
		t.Fatalf("good link: %d", code)
	}
	// An expired link: issued with a lifetime that has passed.
	expiredLink, expired := d.link("d-tok", time.Hour)
	if _, err := d.st.Pool.Exec(d.ctx, `UPDATE portal_links SET created_at = now() - interval '2 hours',
		expires_at = now() - interval '1 hour' WHERE id = $1`, expiredLink.ID); err != nil {
		t.Fatal(err)
	}
	revokedLink, revoked := d.link("d-tok", time.Hour)
	if n, err := store.RevokePortalLinks(d.ctx, d.st.Pool, "d-tok", revokedLink.ID); err != nil || n != 1 {
		t.Fatalf("revoke: %d, %v", n, err)
	}
	tok, _ := store.NewPortalToken()
	wrong := d.srv.URL + "/p/" + tok
	malformed := d.srv.URL + "/p/d-tok"
	var first string
	for name, u := range map[string]string{"wrong": wrong, "malformed": malformed, "expired": expired, "revoked": revoked} {
		code, body := get(t, u)
		if code != http.StatusNotFound {
			t.Errorf("%s token: status %d, want 404", name, code)
		}
		if strings.Contains(body, "F-TOK-1") || strings.Contains(body, "d-tok") {
			t.Errorf("%s token page leaks the debtor", name)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("%s token page differs from the others", name)
		}
	}

	ctx := browsertest.New(t, browsertest.Options{Width: 390, Height: 844})
	var titles []string
	for _, u := range []string{wrong, expired} {
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
		title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#neutral")))
		if err != nil {
			t.Fatal(err)
		}
		titles = append(titles, title)
	}
	if titles[0] != "Lien non valable" || titles[1] != titles[0] {
		t.Errorf("neutral pages read %q", titles)
	}

	// This address has failed 6 times; the limiter allows 20 per window.
	for range 14 {
		get(t, wrong)
	}
	if code, body := get(t, good); code != http.StatusTooManyRequests || body != first {
		t.Errorf("after 20 failures a good link answers %d (same neutral page: %v)", code, body == first)
	}
}

// postForm sends a form through a link and returns the status and page.
func postForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func postFile(t *testing.T, u string, fields map[string]string, name string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	res, err := http.Post(u, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Bad input gets a clear message on the page, a 4xx, and writes nothing.
func TestIntegrationPortalRefusesBadInputAndWritesNothing(t *testing.T) {
	d := newDBPortal(t)
	d.debtor("d-bad", map[string]int64{"F-BAD-1": 10_000})
	d.debtor("d-other", map[string]int64{"F-OTHER-1": 5_000})
	_, link := d.link("d-bad", time.Hour)
	day := func(n int) string { return time.Now().In(paris).AddDate(0, 0, n).Format("2006-01-02") }
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 100)...)
	for _, tc := range []struct {
		name   string
		status int
		want   string
		send   func() (int, string)
	}{
		{"pay 0", 422, "supérieur à zéro", func() (int, string) {
			return postForm(t, link+"/pay", url.Values{"invoice": {"F-BAD-1"}, "amount": {"0"}, "nonce": {"n1"}})
		}},
		{"pay above the balance", 422, "dépasse le reste dû", func() (int, string) {
			return postForm(t, link+"/pay", url.Values{"invoice": {"F-BAD-1"}, "amount": {"100,01"}, "nonce": {"n2"}})
		}},
		{"pay another debtor's invoice", 404, "ne figure pas parmi les vôtres", func() (int, string) {
			return postForm(t, link+"/pay", url.Values{"invoice": {"F-OTHER-1"}, "amount": {"10"}, "nonce": {"n3"}})
		}},
		{"promise in the past", 422, "est passée", func() (int, string) {
			return postForm(t, link+"/promise", url.Values{"invoice": {"F-BAD-1"}, "date": {day(-1)}, "amount": {"100"}, "nonce": {"n4"}})
		}},
		{"promise beyond the policy", 422, "ne peut dépasser 365 jours", func() (int, string) {
			return postForm(t, link+"/promise", url.Values{"invoice": {"F-BAD-1"}, "date": {day(400)}, "amount": {"100"}, "nonce": {"n5"}})
		}},
		{"promise of 0", 422, "supérieur à zéro", func() (int, string) {
			return postForm(t, link+"/promise", url.Values{"invoice": {"F-BAD-1"}, "date": {day(3)}, "amount": {"0"}, "nonce": {"n6"}})
		}},
		{"promise on another debtor's invoice", 404, "ne figure pas parmi les vôtres", func() (int, string) {
			return postForm(t, link+"/promise", url.Values{"invoice": {"F-OTHER-1"}, "date": {day(3)}, "amount": {"10"}, "nonce": {"n7"}})
		}},
		{"plan starting in the past", 422, "première échéance est passée", func() (int, string) {
			return postForm(t, link+"/plan", url.Values{"invoice": {"F-BAD-1"}, "count": {"3"}, "first": {day(-3)}, "nonce": {"n8"}})
		}},
		{"dispute with a text file", 415, "PDF, une image PNG ou JPEG", func() (int, string) {
			return postFile(t, link+"/dispute", map[string]string{"invoice": "F-BAD-1", "reason": "quality", "text": "abîmé", "nonce": "n9"},
				"facture.pdf", []byte("just text, named .pdf"))
		}},
		{"dispute with a file over the limit", 413, "dépasse", func() (int, string) {
			big := append(bytes.Clone(pdf), bytes.Repeat([]byte("x"), 65<<10)...)
			return postFile(t, link+"/dispute", map[string]string{"invoice": "F-BAD-1", "reason": "quality", "text": "abîmé", "nonce": "n10"},
				"grosse.pdf", big)
		}},
		{"dispute above the balance", 422, "dépasse le solde non contesté", func() (int, string) {
			return postFile(t, link+"/dispute", map[string]string{"invoice": "F-BAD-1", "reason": "amount", "text": "trop", "amount": "200", "nonce": "n11"},
				"preuve.pdf", pdf)
		}},
		{"dispute with an unknown reason", 422, "motif", func() (int, string) {
			return postFile(t, link+"/dispute", map[string]string{"invoice": "F-BAD-1", "reason": "because", "text": "x", "nonce": "n12"},
				"preuve.pdf", pdf)
		}},
		{"consent with a bad e-mail", 422, "adresse e-mail", func() (int, string) {
			return postForm(t, link+"/consent", url.Values{"email": {"pas une adresse"}, "language": {"fr"}, "nonce": {"n13"}})
		}},
	} {
		code, body := tc.send()
		if code != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="error"`) {
			t.Errorf("%s: %d, want %d with %q on the page", tc.name, code, tc.status, tc.want)
		}
	}
	for table, want := range map[string]int{"portal_checkouts": 0, "promises": 0, "payment_plans": 0, "disputes": 0,
		"portal_attachments": 0, "tasks": 0, "case_commands": 0, "portal_messages": 0, "audit_log": 0} {
		var n int
		if err := d.st.Pool.QueryRow(d.ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != want {
			t.Errorf("%s has %d rows (%v), want %d", table, n, err, want)
		}
	}
	var email string
	if err := d.st.Pool.QueryRow(d.ctx, `SELECT email FROM debtors WHERE id = 'd-bad'`).Scan(&email); err != nil || email != "d-bad@example.fr" {
		t.Errorf("e-mail became %q (%v)", email, err)
	}
}
