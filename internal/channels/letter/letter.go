// Package letter renders Relance's letters as PDF: reminder letters,
// formal notices (mises en demeure), statements of account and agency
// pack summaries. Text is set in DejaVu Sans, embedded in the binary as a
// UTF-8 TrueType font, so accents and € render and stay extractable.
//
//go:generate go run ./fonts/subset -src fonts/src -dst fonts
package letter

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/templates"
)

// DejaVu Sans (Bitstream Vera licence, see fonts/LICENSE: free to embed
// and redistribute), cut down by fonts/subset to the scripts and symbols
// letters to European debtors use: fpdf parses the whole font for every
// letter, so each code point the font maps costs time on every render.
// fpdf embeds only the glyphs a letter uses. See fonts/README.md.
var (
	//go:embed fonts/DejaVuSansLetter.ttf
	regularTTF []byte
	//go:embed fonts/DejaVuSansLetter-Bold.ttf
	boldTTF []byte
)

const family = "DejaVu"

// Document is everything a letter shows.
type Document struct {
	Lang string
	// Creditor is the sender block (top left); CreditorInfo adds lines
	// below it (registration number, e-mail).
	Creditor     channels.Address
	CreditorInfo []string
	// Recipient is printed in the window of a French window envelope.
	Recipient channels.Address
	Place     string
	Date      time.Time
	Text      templates.LetterText
	// Lines are the invoice lines; Summary the amounts (label, value).
	Lines   []Line
	Summary []Row
	// Sections are extra tables after the body (payments, reminders sent).
	Sections []Section
	// Reference is printed in the footer of every page.
	Reference string
	// Link is the debtor's personal portal link, printed as a QR code with
	// LinkCaption and the address beside it; empty prints none.
	Link        string
	LinkCaption string
}

// Line is one invoice line, already formatted.
type Line struct {
	Description string
	Quantity    string
	UnitPrice   string
	Amount      string
}

// Row is a label and a value; Bold for totals.
type Row struct {
	Label string
	Value string
	Bold  bool
}

// Section is a titled table.
type Section struct {
	Title  string
	Header []string
	Widths []float64 // mm, one per column; the body width when empty
	Rows   [][]string
}

// Layout of an A4 page for a French window envelope (DL, window on the right).
const (
	margin       = 20.0
	pageWidth    = 210.0
	bodyWidth    = pageWidth - 2*margin
	windowX      = 110.0
	windowY      = 45.0
	windowWidth  = 80.0
	lineHeight   = 5.0
	footerHeight = 15.0
)

type labels struct{ description, quantity, unitPrice, amount, page, ref string }

var labelsByLang = map[string]labels{
	"fr": {"Désignation", "Qté", "Prix unitaire", "Montant", "Page", "Réf."},
	"en": {"Description", "Qty", "Unit price", "Amount", "Page", "Ref."},
}

