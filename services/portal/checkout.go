package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripe/stripe-go/v82"
)

// CheckoutRequest is a card payment to start.
type CheckoutRequest struct {
	// ID is ours (portal_checkouts.id), given to the provider as the
	// client reference.
	ID          string
	AmountCents int64
	Currency    string
	// Label names what is paid ("Facture F-2026-0042").
	Label string
	Email string
	Lang  lang
	// Metadata goes on the session and on its payment intent, so the
	// payment webhook knows which invoices the money is for.
	Metadata   map[string]string
	SuccessURL string
	CancelURL  string
}

// CheckoutProvider starts a hosted card payment and says where to send
// the debtor.
type CheckoutProvider interface {
	Name() string
	Start(ctx context.Context, req CheckoutRequest) (sessionID, redirectURL string, err error)
}

// StripeCheckout starts Stripe Checkout sessions with the real client.
type StripeCheckout struct {
	Client *stripe.Client
}

// NewStripeCheckout builds the client; apiBase replaces Stripe's API host
// when set (tests fake Stripe at its HTTP boundary).
func NewStripeCheckout(secretKey, apiBase string, httpClient *http.Client) *StripeCheckout {
	cfg := &stripe.BackendConfig{MaxNetworkRetries: stripe.Int64(2), HTTPClient: httpClient}
	if apiBase != "" {
		cfg.URL = stripe.String(strings.TrimRight(apiBase, "/"))
	}
	return &StripeCheckout{Client: stripe.NewClient(secretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))}
}

// Name is the provider's name in portal_checkouts.
func (s *StripeCheckout) Name() string { return "stripe" }

// Start creates a payment-mode session of one line for the amount, with
// the metadata on the session and on its payment intent (the webhook of
// services/payments reads the intent's).
func (s *StripeCheckout) Start(ctx context.Context, req CheckoutRequest) (string, string, error) {
	params := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(req.ID),
		SuccessURL:        stripe.String(req.SuccessURL),
		CancelURL:         stripe.String(req.CancelURL),
		Locale:            stripe.String(string(req.Lang)),
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(req.Currency)),
				UnitAmount:  stripe.Int64(req.AmountCents),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(req.Label)},
			},
		}},
		Metadata:          req.Metadata,
		PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: req.Metadata},
	}
	if req.Email != "" {
		params.CustomerEmail = stripe.String(req.Email)
	}
	// One session per checkout of ours, even if this call is retried.
	params.SetIdempotencyKey("relance-" + req.ID)
	sess, err := s.Client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return "", "", fmt.Errorf("stripe checkout session for %s: %w", req.ID, err)
	}
	return sess.ID, sess.URL, nil
}
