package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/agency"
	"github.com/relance/relance/internal/channels/email"
	"github.com/relance/relance/internal/channels/outbox"
	"github.com/relance/relance/internal/channels/postal"
	"github.com/relance/relance/internal/channels/sms"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// ChannelActivities act on the ladder's rungs that reach the debtor:
// messages (e-mail, SMS, letters, registered letters), call tasks for
// collectors and the handoff to a collection agency. Each records what it
// did in Postgres under the caller's idempotency key before any provider
// is called, so a retried activity never sends twice.
type ChannelActivities struct {
	store     *store.Store
	logger    *slog.Logger
	templates *templates.Set
	mailer    channels.Mailer
	texter    channels.Texter
	poster    channels.Poster
	agency    agency.Deliverer
	cfg       ChannelConfig
	now       func() time.Time
	newID     func() string
	// afterProvider runs once a provider has accepted a message, before it
	// is marked sent: tests make it fail to crash the activity at the
	// worst moment.
	afterProvider func(ctx context.Context, interactionID string) error
	// docs keeps every PDF produced (letters, statements, agency packs)
	// as proof, with its SHA-256.
	docs *documents.Archive
}

// ChannelConfig is what the channels need to know about the creditor and
// the deployment.
type ChannelConfig struct {
	Creditor             channels.Address
	CreditorEmail        string
	CreditorRegistration string
	// PublicBaseURL is where services/events is reachable from the
	// providers; status callbacks point there. "" sends none.
	PublicBaseURL string
	// PortalBaseURL is the debtor portal's public URL: every message
	// carries a personal link to it. "" sends none.
	PortalBaseURL string
	// OutboxDir is where the outbox writes its messages.
	OutboxDir string
	// NoticeDays is the deadline a formal notice gives to pay.
	NoticeDays int
}

