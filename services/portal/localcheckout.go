package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/webhook"
)

// LocalCheckout stands in for Stripe Checkout when no Stripe key is set
// (make dev, tests): its page takes the "card" and posts the payments
// service a payment_intent.succeeded event signed with the endpoint
// secret, exactly as Stripe would, so the whole path runs offline.
type LocalCheckout struct {
	// BaseURL is the portal's public URL (the page is served by the portal).
	BaseURL string
	// WebhookURL is services/payments' Stripe endpoint.
	WebhookURL string
	Secret     []byte
	HTTP       *http.Client
}

// Name is the provider's name in portal_checkouts.
func (l *LocalCheckout) Name() string { return "local" }

// Start sends the debtor to the local page; the return URL travels in
// the query, as Stripe keeps a session's success URL.
func (l *LocalCheckout) Start(_ context.Context, req CheckoutRequest) (string, string, error) {
	return "local_" + req.ID, l.BaseURL + "/checkout/" + req.ID + "?return=" + url.QueryEscape(req.SuccessURL), nil
}

type checkoutData struct {
	Amount, Label, Return string
	Done                  bool
}

// localCheckout loads the checkout of the URL; a missing one is the
// neutral page.
func (p *Portal) localCheckout(w http.ResponseWriter, r *http.Request) (store.Checkout, *view, bool) {
	c, err := store.GetCheckout(r.Context(), p.Store.Pool, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Provider != "local") {
		p.Limiter.Fail(clientAddr(r))
		p.neutral(w, r, http.StatusNotFound)
		return c, nil, false
	}
	if err != nil {
		p.fail(w, r, err)
		return c, nil, false
	}
	d, err := store.GetDebtor(r.Context(), p.Store.Pool, c.DebtorID)
	if err != nil {
		p.fail(w, r, err)
		return c, nil, false
	}
	l, _ := parseLang(d.Language)
	v := p.newView(&session{Lang: l}, "checkout_title")
	return c, v, true
}

// returnURL keeps a return address only when it leads back to the portal.
func (p *Portal) returnURL(s string) string {
	if strings.HasPrefix(s, p.Settings.BaseURL+"/p/") {
		return s
	}
	return ""
}

func (p *Portal) localCheckoutPage(w http.ResponseWriter, r *http.Request) {
	if p.Limiter.Blocked(clientAddr(r)) {
		p.neutral(w, r, http.StatusTooManyRequests)
		return
	}
	c, v, ok := p.localCheckout(w, r)
	if !ok {
		return
	}
	meta, err := p.checkoutMetadata(r.Context(), c)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v.Data = checkoutData{Amount: domain.NewMoney(c.AmountCents, c.Currency).Format(string(v.L)),
		Label: meta["invoice_numbers"], Return: p.returnURL(r.URL.Query().Get("return")), Done: c.Status == "submitted"}
	p.render(w, r, http.StatusOK, "checkout", v)
}

// localCheckoutPay "charges the card": it posts the signed event. Posting
// again sends the same event ID, which the payments service books once.
func (p *Portal) localCheckoutPay(w http.ResponseWriter, r *http.Request) {
	if p.Limiter.Blocked(clientAddr(r)) {
		p.neutral(w, r, http.StatusTooManyRequests)
		return
	}
	c, v, ok := p.localCheckout(w, r)
	if !ok {
		return
	}
	meta, err := p.checkoutMetadata(r.Context(), c)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	data := checkoutData{Amount: domain.NewMoney(c.AmountCents, c.Currency).Format(string(v.L)),
		Label: meta["invoice_numbers"], Return: p.returnURL(r.FormValue("return"))}
	if err := p.Local.post(r.Context(), c, meta, p.Now()); err != nil {
		p.Logger.Warn("local checkout: webhook not accepted", "checkout", c.ID, "err", err)
		v.Error = v.L.T("checkout_failed")
		v.Data = data
		p.render(w, r, http.StatusBadGateway, "checkout", v)
		return
	}
	if _, err := store.SubmitCheckout(r.Context(), p.Store.Pool, c.ID, p.Now()); err != nil {
		p.fail(w, r, err)
		return
	}
	data.Done = true
	v.Data = data
	p.render(w, r, http.StatusOK, "checkout", v)
}

// post sends the event Stripe would send once the card is charged.
func (l *LocalCheckout) post(ctx context.Context, c store.Checkout, meta map[string]string, now time.Time) error {
	event := map[string]any{
		"id": "evt_local_" + c.ID, "object": "event", "type": "payment_intent.succeeded", "created": now.Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": "pi_local_" + c.ID, "object": "payment_intent", "amount": c.AmountCents, "amount_received": c.AmountCents,
			"currency": strings.ToLower(c.Currency), "metadata": meta, "payment_method_types": []string{"card"},
		}},
	}
	body, err := json.Marshal(event)
	if err != nil {
		return fmt.Errorf("local checkout event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("local checkout webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", webhook.SignStripe(body, now, l.Secret))
	client := l.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("local checkout webhook: %w", err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("local checkout webhook: %s: %s", res.Status, answer)
	}
	return nil
}
