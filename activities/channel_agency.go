package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/agency"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// HandOffToAgency builds the claim's data pack (JSON and PDF) and delivers
// it to the collection agency, once per IdempotencyKey: the handoff row is
// written first, a retry re-delivers the same pack under the same
// Idempotency-Key header (the agency drops the copy), and a handoff
// already sent is returned as it is.
func (a *ChannelActivities) HandOffToAgency(ctx context.Context, in domain.HandoffInput) (domain.HandoffResult, error) {
	if in.InvoiceID == "" || in.DebtorID == "" || in.IdempotencyKey == "" {
		return domain.HandoffResult{}, permanent(fmt.Errorf("handoff: invoice_id, debtor_id and idempotency_key are required"))
	}
	// No agency may be asked to collect a prescribed claim (C. com.
	// L110-4, C. consom. L218-2). A retry of a handoff already sent is
	// answered below as it is.
	facts, err := store.PrescriptionFactsOf(ctx, a.store.Pool, in.InvoiceID)
	if err != nil {
		return domain.HandoffResult{}, loadError(err)
	}
	if at := facts.At(); domain.Prescribed(at, a.now()) {
		if h, err := store.GetHandoffByKey(ctx, a.store.Pool, in.IdempotencyKey); err == nil && h.Status == "sent" {
			return domain.HandoffResult{HandoffID: h.ID, Reference: h.Reference}, nil
		}
		return domain.HandoffResult{}, permanent(domain.ErrPrescribed{InvoiceID: in.InvoiceID, PrescriptionAt: at})
	}
	debtor, err := store.GetDebtor(ctx, a.store.Pool, in.DebtorID)
	if err != nil {
		return domain.HandoffResult{}, loadError(err)
	}
	inv, err := store.GetInvoiceDoc(ctx, a.store.Pool, in.InvoiceID)
	if err != nil {
		return domain.HandoffResult{}, loadError(err)
	}
	pack, err := a.buildPack(ctx, a.newID(), in, debtor, inv)
	if err != nil {
		return domain.HandoffResult{}, err
	}
	packJSON, err := json.Marshal(pack)
	if err != nil {
		return domain.HandoffResult{}, fmt.Errorf("encode pack: %w", err)
	}
	h, created, err := store.ClaimHandoff(ctx, a.store.Pool, store.Handoff{ID: pack.Reference,
		IdempotencyKey: in.IdempotencyKey, InvoiceID: in.InvoiceID, Agency: a.agency.Name(), Pack: packJSON})
	if err != nil {
		return domain.HandoffResult{}, err
	}
	switch {
	case !created && h.Status == "sent":
		return domain.HandoffResult{HandoffID: h.ID, Reference: h.Reference}, nil
	case !created && h.Status == "failed":
		return domain.HandoffResult{}, permanent(fmt.Errorf("handoff %s was refused by the agency", h.ID))
	case !created:
		// A retry sends the pack the first attempt recorded.
		packJSON = h.Pack
		if err := json.Unmarshal(h.Pack, &pack); err != nil {
			return domain.HandoffResult{}, fmt.Errorf("decode pack of handoff %s: %w", h.ID, err)
		}
	}
	// The pack is stored before it is delivered, the JSON as it goes out
	// (the jsonb copy on the handoff row is normalised by Postgres) and
	// its PDF; a retry delivers the stored bytes.
	_, packJSON, err = a.docs.Keep(ctx, documents.New{Key: "agency/" + h.ID + ".json", Kind: store.DocAgencyData,
		ContentType: "application/json", Filename: "pack-" + postalSafe(inv.Number) + ".json",
		DebtorID: debtor.ID, InvoiceID: inv.ID}, func() ([]byte, error) { return packJSON, nil })
	if err != nil {
		return domain.HandoffResult{}, fmt.Errorf("keep agency pack %s: %w", h.ID, err)
	}
	doc, pdf, err := a.docs.Keep(ctx, documents.New{Key: "agency/" + h.ID + ".pdf", Kind: store.DocAgencyPack,
		ContentType: "application/pdf", Filename: "pack-" + postalSafe(inv.Number) + ".pdf",
		DebtorID: debtor.ID, InvoiceID: inv.ID},
		func() ([]byte, error) {
			return agency.RenderPDF(a.templates, pack, a.cfg.Creditor, debtorAddress(debtor))
		})
	if err != nil {
		return domain.HandoffResult{}, fmt.Errorf("keep agency pack %s: %w", h.ID, err)
	}
	if err := store.SetHandoffDocument(ctx, a.store.Pool, h.ID, doc.ID); err != nil {
		return domain.HandoffResult{}, err
	}
	delivered, err := a.agency.Deliver(ctx, pack, packJSON, pdf)
	if err != nil {
		if _, ok := channels.IsRejected(err); ok {
			if merr := store.MarkHandoffFailed(ctx, a.store.Pool, h.ID); merr != nil {
				return domain.HandoffResult{}, errors.Join(err, merr)
			}
			return domain.HandoffResult{}, permanent(err)
		}
		return domain.HandoffResult{}, err
	}
	now := a.now().UTC()
	if err := store.MarkHandoffSent(ctx, a.store.Pool, h.ID, delivered.Reference, delivered.FilePath, now); err != nil {
		return domain.HandoffResult{}, err
	}
	// The handoff shows on the timeline and in the debtor's history.
	row, _, err := store.ClaimInteraction(ctx, a.store.Pool, store.Interaction{
		ID: a.newID(), IdempotencyKey: "agency:" + in.IdempotencyKey, InvoiceID: in.InvoiceID, DebtorID: in.DebtorID,
		Channel: string(domain.ChannelAgency), Template: "agency_pack", Language: pack.Language, Provider: "agency",
		AmountCents: pack.Amounts.TotalCents, Currency: pack.Amounts.Currency, FilePath: delivered.FilePath,
		DocumentID: doc.ID,
	})
	if err != nil {
		return domain.HandoffResult{}, err
	}
	if row.SentAt == nil {
		if err := store.MarkInteractionSent(ctx, a.store.Pool, row.ID, store.SentInteraction{Provider: "agency",
			ProviderMessageID: delivered.Reference, FilePath: delivered.FilePath, SentAt: now}); err != nil {
			return domain.HandoffResult{}, err
		}
	}
	return domain.HandoffResult{HandoffID: h.ID, Reference: delivered.Reference}, nil
}