// NewChannelActivities reads the channels' settings from env and builds
// the adapters; every PDF produced is kept in docs. Without provider
// credentials every channel falls back to the outbox, which records each
// rendered message in Postgres and writes it under OUTBOX_DIR. Settings
// (name — default — meaning):
//
//	OUTBOX_DIR          .dev/outbox        folder for the outbox's messages
//	CREDITOR_NAME       Relance Démo SAS   creditor name on letters, e-mails and agency packs
//	CREDITOR_ADDRESS    (empty)            creditor street lines, separated by "|"
//	CREDITOR_POSTAL_CODE, CREDITOR_CITY, CREDITOR_COUNTRY (FR)   rest of the creditor's address
//	CREDITOR_SIREN      (empty)            creditor registration number, printed on letters and packs
//	CREDITOR_EMAIL      (empty)            contact address shown to debtors and agencies
//	SENDGRID_API_KEY    (empty)            SendGrid API key; unset: e-mails go to the outbox
//	SENDGRID_BASE_URL   https://api.sendgrid.com   SendGrid API host (tests, EU data residency)
//	MAIL_FROM           (required with SENDGRID_API_KEY)   sender address of reminder e-mails
//	MAIL_FROM_NAME      CREDITOR_NAME      sender display name
//	TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM   Twilio credentials and sender; unset: SMS go to the outbox
//	TWILIO_BASE_URL     (empty)            replaces https://api.twilio.com (tests, proxies)
//	PUBLIC_BASE_URL     (empty)            public URL of services/events, for Twilio status callbacks
//	PORTAL_BASE_URL     (empty)            public URL of services/portal: every message carries a personal link to it
//	POSTAL_MODE         filedrop           filedrop (PDF + JSON manifest in POSTAL_DIR) or http (registered-mail API)
//	POSTAL_DIR          OUTBOX_DIR/letters folder of the file drop
//	POSTAL_BASE_URL, POSTAL_API_KEY        registered-mail API and its bearer key (POSTAL_MODE=http)
//	AGENCY_URL          (empty)            agency endpoint receiving packs by signed HTTPS POST
//	AGENCY_SECRET       (required with AGENCY_URL)   HMAC-SHA256 key of the X-Relance-Signature header
//	AGENCY_DIR          OUTBOX_DIR/agency  folder receiving packs when AGENCY_URL is unset
//	NOTICE_DAYS         8                  days a formal notice gives to pay
//
// Late-payment rates are not settings: they are the interest_rates table
// (one row per half-year, GET/PUT /v1/interest-rates).
func NewChannelActivities(env *config.Env, st *store.Store, docs *documents.Archive, logger *slog.Logger) (*ChannelActivities, error) {
	if docs == nil {
		return nil, errors.New("channels: a document archive is required")
	}
	outboxDir := env.String("OUTBOX_DIR", ".dev/outbox")
	cfg := ChannelConfig{
		Creditor: channels.Address{
			Name:       env.String("CREDITOR_NAME", "Relance Démo SAS"),
			Lines:      splitLines(env.String("CREDITOR_ADDRESS", "")),
			PostalCode: env.String("CREDITOR_POSTAL_CODE", ""),
			City:       env.String("CREDITOR_CITY", ""),
			Country:    env.String("CREDITOR_COUNTRY", "FR"),
		},
		CreditorEmail:        env.String("CREDITOR_EMAIL", ""),
		CreditorRegistration: env.String("CREDITOR_SIREN", ""),
		PublicBaseURL:        strings.TrimRight(env.URL("PUBLIC_BASE_URL", ""), "/"),
		PortalBaseURL:        strings.TrimRight(env.URL("PORTAL_BASE_URL", ""), "/"),
		OutboxDir:            outboxDir,
		NoticeDays:           env.Int("NOTICE_DAYS", 8),
	}
	box := &outbox.Outbox{Dir: outboxDir}
	a := &ChannelActivities{store: st, logger: logger, cfg: cfg, mailer: box, texter: box, docs: docs,
		now: time.Now, newID: func() string { return uuid.Must(uuid.NewV7()).String() }}

	if key := env.String("SENDGRID_API_KEY", ""); key != "" {
		a.mailer = &email.SendGrid{
			APIKey:   key,
			BaseURL:  env.URL("SENDGRID_BASE_URL", "https://api.sendgrid.com"),
			From:     env.Required("MAIL_FROM"),
			FromName: env.String("MAIL_FROM_NAME", cfg.Creditor.Name),
		}
	}
	if sid := env.String("TWILIO_ACCOUNT_SID", ""); sid != "" {
		tw, err := sms.NewTwilio(sms.TwilioConfig{
			AccountSID: sid,
			AuthToken:  env.Required("TWILIO_AUTH_TOKEN"),
			From:       env.Required("TWILIO_FROM"),
			BaseURL:    env.URL("TWILIO_BASE_URL", ""),
		})
		if err != nil {
			return nil, fmt.Errorf("config: TWILIO_BASE_URL: %w", err)
		}
		a.texter = tw
	}
	switch env.OneOf("POSTAL_MODE", "filedrop", "filedrop", "http") {
	case "http":
		a.poster = &postal.HTTP{BaseURL: env.URL("POSTAL_BASE_URL", ""), APIKey: env.Required("POSTAL_API_KEY")}
		if a.poster.(*postal.HTTP).BaseURL == "" {
			env.Required("POSTAL_BASE_URL")
		}
	default:
		a.poster = &postal.FileDrop{Dir: env.String("POSTAL_DIR", filepath.Join(outboxDir, "letters"))}
	}
	if url := env.URL("AGENCY_URL", ""); url != "" {
		a.agency = &agency.HTTPS{URL: url, Secret: []byte(env.Required("AGENCY_SECRET"))}
	} else {
		a.agency = &agency.Folder{Dir: env.String("AGENCY_DIR", filepath.Join(outboxDir, "agency"))}
	}
	if err := env.Err(); err != nil {
		return nil, err
	}
	set, err := templates.Load()
	if err != nil {
		return nil, err
	}
	a.templates = set
	return a, nil
}

func splitLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "|") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Register registers the activities under their domain names.
func (a *ChannelActivities) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(a.SendMessage, activity.RegisterOptions{Name: domain.ActivitySendMessage})
	r.RegisterActivityWithOptions(a.CreateCallTask, activity.RegisterOptions{Name: domain.ActivityCreateCallTask})
	r.RegisterActivityWithOptions(a.HandOffToAgency, activity.RegisterOptions{Name: domain.ActivityHandOffToAgency})
}

// permanent marks an error the retry policy must not retry.
func permanent(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), domain.ErrTypePermanent, err)
}

// loadError makes a missing row permanent (retrying will not create it)
// and leaves database trouble retryable.
func loadError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return permanent(err)
	}
	return err
}
