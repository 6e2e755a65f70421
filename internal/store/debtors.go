package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Debtor is a customer who owes invoices, with what the ladder needs to
// reach them. ID is the ERP's customer ID.
type Debtor struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	IsBusiness         bool      `json:"is_business"`
	RegistrationNumber string    `json:"registration_number"`
	Email              string    `json:"email"`
	Phone              string    `json:"phone"`
	AddressLines       []string  `json:"address_lines"`
	PostalCode         string    `json:"postal_code"`
	City               string    `json:"city"`
	Country            string    `json:"country"`
	Language           string    `json:"language"`
	Timezone           string    `json:"timezone"`
	Segment            string    `json:"segment"`
	RiskRating         string    `json:"risk_rating"`
	CreditLimitCents   *int64    `json:"credit_limit_cents,omitempty"`
	Currency           string    `json:"currency"`
	CollectorID        string    `json:"collector_id,omitempty"`
	ContactWindowStart int       `json:"contact_window_start"`
	ContactWindowEnd   int       `json:"contact_window_end"`
	EmailStatus        string    `json:"email_status"`
	PhoneStatus        string    `json:"phone_status"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

const debtorColumns = `id, name, is_business, registration_number, email, phone, address_lines, postal_code, city,
	country, language, timezone, segment, risk_rating, credit_limit_cents, currency, coalesce(collector_id, ''),
	contact_window_start, contact_window_end, email_status, phone_status, created_at, updated_at`

func scanDebtor(row pgx.Row) (Debtor, error) {
	var d Debtor
	var start, end int16
	err := row.Scan(&d.ID, &d.Name, &d.IsBusiness, &d.RegistrationNumber, &d.Email, &d.Phone, &d.AddressLines,
		&d.PostalCode, &d.City, &d.Country, &d.Language, &d.Timezone, &d.Segment, &d.RiskRating, &d.CreditLimitCents,
		&d.Currency, &d.CollectorID, &start, &end, &d.EmailStatus, &d.PhoneStatus, &d.CreatedAt, &d.UpdatedAt)
	d.ContactWindowStart, d.ContactWindowEnd = int(start), int(end)
	if d.AddressLines == nil {
		d.AddressLines = []string{}
	}
	return d, err
}

// GetDebtor loads one debtor; ErrNotFound when there is none.
func GetDebtor(ctx context.Context, q Querier, id string) (Debtor, error) {
	d, err := scanDebtor(q.QueryRow(ctx, `SELECT `+debtorColumns+` FROM debtors WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Debtor{}, fmt.Errorf("debtor %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Debtor{}, fmt.Errorf("load debtor %s: %w", id, err)
	}
	return d, nil
}

// GetDebtorForUpdate loads a debtor and locks its row until the transaction ends.
func GetDebtorForUpdate(ctx context.Context, tx pgx.Tx, id string) (Debtor, error) {
	d, err := scanDebtor(tx.QueryRow(ctx, `SELECT `+debtorColumns+` FROM debtors WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Debtor{}, fmt.Errorf("debtor %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Debtor{}, fmt.Errorf("load debtor %s: %w", id, err)
	}
	return d, nil
}

// UpsertDebtor creates or replaces the debtor's master data. Delivery
// statuses (email_status, phone_status) belong to the delivery feedback and
// are kept on update.
func UpsertDebtor(ctx context.Context, q Querier, d Debtor) (Debtor, error) {
	var collector *string
	if d.CollectorID != "" {
		collector = &d.CollectorID
	}
	lines := d.AddressLines
	if lines == nil {
		lines = []string{}
	}
	row := q.QueryRow(ctx, `
		INSERT INTO debtors (id, name, is_business, registration_number, email, phone, address_lines, postal_code,
			city, country, language, timezone, segment, risk_rating, credit_limit_cents, currency, collector_id,
			contact_window_start, contact_window_end)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (id) DO UPDATE SET
			name = EXCLUDED.name, is_business = EXCLUDED.is_business,
			registration_number = EXCLUDED.registration_number, email = EXCLUDED.email, phone = EXCLUDED.phone,
			address_lines = EXCLUDED.address_lines, postal_code = EXCLUDED.postal_code, city = EXCLUDED.city,
			country = EXCLUDED.country, language = EXCLUDED.language, timezone = EXCLUDED.timezone,
			segment = EXCLUDED.segment, risk_rating = EXCLUDED.risk_rating,
			credit_limit_cents = EXCLUDED.credit_limit_cents, currency = EXCLUDED.currency,
			collector_id = EXCLUDED.collector_id, contact_window_start = EXCLUDED.contact_window_start,
			contact_window_end = EXCLUDED.contact_window_end, updated_at = now()
		RETURNING `+debtorColumns,
		d.ID, d.Name, d.IsBusiness, d.RegistrationNumber, d.Email, d.Phone, lines, d.PostalCode, d.City,
		d.Country, d.Language, d.Timezone, d.Segment, d.RiskRating, d.CreditLimitCents, d.Currency, collector,
		d.ContactWindowStart, d.ContactWindowEnd)
	out, err := scanDebtor(row)
	if err != nil {
		return Debtor{}, fmt.Errorf("upsert debtor %s: %w", d.ID, err)
	}
	return out, nil
}

// SetConsent records whether a debtor accepts a channel (opted_in=false is an opt-out).
func SetConsent(ctx context.Context, q Querier, debtorID, channel string, optedIn bool, source string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO channel_consents (debtor_id, channel, opted_in, source) VALUES ($1, $2, $3, $4)
		ON CONFLICT (debtor_id, channel) DO UPDATE SET opted_in = EXCLUDED.opted_in, source = EXCLUDED.source, updated_at = now()`,
		debtorID, channel, optedIn, source)
	if err != nil {
		return fmt.Errorf("set consent %s/%s: %w", debtorID, channel, err)
	}
	return nil
}

// Consents returns the debtor's channel consents keyed by channel.
func Consents(ctx context.Context, q Querier, debtorID string) (map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT channel, opted_in FROM channel_consents WHERE debtor_id = $1`, debtorID)
	if err != nil {
		return nil, fmt.Errorf("consents of %s: %w", debtorID, err)
	}
	out := map[string]bool{}
	var ch string
	var in bool
	_, err = pgx.ForEachRow(rows, []any{&ch, &in}, func() error { out[ch] = in; return nil })
	if err != nil {
		return nil, fmt.Errorf("consents of %s: %w", debtorID, err)
	}
	return out, nil
}

// Collector is a person working a portfolio of debtors.
type Collector struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Active bool   `json:"active"`
}

// UpsertCollector creates or updates a collector.
func UpsertCollector(ctx context.Context, q Querier, c Collector) error {
	_, err := q.Exec(ctx, `
		INSERT INTO collectors (id, name, email, active) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, active = EXCLUDED.active`,
		c.ID, c.Name, c.Email, c.Active)
	if err != nil {
		return fmt.Errorf("upsert collector %s: %w", c.ID, err)
	}
	return nil
}

// CollectorExists reports whether id names a collector.
func CollectorExists(ctx context.Context, q Querier, id string) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM collectors WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up collector %s: %w", id, err)
	}
	return ok, nil
}
