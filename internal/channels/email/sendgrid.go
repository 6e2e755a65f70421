// Package email sends e-mails through the SendGrid v3 mail send API.
package email

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sendgrid/rest"
	"github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/relance/relance/internal/channels"
)

// SendGrid sends through the v3 mail send endpoint. It builds a request
// per send: the library's shared Client writes into one request body and
// races when activities run concurrently.
type SendGrid struct {
	APIKey   string
	BaseURL  string // "" for https://api.sendgrid.com
	From     string
	FromName string
	// HTTPClient carries the requests (timeouts); nil for a 20 s default (the workflow runs sends as local activities of 30 s).
	HTTPClient *http.Client
}

// Provider names the adapter on interactions.
func (s *SendGrid) Provider() string { return "sendgrid" }

// SendEmail posts one message and returns SendGrid's X-Message-Id.
// 429 and 5xx are NotAcceptedError (retry later); other 4xx are a
// RejectedError (the request or recipient is wrong: retrying fails again).
func (s *SendGrid) SendEmail(ctx context.Context, m channels.Email) (string, error) {
	body, err := json.Marshal(s.message(m))
	if err != nil {
		return "", fmt.Errorf("encode mail: %w", err)
	}
	req := sendgrid.GetRequest(s.APIKey, "/v3/mail/send", s.BaseURL)
	req.Method = rest.Post
	req.Body = body
	hc := s.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	resp, err := (&rest.Client{HTTPClient: hc}).SendWithContext(ctx, req)
	if err != nil {
		if refused(err) {
			return "", &channels.NotAcceptedError{Err: fmt.Errorf("sendgrid: %w", err)}
		}
		return "", fmt.Errorf("sendgrid: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", &channels.NotAcceptedError{Err: fmt.Errorf("sendgrid: HTTP %d: %s", resp.StatusCode, clip(resp.Body))}
	case resp.StatusCode >= 400:
		return "", &channels.RejectedError{Reason: channels.ReasonInvalid,
			Err: fmt.Errorf("sendgrid: HTTP %d: %s", resp.StatusCode, clip(resp.Body))}
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return "", fmt.Errorf("sendgrid: unexpected HTTP %d", resp.StatusCode)
	}
	if ids := resp.Headers["X-Message-Id"]; len(ids) > 0 {
		return ids[0], nil
	}
	return "", nil
}

func (s *SendGrid) message(m channels.Email) *mail.SGMailV3 {
	msg := mail.NewV3Mail()
	msg.SetFrom(mail.NewEmail(s.FromName, s.From))
	msg.Subject = m.Subject
	p := mail.NewPersonalization()
	p.AddTos(mail.NewEmail(m.ToName, m.To))
	msg.AddPersonalizations(p)
	msg.AddContent(mail.NewContent("text/plain", m.Text))
	if m.HTML != "" {
		msg.AddContent(mail.NewContent("text/html", m.HTML))
	}
	for _, a := range m.Attachments {
		msg.AddAttachment(mail.NewAttachment().
			SetContent(base64.StdEncoding.EncodeToString(a.Content)).
			SetType(a.ContentType).
			SetFilename(a.Filename).
			SetDisposition("attachment"))
	}
	for k, v := range m.CustomArgs {
		msg.SetCustomArg(k, v)
	}
	return msg
}

// refused reports a connection that failed before any byte was sent, so
// the provider cannot have accepted the message.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
