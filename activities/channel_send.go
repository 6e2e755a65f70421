package activities

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
)

// Reasons a message was not sent (SendResult.Reason, interactions.error).
const (
	ReasonNoEmail       = "no_email"
	ReasonEmailBounced  = "email_bounced"
	ReasonNoPhone       = "no_phone"
	ReasonPhoneUnusable = "phone_unusable"
	ReasonNoAddress     = "no_address"
	// ReasonAddressUnfit: an address stored before intake checked it does
	// not fit a letter (NF Z10-011); it is never cut.
	ReasonAddressUnfit = "address_does_not_fit"
	ReasonOptedOut     = "opted_out"
	// ReasonInDoubt: an earlier attempt called the provider and stopped
	// before recording the answer. The message is taken as sent (its
	// delivery events, if any, will confirm it): sending it again could
	// reach the debtor twice.
	ReasonInDoubt = "in_doubt"
)

// SendMessage sends one message of a rung, exactly once per
// IdempotencyKey: the interaction is written before the provider is
// called, and a retry that finds it returns its result instead of calling
// again. A channel that cannot be used (no address, bounced, unusable
// number, opted out, refused for good by the provider) returns
// SendResult{Sent:false, Reason} so the workflow falls back; a provider
// that did not take the message (429, 5xx) returns a retryable error.
func (a *ChannelActivities) SendMessage(ctx context.Context, in domain.SendInput) (domain.SendResult, error) {
	if in.InvoiceID == "" || in.DebtorID == "" || in.IdempotencyKey == "" {
		return domain.SendResult{}, permanent(fmt.Errorf("send message: invoice_id, debtor_id and idempotency_key are required"))
	}
	switch in.Channel {
	case domain.ChannelEmail, domain.ChannelSMS, domain.ChannelLetter, domain.ChannelRegisteredLetter:
	default:
		return domain.SendResult{}, permanent(fmt.Errorf("send message: channel %q cannot carry a message", in.Channel))
	}

	existing, err := store.GetInteractionByKey(ctx, a.store.Pool, in.IdempotencyKey)
	switch {
	case err == nil:
		if res, done, err := a.settled(ctx, existing); done || err != nil {
			return res, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return domain.SendResult{}, err
	}

	debtor, err := store.GetDebtor(ctx, a.store.Pool, in.DebtorID)
	if err != nil {
		return domain.SendResult{}, loadError(err)
	}
	inv, err := store.GetInvoiceDoc(ctx, a.store.Pool, in.InvoiceID)
	if err != nil {
		return domain.SendResult{}, loadError(err)
	}
	if inv.DebtorID != debtor.ID {
		return domain.SendResult{}, permanent(fmt.Errorf("invoice %s does not belong to debtor %s", inv.ID, debtor.ID))
	}

	id := existing.ID // a failed attempt's row: send under the same ID
	if id == "" {
		id = a.newID()
	}
	row := store.Interaction{
		ID: id, IdempotencyKey: in.IdempotencyKey, InvoiceID: in.InvoiceID, DebtorID: in.DebtorID,
		Channel: string(in.Channel), Rung: in.Rung, Template: in.Template, Language: language(debtor.Language),
		AmountCents: a.balance(in, inv).Cents, Currency: a.balance(in, inv).Currency,
	}

	if reason, err := a.unusable(ctx, in.Channel, debtor); err != nil {
		return domain.SendResult{}, err
	} else if reason != "" {
		if existing.ID != "" {
			// A failed attempt, and the channel has become unusable since.
			if err := store.MarkInteractionFailed(ctx, a.store.Pool, id, store.InteractionSkipped, reason); err != nil {
				return domain.SendResult{}, err
			}
			return domain.SendResult{InteractionID: id, Sent: false, Reason: reason}, nil
		}
		row.Status, row.Error, row.Provider = store.InteractionSkipped, reason, "none"
		return a.claimSkipped(ctx, row)
	}

	msg, err := a.render(ctx, in, debtor, inv, id)
	if err != nil {
		return domain.SendResult{}, err
	}
	row.Subject, row.BodyText, row.BodyHTML, row.DocumentID = msg.subject, msg.text, msg.html, msg.documentID
	row.Provider = a.providerFor(in.Channel)

	if existing.ID == "" {
		claimed, created, err := store.ClaimInteraction(ctx, a.store.Pool, row)
		if err != nil {
			return domain.SendResult{}, err
		}
		if !created {
			// Another attempt got there first: follow its row.
			res, _, err := a.settled(ctx, claimed)
			if err == nil && res.InteractionID == "" {
				err = fmt.Errorf("interaction %s is being retried by another attempt", claimed.ID)
			}
			return res, err
		}
	} else {
		// The provider refused this message for now last time: claim it
		// back (failed → pending) so only one attempt sends it.
		ok, err := store.RetryInteraction(ctx, a.store.Pool, id)
		if err != nil {
			return domain.SendResult{}, err
		}
		if !ok {
			return domain.SendResult{}, fmt.Errorf("interaction %s is being retried by another attempt", id)
		}
	}

	sent, err := a.deliver(ctx, in, id, debtor, msg)
	if err != nil {
		return a.failed(ctx, in, debtor, id, err)
	}
	if a.afterProvider != nil {
		if err := a.afterProvider(ctx, id); err != nil {
			return domain.SendResult{}, err
		}
	}
	sent.SentAt = a.now().UTC()
	if err := store.MarkInteractionSent(ctx, a.store.Pool, id, sent); err != nil {
		return domain.SendResult{}, err
	}
	return domain.SendResult{InteractionID: id, Sent: true}, nil
}

// settled answers a retry from the row an earlier attempt left: its result
// when it finished, "in doubt" when it stopped after calling the provider,
// and done=false for a failed attempt whose provider certainly refused,
// which may be sent again (the caller claims it back first).
func (a *ChannelActivities) settled(ctx context.Context, row store.Interaction) (domain.SendResult, bool, error) {
	switch {
	case row.Status == store.InteractionSkipped:
		return domain.SendResult{InteractionID: row.ID, Sent: false, Reason: row.Error}, true, nil
	case row.Status == store.InteractionPending:
		a.logger.Warn("message outcome in doubt: not sending it again", "interaction_id", row.ID)
		err := store.MarkInteractionSent(ctx, a.store.Pool, row.ID, store.SentInteraction{
			Provider: row.Provider, FilePath: row.FilePath, SentAt: a.now().UTC(), Note: ReasonInDoubt})
		if err != nil {
			return domain.SendResult{}, true, err
		}
		return domain.SendResult{InteractionID: row.ID, Sent: true, Reason: ReasonInDoubt}, true, nil
	case row.Status == store.InteractionFailed && row.SentAt == nil:
		return domain.SendResult{}, false, nil
	default:
		// sent, or any delivery status reported since.
		return domain.SendResult{InteractionID: row.ID, Sent: true, Reason: reasonOf(row)}, true, nil
	}
}

func reasonOf(row store.Interaction) string {
	if row.Error == ReasonInDoubt {
		return ReasonInDoubt
	}
	return ""
}

// claimSkipped records a message that was not sent, once.
func (a *ChannelActivities) claimSkipped(ctx context.Context, row store.Interaction) (domain.SendResult, error) {
	claimed, _, err := store.ClaimInteraction(ctx, a.store.Pool, row)
	if err != nil {
		return domain.SendResult{}, err
	}
	if claimed.Status != store.InteractionSkipped {
		res, done, err := a.settled(ctx, claimed)
		if err == nil && !done {
			err = fmt.Errorf("interaction %s is being retried by another attempt", claimed.ID)
		}
		return res, err
	}
	return domain.SendResult{InteractionID: claimed.ID, Sent: false, Reason: claimed.Error}, nil
}

// failed records a provider error and turns it into the activity's answer.
func (a *ChannelActivities) failed(ctx context.Context, in domain.SendInput, debtor store.Debtor, id string, err error) (domain.SendResult, error) {
	if rej, ok := channels.IsRejected(err); ok {
		switch rej.Reason {
		case channels.ReasonOptedOut:
			if cerr := store.SetConsent(ctx, a.store.Pool, debtor.ID, string(domain.ChannelSMS), false, "sms_stop"); cerr != nil {
				return domain.SendResult{}, cerr
			}
		case channels.ReasonPhoneUnusable:
			if cerr := store.SetPhoneStatus(ctx, a.store.Pool, debtor.ID, "unusable"); cerr != nil {
				return domain.SendResult{}, cerr
			}
		}
		reason := rej.Reason
		if reason == channels.ReasonInvalid {
			reason = "rejected: " + rej.Err.Error()
		}
		if merr := store.MarkInteractionFailed(ctx, a.store.Pool, id, store.InteractionSkipped, reason); merr != nil {
			return domain.SendResult{}, merr
		}
		a.logger.Info("channel refused the message", "interaction_id", id, "channel", in.Channel, "reason", rej.Reason)
		return domain.SendResult{InteractionID: id, Sent: false, Reason: reason}, nil
	}
	if channels.IsNotAccepted(err) {
		if merr := store.MarkInteractionFailed(ctx, a.store.Pool, id, store.InteractionFailed, err.Error()); merr != nil {
			return domain.SendResult{}, errors.Join(err, merr)
		}
		return domain.SendResult{}, fmt.Errorf("send %s %s: %w", in.Channel, id, err)
	}
	// Outcome unknown: the row stays pending, and the next attempt treats
	// the message as sent rather than risk sending it twice.
	return domain.SendResult{}, fmt.Errorf("send %s %s (outcome unknown): %w", in.Channel, id, err)
}

// unusable says why the channel cannot reach the debtor, or "".
func (a *ChannelActivities) unusable(ctx context.Context, ch domain.Channel, d store.Debtor) (string, error) {
	switch ch {
	case domain.ChannelEmail:
		if d.Email == "" {
			return ReasonNoEmail, nil
		}
		if d.EmailStatus == "bounced" {
			return ReasonEmailBounced, nil
		}
	case domain.ChannelSMS:
		if d.Phone == "" {
			return ReasonNoPhone, nil
		}
		if d.PhoneStatus == "unusable" {
			return ReasonPhoneUnusable, nil
		}
	case domain.ChannelLetter, domain.ChannelRegisteredLetter:
		if !debtorAddress(d).Complete() {
			return ReasonNoAddress, nil
		}
		if _, err := debtorAddress(d).Layout(); err != nil {
			return ReasonAddressUnfit, nil
		}
	}
	out, err := store.IsOptedOut(ctx, a.store.Pool, d.ID, string(ch))
	if err != nil {
		return "", err
	}
	if out {
		return ReasonOptedOut, nil
	}
	return "", nil
}

func (a *ChannelActivities) providerFor(ch domain.Channel) string {
	switch ch {
	case domain.ChannelEmail:
		return a.mailer.Provider()
	case domain.ChannelSMS:
		return a.texter.Provider()
	default:
		return a.poster.Provider()
	}
}

// rendered is a message ready for its channel.
type rendered struct {
	subject, text, html, sms string
	pdf                      []byte
	pdfName                  string
	documentID               string // the stored PDF
	recipient                []string
}

func (a *ChannelActivities) render(ctx context.Context, in domain.SendInput, d store.Debtor, inv store.InvoiceDoc, id string) (rendered, error) {
	lang := language(d.Language)
	data := a.templateData(d, inv, a.balance(in, inv))
	link, err := a.portalLink(ctx, in, d, id)
	if err != nil {
		return rendered{}, err
	}
	data.PortalLink = link
	switch in.Channel {
	case domain.ChannelEmail, domain.ChannelSMS:
		m, err := a.templates.Message(in.Template, data)
		if err != nil {
			return rendered{}, permanent(err)
		}
		r := rendered{subject: m.Subject, text: m.Text, html: m.HTML, sms: m.SMS}
		if in.Channel == domain.ChannelSMS {
			r.subject, r.text, r.html = "", m.SMS, ""
		}
		if in.Channel == domain.ChannelEmail && in.Attach {
			r.pdfName = attachmentName(lang, inv.Number)
			doc, pdf, err := a.docs.Keep(ctx, documents.New{Key: "statements/" + id + ".pdf", Kind: store.DocStatement,
				ContentType: "application/pdf", Filename: r.pdfName, DebtorID: d.ID, InvoiceID: inv.ID},
				func() ([]byte, error) { return a.letterPDF(ctx, "statement", d, inv, a.balance(in, inv), link) })
			if err != nil {
				return rendered{}, fmt.Errorf("keep statement of interaction %s: %w", id, err)
			}
			r.pdf, r.documentID = pdf, doc.ID
		}
		return r, nil
	default:
		// The letter is stored before it is posted: it is the proof of
		// what was sent, and a retry posts the same bytes.
		doc, pdf, err := a.docs.Keep(ctx, documents.New{Key: "letters/" + id + ".pdf", Kind: store.DocLetter,
			ContentType: "application/pdf", Filename: letterFilename(in.Template, inv.Number), DebtorID: d.ID, InvoiceID: inv.ID},
			func() ([]byte, error) { return a.letterPDF(ctx, in.Template, d, inv, a.balance(in, inv), link) })
		if err != nil {
			return rendered{}, fmt.Errorf("keep letter of interaction %s: %w", id, err)
		}
		return rendered{subject: a.letterSubject(in.Template, data), pdf: pdf, documentID: doc.ID,
			recipient: debtorAddress(d).PostalLines()}, nil
	}
}

func letterFilename(template, number string) string {
	if template == "" {
		template = "letter"
	}
	return postalSafe(template) + "-" + postalSafe(number) + ".pdf"
}

func attachmentName(lang, number string) string {
	if lang == "en" {
		return "statement-" + postalSafe(number) + ".pdf"
	}
	return "releve-" + postalSafe(number) + ".pdf"
}

func postalSafe(s string) string {
	out := []rune(s)
	for i, r := range out {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			out[i] = '_'
		}
	}
	return string(out)
}

