// Command events receives delivery feedback: SendGrid's Event Webhook
// (ECDSA-signed), Twilio's status callbacks (X-Twilio-Signature) and
// registered-mail tracking events (HMAC-signed). Each event is verified on
// the raw body, recorded once on its interaction, and signalled to the
// case when it changes the course (bounced, undeliverable, opted out,
// acknowledgement signed). The collection agency's reports (payments
// collected, file closed) come in the same way and are signalled too.
//
// Settings (besides the common DATABASE_URL, HTTP_ADDR (:8083), LOG_LEVEL
// and TEMPORAL_*):
//
//	SENDGRID_WEBHOOK_PUBLIC_KEY  base64 ECDSA public key of the signed Event Webhook
//	                             (SendGrid's Mail Settings page); unset: endpoint off (503)
//	TWILIO_AUTH_TOKEN            verifies X-Twilio-Signature; unset: endpoint off (503)
//	PUBLIC_BASE_URL              this service's public URL (https://events.example.com), which
//	                             Twilio signs; default http://<HTTP_ADDR> (localhost when no host)
//	POSTAL_WEBHOOK_SECRETS       comma-separated HMAC secrets of /v1/webhooks/postal
//	                             (X-Relance-Signature: t=<unix>,v1=<hex>); unset: endpoint off (503)
//	AGENCY_SECRET                comma-separated HMAC secrets of /v1/webhooks/agency, where the
//	                             collection agency reports payments and closure (same scheme);
//	                             unset: endpoint off (503)
//	WEBHOOK_TOLERANCE            how far a signed timestamp may be from now (default 5m)
package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/process"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/internal/webhook"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "events:", err)
		os.Exit(1)
	}
}

// settings are this service's own settings.
type settings struct {
	sendGridKey   *ecdsa.PublicKey
	twilioToken   string
	publicBaseURL string
	postalSecrets [][]byte
	agencySecrets [][]byte
	tolerance     time.Duration
}

func readSettings(env *config.Env, addr string) (settings, error) {
	s := settings{
		twilioToken:   env.String("TWILIO_AUTH_TOKEN", ""),
		publicBaseURL: strings.TrimRight(env.URL("PUBLIC_BASE_URL", localURL(addr)), "/"),
		tolerance:     env.Duration("WEBHOOK_TOLERANCE", webhook.DefaultTolerance),
	}
	if secrets := env.List("POSTAL_WEBHOOK_SECRETS"); len(secrets) > 0 {
		s.postalSecrets = webhook.Secrets(secrets)
	}
	if secrets := env.List("AGENCY_SECRET"); len(secrets) > 0 {
		s.agencySecrets = webhook.Secrets(secrets)
	}
	if key := env.String("SENDGRID_WEBHOOK_PUBLIC_KEY", ""); key != "" {
		pub, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(key)
		if err != nil {
			return s, fmt.Errorf("config: SENDGRID_WEBHOOK_PUBLIC_KEY must be a base64 ECDSA public key: %w", err)
		}
		s.sendGridKey = pub
	}
	if s.tolerance <= 0 {
		return s, fmt.Errorf("config: WEBHOOK_TOLERANCE must be positive, got %s", s.tolerance)
	}
	return s, nil
}

// localURL is the URL of a listen address: ":8083" is http://localhost:8083.
func localURL(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "http://localhost" + addr
	}
	return "http://" + addr
}

func run() error {
	env := config.NewEnv(os.LookupEnv)
	common := config.ReadCommon(env, ":8083")
	own, err := readSettings(env, common.HTTPAddr)
	if err := errors.Join(env.Err(), err); err != nil {
		return err
	}
	ctx, stop := service.SignalContext()
	defer stop()
	p, err := process.Open(ctx, "events", common)
	if err != nil {
		return err
	}
	defer p.Close()
	logger := p.Logger
	h := &Handlers{
		Store: p.Store, Logger: logger, Metrics: NewMetrics(p.Registry),
		Cases:           caseSignaler{p.Cases()},
		SendGridKey:     own.sendGridKey,
		TwilioAuthToken: own.twilioToken,
		PublicBaseURL:   own.publicBaseURL,
		PostalSecrets:   own.postalSecrets,
		AgencySecrets:   own.agencySecrets,
		Tolerance:       own.tolerance,
	}
	for name, on := range map[string]bool{"sendgrid": own.sendGridKey != nil, "twilio": own.twilioToken != "",
		"postal": len(own.postalSecrets) > 0, "agency": len(own.agencySecrets) > 0} {
		logger.Info("webhook endpoint", "path", "/v1/webhooks/"+name, "enabled", on)
	}
	return p.Serve(ctx, h.Routes())
}

// caseSignaler signals through the case client; a case that has ended or
// never started has nobody to tell, which is not an error for a webhook.
type caseSignaler struct{ c *caseclient.Client }

func (s caseSignaler) Signal(ctx context.Context, invoiceID, name string, arg any) error {
	err := s.c.Signal(ctx, invoiceID, name, arg)
	if errors.Is(err, caseclient.ErrCaseClosed) || errors.Is(err, caseclient.ErrCaseNotFound) {
		return nil
	}
	return err
}
