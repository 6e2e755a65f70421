package activities

import (
	"context"
	"fmt"
	"strconv"

	"github.com/relance/relance/internal/channels/agency"
	"github.com/relance/relance/internal/channels/letter"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// noticeTemplates are the letters that put the debtor on notice: they
// state the late interest, the fixed indemnity and a deadline.
var noticeTemplates = map[string]bool{"formal_notice": true, "second_notice": true, "final_notice": true}

// letterName maps a step's template to a letter template: an e-mail
// template on a rung that fell back to the post becomes a reminder letter.
func (a *ChannelActivities) letterName(template string) string {
	if a.templates.HasLetter(template) {
		return template
	}
	return templates.DefaultLetter
}

func (a *ChannelActivities) letterSubject(template string, data templates.Data) string {
	text, err := a.templates.Letter(a.letterName(template), a.noticeData(data, domain.ClaimSplit{}))
	if err != nil {
		return ""
	}
	return text.Subject
}

type letterLabels struct{ invoiced, paid, due, interest, indemnity, total, payments, date, amount, method string }

var letterLabelsByLang = map[string]letterLabels{
	"fr": {"Montant de la facture", "Déjà réglé", "Reste dû", "Intérêts de retard", "Indemnité forfaitaire (D441-5)",
		"Total exigible", "Paiements reçus", "Date", "Montant", "Moyen"},
	"en": {"Invoice amount", "Already paid", "Balance due", "Late-payment interest", "Fixed indemnity (D441-5)",
		"Total due", "Payments received", "Date", "Amount", "Method"},
}

// linkCaptions introduce the portal's QR code on a letter.
var linkCaptions = map[string]string{
	"fr": "Réglez en ligne, proposez une date ou contestez : scannez ce code ou ouvrez votre lien personnel",
	"en": "Pay online, propose a date or dispute: scan this code or open your personal link",
}

// noticeData adds a formal notice's figures to the template data.
func (a *ChannelActivities) noticeData(d templates.Data, claim domain.ClaimSplit) templates.Data {
	lang := d.Lang
	cur := claim.Currency
	if cur == "" {
		cur = "EUR"
	}
	d.PayWithinDays = a.cfg.NoticeDays
	d.PayBy = templates.Date(a.now().AddDate(0, 0, a.cfg.NoticeDays), lang)
	// A missing half-year rate leaves the rate and the amount unstated: the
	// notices then name the legal basis only.
	if claim.RatesMissing == "" && claim.Currency != "" {
		if claim.RateBP > 0 {
			d.InterestRate = agency.Percent(claim.RateBP, lang)
		}
		d.Interest = domain.NewMoney(claim.InterestCents, cur).Format(lang)
	}
	if !claim.InterestFrom.IsZero() {
		// The notice the interest runs from is the day before its first day.
		d.InterestFrom = templates.Date(claim.InterestFrom.AddDate(0, 0, -1), lang)
	}
	if claim.FeesCents > 0 {
		d.Indemnity = domain.NewMoney(claim.FeesCents, cur).Format(lang)
	}
	d.Total = domain.NewMoney(claim.TotalCents, cur).Format(lang)
	return d
}

// letterPDF renders a letter of a debtor's invoice.
func (a *ChannelActivities) letterPDF(ctx context.Context, template string, d store.Debtor, inv store.InvoiceDoc, balance domain.Money, link string) ([]byte, error) {
	lang := language(d.Language)
	name := a.letterName(template)
	if template == "statement" {
		name = "statement"
	}
	now := a.now()
	claim, err := a.claimOf(ctx, d, inv, balance, now, noticeTemplates[name])
	if err != nil {
		return nil, err
	}
	data := a.noticeData(a.templateData(d, inv, balance), claim)
	data.PortalLink = link
	text, err := a.templates.Letter(name, data)
	if err != nil {
		return nil, permanent(err)
	}
	lb := letterLabelsByLang[lang]
	money := func(c int64) string { return domain.NewMoney(c, balance.Currency).Format(lang) }
	doc := letter.Document{
		Lang: lang, Creditor: a.cfg.Creditor, Recipient: debtorAddress(d), Place: a.cfg.Creditor.City,
		Date: now, Text: text, Reference: inv.Number, Link: link, LinkCaption: linkCaptions[lang],
		Summary: []letter.Row{
			{Label: lb.invoiced, Value: money(inv.AmountCents)},
			{Label: lb.paid, Value: money(max(inv.AmountCents-balance.Cents, 0))},
			{Label: lb.due, Value: money(balance.Cents), Bold: !noticeTemplates[name]},
		},
	}
	if a.cfg.CreditorRegistration != "" {
		doc.CreditorInfo = append(doc.CreditorInfo, "SIREN "+a.cfg.CreditorRegistration)
	}
	if a.cfg.CreditorEmail != "" {
		doc.CreditorInfo = append(doc.CreditorInfo, a.cfg.CreditorEmail)
	}
	if noticeTemplates[name] && data.Interest != "" {
		label := lb.interest
		if data.InterestRate != "" {
			label += " (" + data.InterestRate + ")"
		}
		doc.Summary = append(doc.Summary, letter.Row{Label: label, Value: money(claim.InterestCents)})
	}
	if noticeTemplates[name] {
		if claim.FeesCents > 0 {
			doc.Summary = append(doc.Summary, letter.Row{Label: lb.indemnity, Value: money(claim.FeesCents)})
		}
		doc.Summary = append(doc.Summary, letter.Row{Label: lb.total, Value: money(claim.TotalCents), Bold: true})
	}
	for _, l := range inv.Lines {
		doc.Lines = append(doc.Lines, letter.Line{Description: l.Description, Quantity: quantity(l.Quantity),
			UnitPrice: money(l.UnitPriceCents), Amount: money(l.AmountCents)})
	}
	if name == "statement" {
		payments, err := store.PaymentsOfInvoice(ctx, a.store.Pool, inv.ID)
		if err != nil {
			return nil, err
		}
		sec := letter.Section{Title: lb.payments, Header: []string{lb.date, lb.amount, lb.method}, Widths: []float64{40, 50, 80}}
		for _, p := range payments {
			sec.Rows = append(sec.Rows, []string{templates.ShortDate(p.ReceivedAt, lang),
				domain.NewMoney(p.AmountCents, p.Currency).Format(lang), p.Method})
		}
		if len(sec.Rows) > 0 {
			doc.Sections = append(doc.Sections, sec)
		}
	}
	pdf, err := letter.Render(doc)
	if err != nil {
		return nil, fmt.Errorf("letter %s for invoice %s: %w", name, inv.ID, err)
	}
	return pdf, nil
}

func quantity(q float64) string {
	return strconv.FormatFloat(q, 'f', -1, 64)
}