// deliver hands the rendered message to its channel's adapter.
func (a *ChannelActivities) deliver(ctx context.Context, in domain.SendInput, id string, d store.Debtor, m rendered) (store.SentInteraction, error) {
	ch := in.Channel
	switch ch {
	case domain.ChannelEmail:
		e := channels.Email{To: d.Email, ToName: d.Name, Subject: m.subject, Text: m.text, HTML: m.html,
			CustomArgs: map[string]string{"interaction_id": id, "invoice_id": in.InvoiceID, "case_id": temporalx.CaseWorkflowID(in.InvoiceID)}}
		if m.pdf != nil {
			e.Attachments = []channels.Attachment{{Filename: m.pdfName, ContentType: "application/pdf", Content: m.pdf}}
		}
		return a.sendEmail(ctx, e)
	case domain.ChannelSMS:
		s := channels.SMS{To: d.Phone, Body: m.sms, Reference: id}
		if a.cfg.PublicBaseURL != "" {
			s.StatusCallback = a.cfg.PublicBaseURL + "/v1/webhooks/twilio?interaction_id=" + url.QueryEscape(id)
		}
		msgID, err := a.texter.SendSMS(ctx, s)
		return store.SentInteraction{Provider: a.texter.Provider(), ProviderMessageID: msgID}, err
	default:
		posted, err := a.poster.Post(ctx, channels.Letter{Reference: id, Registered: ch == domain.ChannelRegisteredLetter,
			Recipient: m.recipient, PDF: m.pdf})
		return store.SentInteraction{Provider: a.poster.Provider(), ProviderMessageID: posted.ID,
			TrackingNumber: posted.TrackingNumber, FilePath: posted.FilePath}, err
	}
}

