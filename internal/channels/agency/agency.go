// Package agency hands a claim to a collection agency: a data pack with
// what the Code des procédures civiles d'exécution (R124-4) asks an agency
// to state to the debtor — who the creditor and debtor are, the basis of
// the claim, its amount split into principal, interest and other sums, the
// payments received and the reminders already sent — as JSON and PDF,
// delivered by a signed HTTPS POST or written to a folder.
package agency

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/letter"
	"github.com/relance/relance/internal/channels/postal"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/webhook"
)

// Pack is the data pack of one claim.
type Pack struct {
	Reference   string            `json:"reference"` // the handoff ID
	InvoiceID   string            `json:"invoice_id"`
	GeneratedAt time.Time         `json:"generated_at"`
	Language    string            `json:"language"`
	Creditor    Party             `json:"creditor"`
	Debtor      Party             `json:"debtor"`
	Claim       Claim             `json:"claim"`
	Amounts     domain.ClaimSplit `json:"amounts"`
	Payments    []Payment         `json:"payments"`
	Reminders   []Reminder        `json:"reminders"`
	LastPromise *Promise          `json:"last_promise,omitempty"`
}

// Party identifies the creditor or the debtor.
type Party struct {
	Name               string   `json:"name"`
	Business           bool     `json:"business"`
	RegistrationNumber string   `json:"registration_number,omitempty"`
	Address            []string `json:"address"` // postal lines
	Email              string   `json:"email,omitempty"`
	Phone              string   `json:"phone,omitempty"`
}

// Claim is the basis of the debt: the invoice.
type Claim struct {
	InvoiceNumber      string    `json:"invoice_number"`
	IssueDate          time.Time `json:"issue_date"`
	DueDate            time.Time `json:"due_date"`
	Description        string    `json:"description,omitempty"`
	Currency           string    `json:"currency"`
	InvoiceAmountCents int64     `json:"invoice_amount_cents"`
	Lines              []Line    `json:"lines"`
	// Basis states the claim in one sentence, as the agency must to the debtor.
	Basis string `json:"basis"`
}

// Line is an invoice line.
type Line struct {
	Description    string  `json:"description"`
	Quantity       float64 `json:"quantity"`
	UnitPriceCents int64   `json:"unit_price_cents"`
	AmountCents    int64   `json:"amount_cents"`
}

// Payment is money received against the invoice.
type Payment struct {
	ReceivedAt  time.Time `json:"received_at"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Method      string    `json:"method,omitempty"`
}

// Reminder is a message sent to the debtor about this invoice.
type Reminder struct {
	SentAt         time.Time  `json:"sent_at"`
	Channel        string     `json:"channel"`
	Template       string     `json:"template"`
	Status         string     `json:"status"`
	TrackingNumber string     `json:"tracking_number,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
}

// Promise is the debtor's last promise to pay.
type Promise struct {
	AmountCents  int64     `json:"amount_cents"`
	PromisedDate time.Time `json:"promised_date"`
	Status       string    `json:"status"`
}

// RenderPDF lays the pack out as a document for the agency's file.
func RenderPDF(set *templates.Set, p Pack, creditor, debtor channels.Address) ([]byte, error) {
	lang := p.Language
	money := func(c int64) string { return domain.NewMoney(c, p.Claim.Currency).Format(lang) }
	data := templates.Data{
		Lang: lang, CreditorName: p.Creditor.Name, DebtorName: p.Debtor.Name, Business: p.Debtor.Business,
		InvoiceNumber: p.Claim.InvoiceNumber, IssueDate: templates.Date(p.Claim.IssueDate, lang),
		DueDate: templates.Date(p.Claim.DueDate, lang), DaysOverdue: p.Amounts.DaysLate,
		Amount: money(p.Amounts.PrincipalCents), InvoiceAmount: money(p.Claim.InvoiceAmountCents),
		Total: money(p.Amounts.TotalCents),
	}
	if p.Amounts.RatesMissing == "" {
		data.Interest = money(p.Amounts.InterestCents)
		if p.Amounts.RateBP > 0 {
			data.InterestRate = Percent(p.Amounts.RateBP, lang)
		}
	}
	if p.Amounts.FeesCents > 0 {
		data.Indemnity = money(p.Amounts.FeesCents)
	}
	text, err := set.Letter("agency_pack", data)
	if err != nil {
		return nil, err
	}
	l := labels[lang]
	if l.payments == "" {
		l = labels["fr"]
	}
	doc := letter.Document{
		Lang: lang, Creditor: creditor, Recipient: debtor, Date: p.GeneratedAt, Text: text,
		Reference: p.Reference + " · " + p.Claim.InvoiceNumber,
		Summary: []letter.Row{
			{Label: l.principal, Value: money(p.Amounts.PrincipalCents)},
			{Label: l.interest, Value: money(p.Amounts.InterestCents)},
			{Label: l.fees, Value: money(p.Amounts.FeesCents)},
			{Label: l.total, Value: money(p.Amounts.TotalCents), Bold: true},
		},
	}
	if p.Creditor.RegistrationNumber != "" {
		doc.CreditorInfo = []string{"SIREN " + p.Creditor.RegistrationNumber}
	}
	parties := letter.Section{Title: l.parties, Header: []string{"", l.name, l.registration, l.contact},
		Widths: []float64{30, 60, 35, 45}, Rows: [][]string{
			{l.creditor, p.Creditor.Name, p.Creditor.RegistrationNumber, p.Creditor.Email},
			{l.debtor, p.Debtor.Name, p.Debtor.RegistrationNumber, firstNonEmpty(p.Debtor.Email, p.Debtor.Phone)},
		}}
	for _, ln := range p.Claim.Lines {
		doc.Lines = append(doc.Lines, letter.Line{Description: ln.Description, Quantity: trimFloat(ln.Quantity),
			UnitPrice: money(ln.UnitPriceCents), Amount: money(ln.AmountCents)})
	}
	pay := letter.Section{Title: l.payments, Header: []string{l.date, l.amount, l.method}, Widths: []float64{40, 50, 80}}
	for _, x := range p.Payments {
		pay.Rows = append(pay.Rows, []string{templates.ShortDate(x.ReceivedAt, lang),
			domain.NewMoney(x.AmountCents, x.Currency).Format(lang), x.Method})
	}
	if len(pay.Rows) == 0 {
		pay.Rows = [][]string{{"—", "", ""}}
	}
	rem := letter.Section{Title: l.reminders, Header: []string{l.date, l.channel, l.document, l.status},
		Widths: []float64{30, 40, 50, 50}}
	for _, r := range p.Reminders {
		status := r.Status
		if r.AcknowledgedAt != nil {
			status += " " + templates.ShortDate(*r.AcknowledgedAt, lang)
		}
		rem.Rows = append(rem.Rows, []string{templates.ShortDate(r.SentAt, lang), r.Channel, r.Template, status})
	}
	doc.Sections = []letter.Section{parties, pay, rem}
	return letter.Render(doc)
}

