package letter

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"github.com/relance/relance/internal/channels/letter/internal/ttf"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/domain"
)

// mustPrint is what letters print besides their templates: French
// accents and ligatures, currencies, the spaces and punctuation French
// typography uses, and names of debtors across Europe.
var mustPrint = []string{
	"àâäçéèêëîïôöùûüÿœæ ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ «\u00a0»\u202f;\u202f!\u202f?",
	"€ £ $ CHF ¥ ¢ § ° % ‰ № ™ © ® ½ × ÷ ± − –—‑ … ’‘ “” „ ‹› • · ² ³ µ ¤ ¦",
	"Łukasz Żółć", "Şükrü Ağaoğlu", "Dvořák", "Nguyễn", "Ελένη", "Дмитрий",
	"Ștefan Țurcanu", "Søren Ærø", "Åsa Öberg", "Ðorđe", "Þórður", "Ǆ ǅ ǆ", "ß ẞ",
	"ﬁ ﬂ", "\ufffd",
}

// TestShippedFontsCoverWhatLettersPrint fails when a character of a letter
// template (either language, every branch), a formatted amount or date, a
// table label or mustPrint has no glyph in the embedded fonts: fpdf would
// print nothing, or a box, in its place.
func TestShippedFontsCoverWhatLettersPrint(t *testing.T) {
	text := strings.Join(mustPrint, "")
	for _, lb := range labelsByLang {
		text += lb.description + lb.quantity + lb.unitPrice + lb.amount + lb.page + lb.ref
	}
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fr", "en"} {
		for m := range 12 {
			text += templates.Date(time.Date(2026, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC), lang)
		}
		text += placeAndDate("Besançon", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), lang)
		text += domain.NewMoney(-123_456_789, "EUR").Format(lang) + domain.NewMoney(1, "GBP").Format(lang) +
			domain.NewMoney(1, "USD").Format(lang) + domain.NewMoney(1, "CHF").Format(lang)
		// The template files themselves hold every branch's wording.
		files, err := filepath.Glob(filepath.Join("..", "templates", lang, "letter_*.tmpl"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s letter templates (%v)", lang, err)
		}
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			text += string(src)
			name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "letter_"), ".tmpl")
			for _, business := range []bool{true, false} {
				lt, err := set.Letter(name, letterData(lang, business))
				if err != nil {
					t.Fatalf("%s letter %s: %v", lang, name, err)
				}
				text += lt.Subject + strings.Join(lt.Paragraphs, "") + strings.Join(lt.Closing, "")
			}
		}
	}

	for style, data := range map[string][]byte{"regular": regularTTF, "bold": boldTTF} {
		font, err := ttf.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", style, err)
		}
		missing := map[rune]bool{}
		for _, r := range text {
			if !unicode.IsControl(r) && font.Glyph(r) == 0 && !missing[r] {
				missing[r] = true
				t.Errorf("%s font has no glyph for %q (U+%04X)", style, r, r)
			}
		}
	}
}

// letterData fills every field a letter template may show.
func letterData(lang string, business bool) templates.Data {
	money := func(c int64) string { return domain.NewMoney(c, "EUR").Format(lang) }
	day := func(m time.Month) string { return templates.Date(time.Date(2026, m, 17, 0, 0, 0, 0, time.UTC), lang) }
	d := templates.Data{
		Lang: lang, CreditorName: "Société Générale d'Équipement", CreditorEmail: "relances@sge.fr",
		DebtorName: "Boulangerie Léa Crème", Business: business, InvoiceNumber: "F-2026-0042",
		IssueDate: day(time.February), DueDate: day(time.August), DaysOverdue: 45,
		Amount: money(123_456), InvoiceAmount: money(150_000), PaymentLink: "https://pay.example/f?id=42&t=x",
		PayWithinDays: 8, PayBy: day(time.December), InterestRate: "12,15 %", Interest: money(1_234),
		Total: money(128_690),
	}
	if business {
		d.Indemnity = money(domain.RecoveryIndemnityCents)
	}
	return d
}

// widthSamples are measured in both styles by TestStringWidthsMatchOriginalFonts.
var widthSamples = []string{
	"Malgré nos relances, la facture n° F-2026-0042 du 17 février 2026, échue le 17 août 2026, demeure impayée : 1\u00a0234,56\u00a0€.",
	"« Œuvre » — À défaut de paiement sous 8\u202fjours, ÉLÉONORE Ça‘va’ “oui” … № 12 ™ £40 $3",
	"Łukasz Żółć, Şükrü Ağaoğlu, Dvořák, Nguyễn, Ελένη, Дмитрий",
	"The quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}

// stringWidths returns fpdf's width of each sample, in thousandths of the
// font size, in the regular then the bold font.
func stringWidths(regular, bold []byte) []int {
	pdf := fpdf.New("P", "pt", "A4", "")
	pdf.AddUTF8FontFromBytes(family, "", regular)
	pdf.AddUTF8FontFromBytes(family, "B", bold)
	var out []int
	for _, style := range []string{"", "B"} {
		pdf.SetFont(family, style, 10)
		for _, s := range widthSamples {
			out = append(out, pdf.GetStringSymbolWidth(s))
		}
	}
	return out
}

// originalWidths are stringWidths measured once with the original,
// complete DejaVu Sans fonts (fonts/src): the subsets must set text
// exactly as wide, or lines would wrap and tables clip differently.
var originalWidths = []int{61641, 45773, 31461, 47035, 68795, 50757, 35190, 52623}

func TestStringWidthsMatchOriginalFonts(t *testing.T) {
	got := stringWidths(regularTTF, boldTTF)
	if !slices.Equal(got, originalWidths) {
		t.Errorf("widths with the shipped fonts %v, with the originals %v", got, originalWidths)
	}
}