func (a *ChannelActivities) sendEmail(ctx context.Context, e channels.Email) (store.SentInteraction, error) {
	msgID, err := a.mailer.SendEmail(ctx, e)
	return store.SentInteraction{Provider: a.mailer.Provider(), ProviderMessageID: msgID}, err
}

// balance is what the message claims: the workflow's balance (which
// knows about disputes) when given, else the invoice's.
func (a *ChannelActivities) balance(in domain.SendInput, inv store.InvoiceDoc) domain.Money {
	cur := in.Currency
	if cur == "" {
		cur = inv.Currency
	}
	if in.BalanceCents > 0 {
		return domain.NewMoney(in.BalanceCents, cur)
	}
	return domain.NewMoney(inv.BalanceCents, inv.Currency)
}

func language(l string) string {
	if l == "en" {
		return "en"
	}
	return "fr"
}

func debtorAddress(d store.Debtor) channels.Address {
	return channels.Address{Name: d.Name, Lines: slices.Clone(d.AddressLines), PostalCode: d.PostalCode,
		City: d.City, Country: d.Country}
}

// templateData is what every template of a debtor's invoice may show.
func (a *ChannelActivities) templateData(d store.Debtor, inv store.InvoiceDoc, balance domain.Money) templates.Data {
	lang := language(d.Language)
	now := a.now()
	return templates.Data{
		Lang: lang, CreditorName: a.cfg.Creditor.Name, CreditorEmail: a.cfg.CreditorEmail,
		DebtorName: d.Name, Business: d.IsBusiness, InvoiceNumber: inv.Number,
		IssueDate: templates.Date(inv.IssueDate, lang), DueDate: templates.Date(inv.DueDate, lang),
		DaysOverdue: domain.DaysLate(inv.DueDate, now), Amount: balance.Format(lang),
		InvoiceAmount: domain.NewMoney(inv.AmountCents, inv.Currency).Format(lang), PaymentLink: inv.PaymentLink,
	}
}

// portalLink issues the debtor a personal link to the portal for this
// message, valid as long as the case's policy says; "" when no portal is
// configured. A retried render issues another link: each works until it
// expires, and none can be rebuilt from what Postgres keeps.
func (a *ChannelActivities) portalLink(ctx context.Context, in domain.SendInput, d store.Debtor, interactionID string) (string, error) {
	if a.cfg.PortalBaseURL == "" {
		return "", nil
	}
	rules, err := store.PortalRulesOfInvoice(ctx, a.store.Pool, in.InvoiceID)
	if err != nil {
		return "", err
	}
	_, secret, err := store.IssuePortalLink(ctx, a.store.Pool, d.ID, "interaction:"+interactionID, rules.LinkTTL.Std(), a.now())
	if err != nil {
		return "", err
	}
	return a.cfg.PortalBaseURL + "/p/" + secret, nil
}