// Render lays the document out and returns the PDF.
func Render(doc Document) ([]byte, error) {
	lb, ok := labelsByLang[doc.Lang]
	if !ok {
		lb = labelsByLang["fr"]
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(family, "", regularTTF)
	pdf.AddUTF8FontFromBytes(family, "B", boldTTF)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+footerHeight)
	// Fixed dates and sorted resources make the same letter render to the
	// same bytes (fpdf otherwise writes its fonts in map order).
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(doc.Date)
	pdf.SetModificationDate(doc.Date)
	pdf.SetTitle(doc.Text.Subject, true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-margin)
		pdf.SetFont(family, "", 7)
		pdf.CellFormat(bodyWidth/2, 4, lb.ref+" "+doc.Reference, "", 0, "L", false, 0, "")
		pdf.CellFormat(bodyWidth/2, 4, fmt.Sprintf("%s %d", lb.page, pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()

	// Sender block, top left.
	pdf.SetFont(family, "B", 10)
	pdf.SetXY(margin, margin)
	pdf.CellFormat(bodyWidth/2, lineHeight, doc.Creditor.Name, "", 1, "L", false, 0, "")
	pdf.SetFont(family, "", 9)
	sender := doc.Creditor.PostalLines()
	if len(sender) > 0 {
		sender = sender[1:] // the name is printed above, in bold
	}
	for _, l := range append(sender, doc.CreditorInfo...) {
		pdf.CellFormat(bodyWidth/2, 4.5, l, "", 1, "L", false, 0, "")
	}

	// Recipient block, in the envelope window.
	pdf.SetFont(family, "", 10)
	pdf.SetXY(windowX, windowY)
	for _, l := range doc.Recipient.PostalLines() {
		pdf.SetX(windowX)
		pdf.CellFormat(windowWidth, lineHeight, l, "", 1, "L", false, 0, "")
	}

	// Place and date, then subject.
	pdf.SetXY(windowX, windowY+6*lineHeight+8)
	pdf.CellFormat(windowWidth, lineHeight, placeAndDate(doc.Place, doc.Date, doc.Lang), "", 1, "L", false, 0, "")
	pdf.SetXY(margin, max(pdf.GetY()+8, 105))
	pdf.SetFont(family, "B", 10)
	pdf.MultiCell(bodyWidth, lineHeight, doc.Text.Subject, "", "L", false)
	pdf.Ln(4)

	pdf.SetFont(family, "", 10)
	for _, p := range doc.Text.Paragraphs {
		pdf.MultiCell(bodyWidth, lineHeight, p, "", "J", false)
		pdf.Ln(2.5)
	}

	if len(doc.Lines) > 0 {
		pdf.Ln(2)
		widths := []float64{90, 20, 30, 30}
		header := []string{lb.description, lb.quantity, lb.unitPrice, lb.amount}
		rows := make([][]string, 0, len(doc.Lines))
		for _, l := range doc.Lines {
			rows = append(rows, []string{l.Description, l.Quantity, l.UnitPrice, l.Amount})
		}
		table(pdf, "", header, widths, []string{"L", "R", "R", "R"}, rows)
	}

	if len(doc.Summary) > 0 {
		pdf.Ln(3)
		for _, r := range doc.Summary {
			style := ""
			if r.Bold {
				style = "B"
			}
			pdf.SetFont(family, style, 10)
			pdf.SetX(margin + 60)
			pdf.CellFormat(80, 6, r.Label, "", 0, "L", false, 0, "")
			pdf.CellFormat(30, 6, r.Value, "", 1, "R", false, 0, "")
		}
		pdf.SetFont(family, "", 10)
	}

	for _, s := range doc.Sections {
		pdf.Ln(4)
		widths := s.Widths
		if len(widths) != len(s.Header) {
			widths = make([]float64, len(s.Header))
			for i := range widths {
				widths[i] = bodyWidth / float64(len(s.Header))
			}
		}
		aligns := make([]string, len(widths))
		for i := range aligns {
			aligns[i] = "L"
		}
		table(pdf, s.Title, s.Header, widths, aligns, s.Rows)
	}

	if doc.Link != "" {
		if err := drawLink(pdf, doc.Link, doc.LinkCaption); err != nil {
			return nil, err
		}
	}

	if len(doc.Text.Closing) > 0 {
		pdf.Ln(5)
		for _, p := range doc.Text.Closing {
			pdf.MultiCell(bodyWidth, lineHeight, p, "", "L", false)
		}
		pdf.Ln(8)
		pdf.SetX(windowX)
		pdf.CellFormat(windowWidth, lineHeight, doc.Creditor.Name, "", 1, "L", false, 0, "")
	}

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("render letter %q: %w", doc.Text.Subject, err)
	}
	return conformToUnicode(out.Bytes())
}

// table draws a titled table whose cells are clipped to one line each.
func table(pdf *fpdf.Fpdf, title string, header []string, widths []float64, aligns []string, rows [][]string) {
	if title != "" {
		pdf.SetFont(family, "B", 10)
		pdf.CellFormat(bodyWidth, 6, title, "", 1, "L", false, 0, "")
	}
	pdf.SetFont(family, "B", 9)
	pdf.SetFillColor(235, 235, 235)
	for i, h := range header {
		pdf.CellFormat(widths[i], 6, h, "1", 0, aligns[i], true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont(family, "", 9)
	for _, row := range rows {
		for i := range header {
			cell := ""
			if i < len(row) {
				cell = fit(pdf, row[i], widths[i]-2)
			}
			pdf.CellFormat(widths[i], 6, cell, "1", 0, aligns[i], false, 0, "")
		}
		pdf.Ln(-1)
	}
}

// fit shortens s with an ellipsis until it fits width mm.
func fit(pdf *fpdf.Fpdf, s string, width float64) string {
	if pdf.GetStringWidth(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && pdf.GetStringWidth(string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func placeAndDate(place string, d time.Time, lang string) string {
	date := templates.Date(d, lang)
	if place == "" {
		return date
	}
	if lang == "en" {
		return place + ", " + date
	}
	return place + ", le " + date
}

// qrSize is the printed side of the QR code: 28 mm scans from a phone
// held at reading distance.
const qrSize = 28.0

// drawLink prints the portal link as a QR code with its caption and the
// address beside it, kept together on one page.
func drawLink(pdf *fpdf.Fpdf, link, caption string) error {
	png, err := qrcode.Encode(link, qrcode.Medium, 256)
	if err != nil {
		return fmt.Errorf("qr code of the portal link: %w", err)
	}
	pdf.Ln(4)
	_, pageHeight := pdf.GetPageSize()
	if pdf.GetY()+qrSize > pageHeight-margin-footerHeight {
		pdf.AddPage()
	}
	y := pdf.GetY()
	pdf.RegisterImageOptionsReader("portal-qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	pdf.ImageOptions("portal-qr", margin, y, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetXY(margin+qrSize+5, y+3)
	pdf.SetFont(family, "B", 10)
	pdf.MultiCell(bodyWidth-qrSize-5, lineHeight, caption, "", "L", false)
	pdf.SetX(margin + qrSize + 5)
	pdf.SetFont(family, "", 9)
	pdf.MultiCell(bodyWidth-qrSize-5, lineHeight, link, "", "L", false)
	pdf.SetFont(family, "", 10)
	pdf.SetY(max(pdf.GetY(), y+qrSize))
	return pdf.Error()
}