type packLabels struct {
	principal, interest, fees, total, payments, reminders, date, amount, method, channel, document, status string
	parties, name, registration, contact, creditor, debtor                                                 string
}

var labels = map[string]packLabels{
	"fr": {"Principal", "Intérêts de retard", "Indemnité forfaitaire et frais", "Total réclamé",
		"Paiements reçus", "Relances envoyées", "Date", "Montant", "Moyen", "Canal", "Document", "Statut",
		"Parties", "Nom", "SIREN", "Contact", "Créancier", "Débiteur"},
	"en": {"Principal", "Late-payment interest", "Fixed indemnity and fees", "Total claimed",
		"Payments received", "Reminders sent", "Date", "Amount", "Method", "Channel", "Document", "Status",
		"Parties", "Name", "Registration", "Contact", "Creditor", "Debtor"},
}

// Percent writes basis points as a percentage: "12,15 %" or "12.15%".
func Percent(bp int, lang string) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	if lang == "en" {
		return s + "%"
	}
	return fmt.Sprintf("%d,%02d\u00a0%%", bp/100, bp%100)
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// Delivered is where a pack went.
type Delivered struct {
	Reference string // the agency's file reference, when it answers one
	FilePath  string // where the pack was written, for the folder delivery
}

// Deliverer sends a pack (JSON document and its PDF) to the agency.
type Deliverer interface {
	Name() string
	Deliver(ctx context.Context, p Pack, packJSON, pdf []byte) (Delivered, error)
}

// SignatureHeader carries "t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
const SignatureHeader = "X-Relance-Signature"

// HTTPS posts {"pack": …, "pdf_base64": …} to URL, signed with Secret
// (SignatureHeader) and with "Idempotency-Key: <pack reference>" so the
// agency can drop the copy a retry sends. The agency answers 2xx with
// {"reference": "<its file number>"}.
type HTTPS struct {
	URL        string
	Secret     []byte
	HTTPClient *http.Client
	Now        func() time.Time
}

// Name identifies the delivery on the handoff row.
func (h *HTTPS) Name() string { return h.URL }

// Deliver posts the pack.
func (h *HTTPS) Deliver(ctx context.Context, p Pack, packJSON, pdf []byte) (Delivered, error) {
	body, err := json.Marshal(struct {
		Pack      json.RawMessage `json:"pack"`
		PDFBase64 string          `json:"pdf_base64"`
	}{packJSON, base64.StdEncoding.EncodeToString(pdf)})
	if err != nil {
		return Delivered{}, fmt.Errorf("encode pack: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return Delivered{}, fmt.Errorf("agency request: %w", err)
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", p.Reference)
	req.Header.Set(SignatureHeader, webhook.SignStripe(body, now(), h.Secret))
	hc := h.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return Delivered{}, &channels.NotAcceptedError{Err: fmt.Errorf("agency: %w", err)}
		}
		return Delivered{}, fmt.Errorf("agency: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return Delivered{}, &channels.NotAcceptedError{Err: fmt.Errorf("agency: HTTP %d: %s", resp.StatusCode, data)}
	case resp.StatusCode >= 400:
		return Delivered{}, &channels.RejectedError{Reason: channels.ReasonInvalid,
			Err: fmt.Errorf("agency: HTTP %d: %s", resp.StatusCode, data)}
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return Delivered{}, fmt.Errorf("agency: unexpected HTTP %d", resp.StatusCode)
	}
	var answer struct {
		Reference string `json:"reference"`
	}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &answer); err != nil {
			return Delivered{}, fmt.Errorf("agency: decode answer: %w", err)
		}
	}
	return Delivered{Reference: answer.Reference}, nil
}

// Folder writes <reference>.json and <reference>.pdf into Dir, for an
// agency that collects files (SFTP sync, shared drive).
type Folder struct{ Dir string }

// Name identifies the delivery on the handoff row.
func (f *Folder) Name() string { return "folder:" + f.Dir }

// Deliver writes the files; the PDF first, so the JSON announces a complete pack.
func (f *Folder) Deliver(_ context.Context, p Pack, packJSON, pdf []byte) (Delivered, error) {
	base := filepath.Join(f.Dir, p.Reference)
	if err := postal.WriteFile(base+".pdf", pdf); err != nil {
		return Delivered{}, fmt.Errorf("agency folder: %w", err)
	}
	if err := postal.WriteFile(base+".json", packJSON); err != nil {
		return Delivered{}, fmt.Errorf("agency folder: %w", err)
	}
	return Delivered{FilePath: base + ".json"}, nil
}