func (a *ChannelActivities) buildPack(ctx context.Context, id string, in domain.HandoffInput, d store.Debtor, inv store.InvoiceDoc) (agency.Pack, error) {
	lang := language(d.Language)
	cur := in.Currency
	if cur == "" {
		cur = inv.Currency
	}
	balance := domain.NewMoney(in.BalanceCents, cur)
	if in.BalanceCents == 0 {
		balance = domain.NewMoney(inv.BalanceCents, inv.Currency)
	}
	now := a.now().UTC()
	p := agency.Pack{
		Reference: id, InvoiceID: inv.ID, GeneratedAt: now, Language: lang,
		Creditor: agency.Party{Name: a.cfg.Creditor.Name, Business: true, RegistrationNumber: a.cfg.CreditorRegistration,
			Address: a.cfg.Creditor.PostalLines(), Email: a.cfg.CreditorEmail},
		Debtor: agency.Party{Name: d.Name, Business: d.IsBusiness, RegistrationNumber: d.RegistrationNumber,
			Address: debtorAddress(d).PostalLines(), Email: d.Email, Phone: d.Phone},
		Claim: agency.Claim{InvoiceNumber: inv.Number, IssueDate: inv.IssueDate, DueDate: inv.DueDate,
			Description: inv.Description, Currency: inv.Currency, InvoiceAmountCents: inv.AmountCents,
			Lines: []agency.Line{}},
		Payments:  []agency.Payment{},
		Reminders: []agency.Reminder{},
	}
	amounts, err := a.claimOf(ctx, d, inv, balance, now, false)
	if err != nil {
		return agency.Pack{}, err
	}
	p.Amounts = amounts
	p.Claim.Basis = a.basis(lang, inv)
	for _, l := range inv.Lines {
		p.Claim.Lines = append(p.Claim.Lines, agency.Line{Description: l.Description, Quantity: l.Quantity,
			UnitPriceCents: l.UnitPriceCents, AmountCents: l.AmountCents})
	}
	payments, err := store.PaymentsOfInvoice(ctx, a.store.Pool, inv.ID)
	if err != nil {
		return agency.Pack{}, err
	}
	for _, x := range payments {
		p.Payments = append(p.Payments, agency.Payment{ReceivedAt: x.ReceivedAt, AmountCents: x.AmountCents,
			Currency: x.Currency, Method: x.Method})
	}
	sent, err := store.InteractionsOfInvoice(ctx, a.store.Pool, inv.ID)
	if err != nil {
		return agency.Pack{}, err
	}
	for _, s := range sent {
		if s.SentAt == nil || s.Channel == string(domain.ChannelAgency) {
			continue
		}
		p.Reminders = append(p.Reminders, agency.Reminder{SentAt: *s.SentAt, Channel: s.Channel, Template: s.Template,
			Status: s.Status, TrackingNumber: s.TrackingNumber, AcknowledgedAt: s.AcknowledgedAt})
	}
	promise, err := store.LastPromise(ctx, a.store.Pool, inv.ID)
	if err != nil {
		return agency.Pack{}, err
	}
	if promise != nil {
		p.LastPromise = &agency.Promise{AmountCents: promise.AmountCents, PromisedDate: promise.PromisedDate,
			Status: promise.Status}
	}
	return p, nil
}

func (a *ChannelActivities) basis(lang string, inv store.InvoiceDoc) string {
	amount := domain.NewMoney(inv.AmountCents, inv.Currency).Format(lang)
	if lang == "en" {
		return fmt.Sprintf("Invoice %s issued on %s by %s, due on %s, for %s.", inv.Number,
			inv.IssueDate.Format("2006-01-02"), a.cfg.Creditor.Name, inv.DueDate.Format("2006-01-02"), amount)
	}
	return fmt.Sprintf("Facture n° %s émise le %s par %s, échue le %s, d'un montant de %s.", inv.Number,
		inv.IssueDate.Format("02/01/2006"), a.cfg.Creditor.Name, inv.DueDate.Format("02/01/2006"), amount)
}
