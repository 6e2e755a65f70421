package intake

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// DebtorInput is a debtor as an ERP sends it. Empty values take the
// documented defaults (fr, Europe/Paris, FR, EUR, segment standard, risk
// medium, contact window 08:00–20:00).
type DebtorInput struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	IsBusiness         *bool    `json:"is_business,omitempty"`
	RegistrationNumber string   `json:"registration_number,omitempty"`
	Email              string   `json:"email,omitempty"`
	Phone              string   `json:"phone,omitempty"`
	AddressLines       []string `json:"address_lines,omitempty"`
	PostalCode         string   `json:"postal_code,omitempty"`
	City               string   `json:"city,omitempty"`
	Country            string   `json:"country,omitempty"`
	Language           string   `json:"language,omitempty"`
	Timezone           string   `json:"timezone,omitempty"`
	Segment            string   `json:"segment,omitempty"`
	RiskRating         string   `json:"risk_rating,omitempty"`
	CreditLimitCents   *int64   `json:"credit_limit_cents,omitempty"`
	Currency           string   `json:"currency,omitempty"`
	CollectorID        string   `json:"collector_id,omitempty"`
	ContactWindowStart *int     `json:"contact_window_start,omitempty"`
	ContactWindowEnd   *int     `json:"contact_window_end,omitempty"`
	// Consents sets channel opt-ins: {"email": false} opts the debtor out of e-mail.
	Consents map[domain.Channel]bool `json:"consents,omitempty"`
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v == "" {
		return def
	}
	return v
}

// Debtor validates the input and returns the record to store.
func (in DebtorInput) Debtor() (store.Debtor, *domain.FieldError) {
	d := store.Debtor{
		ID: strings.TrimSpace(in.ID), Name: strings.TrimSpace(in.Name), IsBusiness: true,
		RegistrationNumber: strings.TrimSpace(in.RegistrationNumber), Email: strings.TrimSpace(in.Email),
		Phone: strings.TrimSpace(in.Phone), AddressLines: in.AddressLines, PostalCode: strings.TrimSpace(in.PostalCode),
		City: strings.TrimSpace(in.City), Country: strings.ToUpper(orDefault(in.Country, "FR")),
		Language: orDefault(in.Language, "fr"), Timezone: orDefault(in.Timezone, "Europe/Paris"),
		Segment: orDefault(in.Segment, "standard"), RiskRating: orDefault(in.RiskRating, "medium"),
		CreditLimitCents: in.CreditLimitCents, Currency: strings.ToUpper(orDefault(in.Currency, "EUR")),
		CollectorID: strings.TrimSpace(in.CollectorID), ContactWindowStart: 8 * 60, ContactWindowEnd: 20 * 60,
	}
	if in.IsBusiness != nil {
		d.IsBusiness = *in.IsBusiness
	}
	if in.ContactWindowStart != nil {
		d.ContactWindowStart = *in.ContactWindowStart
	}
	if in.ContactWindowEnd != nil {
		d.ContactWindowEnd = *in.ContactWindowEnd
	}
	if fe := checkID("id", d.ID); fe != nil {
		return d, fe
	}
	if d.Name == "" {
		return d, &domain.FieldError{Field: "name", Reason: "is required"}
	}
	if d.Email != "" {
		if a, err := mail.ParseAddress(d.Email); err != nil || a.Address != d.Email {
			return d, &domain.FieldError{Field: "email", Reason: "must be a plain address such as compta@example.fr"}
		}
	}
	if d.Phone != "" && !validE164(d.Phone) {
		return d, &domain.FieldError{Field: "phone", Reason: "must be in E.164 form such as +33612345678"}
	}
	if fe := checkAddress(d); fe != nil {
		return d, fe
	}
	if d.Language != "fr" && d.Language != "en" {
		return d, &domain.FieldError{Field: "language", Reason: "must be fr or en"}
	}
	if _, err := time.LoadLocation(d.Timezone); err != nil {
		return d, &domain.FieldError{Field: "timezone", Reason: fmt.Sprintf("unknown time zone %q", d.Timezone)}
	}
	if len(d.Country) != 2 {
		return d, &domain.FieldError{Field: "country", Reason: "must be an ISO 3166 two-letter code"}
	}
	if !domain.ValidCurrency(d.Currency) {
		return d, &domain.FieldError{Field: "currency", Reason: "must be a three-letter ISO 4217 code"}
	}
	if d.CreditLimitCents != nil && *d.CreditLimitCents < 0 {
		return d, &domain.FieldError{Field: "credit_limit_cents", Reason: "cannot be negative"}
	}
	if d.ContactWindowStart < 0 || d.ContactWindowStart > 1440 {
		return d, &domain.FieldError{Field: "contact_window_start", Reason: "must be minutes after midnight (0–1440)"}
	}
	if d.ContactWindowEnd < 0 || d.ContactWindowEnd > 1440 || d.ContactWindowEnd <= d.ContactWindowStart {
		return d, &domain.FieldError{Field: "contact_window_end", Reason: "must be minutes after midnight, after the start"}
	}
	for ch := range in.Consents {
		if ch == domain.ChannelAgency || !validChannel(ch) {
			return d, &domain.FieldError{Field: "consents." + string(ch), Reason: "is not a channel (email, sms, call, letter, registered_letter)"}
		}
	}
	return d, nil
}

