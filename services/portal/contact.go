package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

const maxMessage = 5000

// doMessage passes a debtor's message to the collector: stored, on the
// timeline and as a task on the invoice named (else the oldest open one).
func (p *Portal) doMessage(ctx context.Context, r *http.Request, s *session) (string, error) {
	key, err := nonce(r)
	if err != nil {
		return "", err
	}
	body := strings.TrimSpace(r.FormValue("body"))
	if body == "" || utf8.RuneCountInString(body) > maxMessage {
		return "", bad(fmt.Sprintf("écrivez votre message (%d caractères au plus).", maxMessage),
			fmt.Sprintf("write your message (at most %d characters).", maxMessage))
	}
	var inv store.Invoice
	if number := strings.TrimSpace(r.FormValue("invoice")); number != "" {
		inv, err = store.DebtorInvoiceByNumber(ctx, p.Store.Pool, s.Debtor.ID, number)
		if errors.Is(err, store.ErrNotFound) {
			return "", &inputError{Status: http.StatusNotFound,
				FR: "la facture " + number + " ne figure pas parmi les vôtres.", EN: "invoice " + number + " is not one of yours."}
		}
	} else {
		inv, err = store.OldestOpenInvoice(ctx, p.Store.Pool, s.Debtor.ID)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	}
	if err != nil {
		return "", err
	}
	m := store.PortalMessage{ID: derivedID("msg_", s.Link.ID, key), DebtorID: s.Debtor.ID, InvoiceID: inv.ID, LinkID: s.Link.ID, Body: body}
	created, err := store.InsertPortalMessage(ctx, p.Store.Pool, m)
	if err != nil || !created || inv.ID == "" {
		return "message", err
	}
	err = p.collectorTask(ctx, s, inv, "portal:"+s.Link.ID+":message:"+key, "message",
		map[string]any{"message_id": m.ID}, "message from the debtor through the portal")
	return "message", err
}

// doConsent records the debtor's contact choices: SMS on or off, the
// e-mail address, the language.
func (p *Portal) doConsent(ctx context.Context, r *http.Request, s *session) (string, error) {
	if _, err := nonce(r); err != nil {
		return "", err
	}
	language, ok := parseLang(r.FormValue("language"))
	if !ok {
		return "", bad("choisissez le français ou l'anglais.", "choose French or English.")
	}
	email := strings.TrimSpace(r.FormValue("email"))
	if email != "" {
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email || len(email) > 254 {
			return "", bad("l'adresse e-mail n'est pas valable.", "the e-mail address is not valid.")
		}
	}
	stopSMS := r.FormValue("stop_sms") == "1"
	before := map[string]any{"email": s.Debtor.Email, "language": s.Debtor.Language}
	after := map[string]any{"email": email, "language": string(language), "sms": !stopSMS}
	err := p.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.SetConsent(ctx, tx, s.Debtor.ID, string(domain.ChannelSMS), !stopSMS, "portal"); err != nil {
			return err
		}
		if email == "" {
			email = s.Debtor.Email
		}
		if err := store.SetDebtorContact(ctx, tx, s.Debtor.ID, email, string(language)); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: actor(s), Action: "portal.consent", Entity: "debtor",
			EntityID: s.Debtor.ID, Before: before, After: after})
	})
	if err != nil {
		return "", err
	}
	s.Lang = language
	return "consent", nil
}
