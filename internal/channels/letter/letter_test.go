package letter

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/domain"
)

// pdfText extracts the text of every page, the way a reader would copy it.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("parse PDF: %v", err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("extract text: %v", err)
	}
	text, err := io.ReadAll(plain)
	if err != nil {
		t.Fatal(err)
	}
	// Lines wrap anywhere: compare words, keeping non-breaking spaces.
	return strings.Join(strings.FieldsFunc(string(text), func(r rune) bool {
		return r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}), " ")
}

func formalNotice(t *testing.T, lang string, business bool) Document {
	t.Helper()
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 5, 18, 9, 0, 0, 0, time.UTC)
	// 2026-H1: ECB 2.15 % + 10 points.
	claim := domain.SplitClaim(domain.NewMoney(123_456, "EUR"), due, at,
		domain.LateInterest{InterestCents: domain.LateInterestCents(123_456, 1215, due, at)})
	money := func(c int64) string { return domain.NewMoney(c, "EUR").Format(lang) }
	d := templates.Data{
		Lang: lang, CreditorName: "Société Générale d'Équipement", DebtorName: "Boulangerie Léa Crème",
		Business: business, InvoiceNumber: "F-2026-0042", IssueDate: templates.Date(due.AddDate(0, -1, 0), lang),
		DueDate: templates.Date(due, lang), Amount: money(123_456), PayWithinDays: 8,
		PayBy: templates.Date(at.AddDate(0, 0, 8), lang), InterestRate: "12,15 %", Interest: money(claim.InterestCents),
	}
	if business {
		d.Indemnity = money(domain.RecoveryIndemnityCents)
	} else {
		// A consumer's interest runs from this notice at the legal rate of
		// 2026-H1 (C. civ. 1231-6, C. monét. fin. L313-2).
		d.InterestRate, d.Interest = "2,62 %", money(0)
	}
	text, err := set.Letter("formal_notice", d)
	if err != nil {
		t.Fatal(err)
	}
	return Document{
		Lang:      lang,
		Creditor:  channels.Address{Name: "Société Générale d'Équipement", Lines: []string{"12 rue de la Paix"}, PostalCode: "75002", City: "Paris"},
		Recipient: channels.Address{Name: "Boulangerie Léa Crème", Lines: []string{"Bâtiment B", "3 place du Marché"}, PostalCode: "69001", City: "Lyon"},
		Place:     "Paris", Date: at, Text: text, Reference: "F-2026-0042",
		Lines: []Line{
			{Description: "Pâtisseries fraîches – février", Quantity: "1", UnitPrice: money(100_000), Amount: money(100_000)},
			{Description: "Livraison à domicile", Quantity: "2", UnitPrice: money(11_728), Amount: money(23_456)},
		},
		Summary: []Row{{Label: "Reste dû", Value: money(123_456), Bold: true}},
	}
}

func TestFormalNoticeRendersAccentsAmountsAndLegalMentions(t *testing.T) {
	b, err := Render(formalNotice(t, "fr", true))
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b)
	for _, want := range []string{
		"mise en demeure", "F-2026-0042", "1\u00a0234,56\u00a0€", "1\u00a0000,00\u00a0€",
		"L441-10", "Banque centrale européenne majoré de 10 points", "12,15 %",
		"indemnité forfaitaire pour frais de recouvrement de 40,00\u00a0€", "8 jours", "26 mai 2026",
		"société de recouvrement", "Boulangerie Léa Crème", "69001 LYON", "Pâtisseries fraîches",
		"Société Générale d'Équipement", "Paris, le 18 mai 2026", "Lettre recommandée avec accusé de réception",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("formal notice lacks %q; text:\n%s", want, text)
		}
	}
}

func TestConsumerNoticeOwesNoFixedIndemnity(t *testing.T) {
	b, err := Render(formalNotice(t, "fr", false))
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b)
	if strings.Contains(text, "indemnité forfaitaire") {
		t.Error("the 40 € indemnity is owed by business debtors only")
	}
	for _, want := range []string{"1231-6", "L313-2", "la présente mise en demeure fait courir des intérêts au taux légal",
		"2,62 % l'an", "1\u00a0234,56\u00a0€"} {
		if !strings.Contains(text, want) {
			t.Errorf("consumer notice lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "L441-10") || strings.Contains(text, "12,15") {
		t.Errorf("a consumer owes no business late rate (L441-10):\n%s", text)
	}
}

func TestEnglishNotice(t *testing.T) {
	b, err := Render(formalNotice(t, "en", true))
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b)
	for _, want := range []string{"formal notice", "€1,234.56", "€40.00", "Paris, 18 May 2026", "Description", "Unit price"} {
		if !strings.Contains(text, want) {
			t.Errorf("English notice lacks %q:\n%s", want, text)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a, err := Render(formalNotice(t, "fr", true))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(formalNotice(t, "fr", true))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the same letter rendered twice differs: a retried activity would archive another file")
	}
}

// A letter with a portal link prints it as a QR code beside its caption
// and the address; one without prints no image.
func TestLetterPrintsThePortalLinkAsAQRCode(t *testing.T) {
	doc := formalNotice(t, "fr", true)
	plain, err := Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	doc.Link = "https://portail.example/p/AbCdEfGhIjKlMnOpQrStUvWxYz0"
	doc.LinkCaption = "Réglez en ligne : scannez ce code"
	withLink, err := Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte("/Subtype /Image")) {
		t.Errorf("a letter without a link has an image")
	}
	if !bytes.Contains(withLink, []byte("/Subtype /Image")) {
		t.Errorf("the letter with a link has no QR image")
	}
	text := pdfText(t, withLink)
	for _, want := range []string{"Réglez en ligne : scannez ce code", "portail.example/p/AbCdEfGhIjKlMnOpQrStUvWxYz0"} {
		if !strings.Contains(strings.ReplaceAll(text, " ", ""), strings.ReplaceAll(want, " ", "")) {
			t.Errorf("letter text lacks %q: %s", want, text)
		}
	}
}
