package agency

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/webhook"
)

func samplePack() Pack {
	due := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 2, 24, 10, 0, 0, 0, time.UTC)
	ack := time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC)
	return Pack{
		Reference: "hand-1", InvoiceID: "inv-1", GeneratedAt: at, Language: "fr",
		Creditor: Party{Name: "Créancier SA", Business: true, RegistrationNumber: "552100554", Email: "compta@creancier.fr"},
		Debtor:   Party{Name: "Débiteur SARL", Business: true, RegistrationNumber: "732829320", Email: "ap@debiteur.fr"},
		Claim: Claim{InvoiceNumber: "F-2026-007", IssueDate: due.AddDate(0, -1, 0), DueDate: due, Currency: "EUR",
			InvoiceAmountCents: 150_000, Lines: []Line{{Description: "Prestation d'étude", Quantity: 1, UnitPriceCents: 150_000, AmountCents: 150_000}}},
		Amounts: domain.SplitClaim(domain.NewMoney(100_000, "EUR"), due, at, domain.LateInterest{Basis: domain.BasisBusiness,
			Periods:       []domain.InterestPeriod{{Half: domain.HalfYearOf(at), From: due.AddDate(0, 0, 1), To: at, Days: 40, RateBP: 1215}},
			InterestCents: domain.LateInterestCents(100_000, 1215, due, at), IndemnityCents: domain.RecoveryIndemnityCents}),
		Payments: []Payment{{ReceivedAt: due.AddDate(0, 0, 10), AmountCents: 50_000, Currency: "EUR", Method: "virement"}},
		Reminders: []Reminder{{SentAt: due.AddDate(0, 0, 4), Channel: "email", Template: "reminder", Status: "delivered"},
			{SentAt: due.AddDate(0, 0, 18), Channel: "registered_letter", Template: "formal_notice", Status: "acknowledged", AcknowledgedAt: &ack}},
	}
}

func TestHTTPSDeliversASignedPack(t *testing.T) {
	secret := []byte("agency-secret")
	now := time.Date(2026, 2, 24, 10, 0, 0, 0, time.UTC)
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/claims" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("Idempotency-Key") != "hand-1" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers = %v", r.Header)
		}
		// The agency verifies the signature the way our own webhooks do.
		err := webhook.Stripe{Secrets: [][]byte{secret}}.VerifyHeader(r.Header.Get(SignatureHeader), body, now)
		if err != nil {
			t.Errorf("signature: %v", err)
		}
		io.WriteString(w, `{"reference":"AG-2026-991"}`)
	}))
	defer srv.Close()

	p := samplePack()
	packJSON, _ := json.Marshal(p)
	d := &HTTPS{URL: srv.URL + "/claims", Secret: secret, Now: func() time.Time { return now }}
	got, err := d.Deliver(context.Background(), p, packJSON, []byte("%PDF-1.4 pack"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Reference != "AG-2026-991" {
		t.Errorf("reference = %q", got.Reference)
	}
	var sent struct {
		Pack      Pack   `json:"pack"`
		PDFBase64 string `json:"pdf_base64"`
	}
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatal(err)
	}
	if sent.Pack.Amounts.PrincipalCents != 100_000 || sent.Pack.Amounts.FeesCents != 4000 || sent.Pack.Debtor.RegistrationNumber != "732829320" {
		t.Errorf("pack sent = %+v", sent.Pack)
	}
	if pdf, _ := base64.StdEncoding.DecodeString(sent.PDFBase64); string(pdf) != "%PDF-1.4 pack" {
		t.Errorf("pdf = %q", pdf)
	}
}

func TestHTTPSFailures(t *testing.T) {
	for status, check := range map[int]func(error) bool{
		http.StatusServiceUnavailable: channels.IsNotAccepted,
		http.StatusBadRequest:         func(err error) bool { _, ok := channels.IsRejected(err); return ok },
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
		_, err := (&HTTPS{URL: srv.URL, Secret: []byte("s")}).Deliver(context.Background(), samplePack(), []byte("{}"), nil)
		srv.Close()
		if !check(err) {
			t.Errorf("HTTP %d: wrong error class: %v", status, err)
		}
	}
}

func TestFolderWritesJSONAndPDF(t *testing.T) {
	dir := t.TempDir()
	got, err := (&Folder{Dir: dir}).Deliver(context.Background(), samplePack(), []byte(`{"reference":"hand-1"}`), []byte("%PDF"))
	if err != nil {
		t.Fatal(err)
	}
	if got.FilePath != filepath.Join(dir, "hand-1.json") {
		t.Errorf("file path = %q", got.FilePath)
	}
	for name, want := range map[string]string{"hand-1.json": `{"reference":"hand-1"}`, "hand-1.pdf": "%PDF"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
}

func TestPackPDFStatesWhatR124_4Asks(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := samplePack()
	b, err := RenderPDF(set, p,
		channels.Address{Name: "Créancier SA", Lines: []string{"1 rue de Rivoli"}, PostalCode: "75001", City: "Paris"},
		channels.Address{Name: "Débiteur SARL", Lines: []string{"2 quai Saint-Antoine"}, PostalCode: "69002", City: "Lyon"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(plain)
	text := strings.Join(strings.FieldsFunc(string(raw), func(r rune) bool { return r == ' ' || r == '\n' }), " ")
	// 1 000,00 € at 12,15 % for 40 days = 13,32 €; + 40 € = 1 053,32 €.
	for _, want := range []string{
		"R124-3", "Créancier SA", "Débiteur SARL", "732829320", "F-2026-007", "1\u00a0500,00\u00a0€",
		"1\u00a0000,00\u00a0€", "13,32\u00a0€", "40,00\u00a0€", "1\u00a0053,32\u00a0€", "12,15\u00a0%",
		"Paiements reçus", "500,00\u00a0€", "virement", "Relances envoyées", "formal_notice", "acknowledged 05/02/2026",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("pack PDF lacks %q; text:\n%s", want, text)
		}
	}
}