// checkAddress refuses a postal address a letter could not print whole
// (NF Z10-011: 6 lines of 38 characters), naming the field; a line that
// is too long but fits on a free line is accepted, the letter wraps it.
func checkAddress(d store.Debtor) *domain.FieldError {
	if len(d.AddressLines) == 0 && d.PostalCode == "" && d.City == "" {
		return nil
	}
	a := channels.Address{Name: d.Name, Lines: d.AddressLines, PostalCode: d.PostalCode, City: d.City, Country: d.Country}
	var fe domain.FieldError
	if _, err := a.Layout(); errors.As(err, &fe) {
		return &fe
	}
	return nil
}

func validChannel(ch domain.Channel) bool {
	for _, c := range domain.AllChannels {
		if c == ch {
			return true
		}
	}
	return false
}

func validE164(p string) bool {
	if len(p) < 8 || len(p) > 16 || p[0] != '+' {
		return false
	}
	for _, r := range p[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// UpsertDebtor validates and writes a debtor and its consents with an
// audit line. A *domain.FieldError (as error) means nothing was written.
func (im *Importer) UpsertDebtor(ctx context.Context, actor store.Actor, in DebtorInput) (store.Debtor, bool, error) {
	d, fe := in.Debtor()
	if fe != nil {
		return store.Debtor{}, false, *fe
	}
	var out store.Debtor
	var created bool
	err := im.Store.InTx(ctx, func(tx pgx.Tx) error {
		before, err := store.GetDebtorForUpdate(ctx, tx, d.ID)
		created = errors.Is(err, store.ErrNotFound)
		if err != nil && !created {
			return err
		}
		if d.CollectorID != "" {
			ok, err := store.CollectorExists(ctx, tx, d.CollectorID)
			if err != nil {
				return err
			}
			if !ok {
				return domain.FieldError{Field: "collector_id", Reason: fmt.Sprintf("unknown collector %q", d.CollectorID)}
			}
		}
		out, err = store.UpsertDebtor(ctx, tx, d)
		if err != nil {
			return err
		}
		for ch, optedIn := range in.Consents {
			if err := store.SetConsent(ctx, tx, d.ID, string(ch), optedIn, "api"); err != nil {
				return err
			}
		}
		entry := store.AuditEntry{Actor: actor, Action: "debtor.update", Entity: "debtor", EntityID: d.ID, After: auditDebtor{out, in.Consents}}
		if created {
			entry.Action = "debtor.create"
		} else {
			entry.Before = before
		}
		return store.Audit(ctx, tx, entry)
	})
	if err != nil {
		return store.Debtor{}, false, err
	}
	return out, created, nil
}

type auditDebtor struct {
	store.Debtor
	Consents map[domain.Channel]bool `json:"consents,omitempty"`
}
