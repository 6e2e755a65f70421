// Package sms sends text messages through Twilio's Messages API.
package sms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/relance/relance/internal/channels"
)

// Twilio sends SMS with twilio-go.
type Twilio struct {
	rest *twilio.RestClient
	from string
}

// TwilioConfig configures the adapter.
type TwilioConfig struct {
	AccountSID string
	AuthToken  string
	From       string // E.164 number or messaging service SID
	// BaseURL replaces https://api.twilio.com (tests, proxies); "" for Twilio.
	BaseURL string
	// HTTPClient carries the requests; nil for a 20 s default (the workflow runs sends as local activities of 30 s).
	HTTPClient *http.Client
}

// NewTwilio builds the client. twilio-go has no base URL setting, so a
// BaseURL is applied by a transport that rewrites each request's host.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	// Twilio answers some calls with redirects that must not be followed.
	hc = &http.Client{Transport: hc.Transport, Timeout: hc.Timeout, Jar: hc.Jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if cfg.BaseURL != "" {
		base, err := url.Parse(cfg.BaseURL)
		if err != nil || base.Host == "" {
			return nil, fmt.Errorf("twilio base URL %q: want scheme://host", cfg.BaseURL)
		}
		next := hc.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		hc.Transport = rewriteHost{base: base, next: next}
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(cfg.AccountSID, cfg.AuthToken), HTTPClient: hc}
	c.SetAccountSid(cfg.AccountSID)
	return &Twilio{rest: twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}), from: cfg.From}, nil
}

// Provider names the adapter on interactions.
func (t *Twilio) Provider() string { return "twilio" }

// Error codes Twilio returns for a recipient that will never get our texts.
var unusableCodes = map[int]bool{21211: true, 21612: true, 21614: true,
	30003: true, 30004: true, 30005: true, 30006: true, 30007: true}

// optOutCode is "the recipient replied STOP".
const optOutCode = 21610

// SendSMS creates a message and returns its SID. twilio-go takes no
// context, so cancellation relies on the HTTP client's timeout.
func (t *Twilio) SendSMS(_ context.Context, m channels.SMS) (string, error) {
	p := &api.CreateMessageParams{}
	p.SetTo(m.To)
	p.SetFrom(t.from)
	p.SetBody(m.Body)
	if m.StatusCallback != "" {
		p.SetStatusCallback(m.StatusCallback)
	}
	msg, err := t.rest.Api.CreateMessage(p)
	if err != nil {
		return "", classify(err)
	}
	if msg.Sid == nil {
		return "", fmt.Errorf("twilio: message created without a SID")
	}
	return *msg.Sid, nil
}

func classify(err error) error {
	var te *twclient.TwilioRestError
	if errors.As(err, &te) {
		switch {
		case te.Code == optOutCode:
			return &channels.RejectedError{Reason: channels.ReasonOptedOut, Err: fmt.Errorf("twilio: %w", err)}
		case unusableCodes[te.Code]:
			return &channels.RejectedError{Reason: channels.ReasonPhoneUnusable, Err: fmt.Errorf("twilio: %w", err)}
		case te.Status == http.StatusTooManyRequests || te.Status >= 500:
			return &channels.NotAcceptedError{Err: fmt.Errorf("twilio: %w", err)}
		case te.Status >= 400:
			return &channels.RejectedError{Reason: channels.ReasonInvalid, Err: fmt.Errorf("twilio: %w", err)}
		}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &channels.NotAcceptedError{Err: fmt.Errorf("twilio: %w", err)}
	}
	return fmt.Errorf("twilio: %w", err)
}

// rewriteHost sends every request to base's scheme and host, keeping the path.
type rewriteHost struct {
	base *url.URL
	next http.RoundTripper
}

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme = r.base.Scheme
	req.URL.Host = r.base.Host
	req.Host = r.base.Host
	return r.next.RoundTrip(req)
}
