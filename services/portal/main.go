// Command portal serves the debtor portal: the page a personal link in
// every reminder opens, where a debtor sees what it owes and pays (card
// through Stripe Checkout, or transfer with an ISO 11649 reference),
// promises a date, asks for a plan, disputes, writes to the collector and
// manages its contact preferences. It is public-facing and needs no
// account: the link's secret is the key, scoped to one debtor.
//
// Settings (besides the common DATABASE_URL, HTTP_ADDR (:8086), LOG_LEVEL
// and TEMPORAL_*):
//
//	PORTAL_BASE_URL              public URL of the portal (default http://localhost:8086)
//	STRIPE_SECRET_KEY            Stripe API key: card payments through Stripe Checkout
//	STRIPE_API_BASE              replaces https://api.stripe.com (tests, proxies)
//	PORTAL_LOCAL_WEBHOOK_URL     without a Stripe key: the payments service's Stripe endpoint
//	                             that the local checkout page posts to (default http://localhost:8081/v1/webhooks/stripe)
//	PORTAL_LOCAL_WEBHOOK_SECRET  without a Stripe key: the endpoint secret it signs with
//	                             (one of PAYMENTS_STRIPE_SECRETS); unset: no card payment
//	CREDITOR_NAME, CREDITOR_IBAN, CREDITOR_BIC   shown for bank transfers
//	PORTAL_MAX_ATTACHMENT        largest dispute attachment in bytes (default 5 MiB)
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/process"
	"github.com/relance/relance/internal/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

// DefaultAddr is the portal's port.
const DefaultAddr = ":8086"

func run() error {
	env := config.NewEnv(os.LookupEnv)
	common := config.ReadCommon(env, DefaultAddr)
	settings := Settings{
		BaseURL:       strings.TrimRight(env.URL("PORTAL_BASE_URL", "http://localhost:8086"), "/"),
		CreditorName:  env.String("CREDITOR_NAME", "Relance Démo SAS"),
		IBAN:          strings.ReplaceAll(env.String("CREDITOR_IBAN", ""), " ", ""),
		BIC:           env.String("CREDITOR_BIC", ""),
		MaxAttachment: int64(env.Int("PORTAL_MAX_ATTACHMENT", 5<<20)),
	}
	stripeKey := env.String("STRIPE_SECRET_KEY", "")
	stripeBase := env.URL("STRIPE_API_BASE", "")
	localURL := env.URL("PORTAL_LOCAL_WEBHOOK_URL", "http://localhost:8081/v1/webhooks/stripe")
	localSecret := env.String("PORTAL_LOCAL_WEBHOOK_SECRET", "")
	if err := env.Err(); err != nil {
		return err
	}
	if settings.MaxAttachment <= 0 {
		return fmt.Errorf("config: PORTAL_MAX_ATTACHMENT must be positive")
	}
	ctx, stop := service.SignalContext()
	defer stop()
	proc, err := process.Open(ctx, "portal", common)
	if err != nil {
		return err
	}
	defer proc.Close()

	p := &Portal{Store: proc.Store, Cases: proc.Cases(), Logger: proc.Logger, Settings: settings}
	switch {
	case stripeKey != "":
		p.Checkout = NewStripeCheckout(stripeKey, stripeBase, &http.Client{Timeout: 30 * time.Second})
		proc.Logger.Info("card payments through Stripe Checkout")
	case localSecret != "":
		p.Local = &LocalCheckout{BaseURL: settings.BaseURL, WebhookURL: localURL, Secret: []byte(localSecret)}
		p.Checkout = p.Local
		proc.Logger.Info("card payments through the local checkout page (no Stripe key)", "webhook", localURL)
	default:
		proc.Logger.Warn("no card payment: set STRIPE_SECRET_KEY, or PORTAL_LOCAL_WEBHOOK_SECRET for the local checkout")
	}
	if err := p.Init(); err != nil {
		return err
	}
	return proc.Serve(ctx, p.Router())
}
