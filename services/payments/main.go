// Command payments receives payment webhooks (a Stripe-compatible scheme
// and a generic HMAC scheme for banks and PSPs) and manual payments, books
// them in the ledger in one transaction with their dedupe key and the case
// commands they owe, and runs the relay that delivers those commands to
// the cases.
//
// Settings (besides the common DATABASE_URL, HTTP_ADDR (:8081), LOG_LEVEL
// and TEMPORAL_*):
//
//	PAYMENTS_STRIPE_SECRETS     comma-separated endpoint secrets of /v1/webhooks/stripe
//	                            (several during a rotation); unset: endpoint off
//	PAYMENTS_HMAC_SECRETS       comma-separated secrets of the generic HMAC endpoint; unset: off
//	PAYMENTS_HMAC_PROVIDER      its name, the last segment of its URL (default bank)
//	PAYMENTS_WEBHOOK_TOLERANCE  how far a signed timestamp may be from now (default 5m)
//	CASE_RELAY_ENABLED, CASE_RELAY_WORKERS, CASE_RELAY_POLL_INTERVAL  see caserelay.Settings
package main

import (
	"fmt"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/caserelay"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/ledger"
	"github.com/relance/relance/internal/process"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/internal/webhook"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "payments:", err)
		os.Exit(1)
	}
}

// StripeProvider is the URL name of the Stripe-compatible endpoint.
const StripeProvider = "stripe"

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// settings are this service's own settings.
type settings struct {
	StripeSecrets []string
	HMACSecrets   []string
	HMACProvider  string
	Tolerance     time.Duration
}

func readSettings(env *config.Env) settings {
	return settings{
		StripeSecrets: env.List("PAYMENTS_STRIPE_SECRETS"),
		HMACSecrets:   env.List("PAYMENTS_HMAC_SECRETS"),
		HMACProvider:  env.String("PAYMENTS_HMAC_PROVIDER", "bank"),
		Tolerance:     env.Duration("PAYMENTS_WEBHOOK_TOLERANCE", webhook.DefaultTolerance),
	}
}

// providers builds the configured webhook endpoints.
func (s settings) providers() (map[string]Provider, error) {
	// The agency's collections have the namespace "agency" of their own.
	if !providerName.MatchString(s.HMACProvider) || s.HMACProvider == StripeProvider || s.HMACProvider == ledger.AgencyNamespace {
		return nil, fmt.Errorf("config: PAYMENTS_HMAC_PROVIDER must be a lower-case name other than %q and %q, got %q",
			StripeProvider, ledger.AgencyNamespace, s.HMACProvider)
	}
	if s.Tolerance <= 0 {
		return nil, fmt.Errorf("config: PAYMENTS_WEBHOOK_TOLERANCE must be positive, got %s", s.Tolerance)
	}
	out := map[string]Provider{}
	if len(s.StripeSecrets) > 0 {
		out[StripeProvider] = Provider{
			Name:     StripeProvider,
			Verifier: webhook.Stripe{Secrets: webhook.Secrets(s.StripeSecrets), Tolerance: s.Tolerance},
			Parse:    ParseStripeEvent,
		}
	}
	if len(s.HMACSecrets) > 0 {
		out[s.HMACProvider] = Provider{
			Name:     s.HMACProvider,
			Verifier: webhook.HMAC{Secrets: webhook.Secrets(s.HMACSecrets), Tolerance: s.Tolerance},
			Parse:    ParseGenericEvent,
		}
	}
	return out, nil
}

func run() error {
	env := config.NewEnv(os.LookupEnv)
	common := config.ReadCommon(env, ":8081")
	own := readSettings(env)
	relaySettings := caserelay.ReadSettings(env)
	if err := env.Err(); err != nil {
		return err
	}
	providers, err := own.providers()
	if err != nil {
		return err
	}
	ctx, stop := service.SignalContext()
	defer stop()
	p, err := process.Open(ctx, "payments", common)
	if err != nil {
		return err
	}
	defer p.Close()
	logger := p.Logger

	if len(providers) == 0 {
		logger.Warn("no webhook provider configured: set PAYMENTS_STRIPE_SECRETS and/or PAYMENTS_HMAC_SECRETS")
	}
	for name := range providers {
		logger.Info("webhook endpoint", "path", "/v1/webhooks/"+name)
	}
	gin.SetMode(gin.ReleaseMode)
	h := &Handlers{Store: p.Store, Providers: providers, Logger: logger, Webhooks: NewWebhookCounter(p.Registry)}
	var wg sync.WaitGroup
	if relaySettings.Enabled {
		relay := caserelay.New(p.Store, p.Cases(), logger, relaySettings, p.Registry, "payments")
		wg.Go(func() { _ = relay.Run(ctx) })
	}
	err = p.Serve(ctx, h.Router())
	stop()
	wg.Wait()
	return err
}
