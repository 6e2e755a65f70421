// Package outbox is the channel used when no provider is configured: it
// sends nothing. The rendered message is already on its interaction row
// in Postgres; the outbox also writes it, with any attached PDF, under a
// folder (.dev/outbox by default) so a newcomer running `make dev` can
// open every message the ladder produced.
package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/relance/relance/internal/channels"
	"github.com/relance/relance/internal/channels/postal"
)

// Outbox writes messages under Dir/email and Dir/sms.
type Outbox struct {
	Dir string
}

// Provider names the adapter on interactions.
func (o *Outbox) Provider() string { return "outbox" }

// SendEmail writes <ref>.txt (headers and text), <ref>.html and the
// attachments as <ref>-<filename>; the message ID is "outbox:<ref>".
func (o *Outbox) SendEmail(_ context.Context, m channels.Email) (string, error) {
	ref := m.CustomArgs["interaction_id"]
	if ref == "" {
		return "", fmt.Errorf("outbox: e-mail without interaction_id")
	}
	dir := filepath.Join(o.Dir, "email")
	var b strings.Builder
	fmt.Fprintf(&b, "To: %s <%s>\nSubject: %s\n", m.ToName, m.To, m.Subject)
	for _, a := range m.Attachments {
		fmt.Fprintf(&b, "Attachment: %s-%s\n", ref, a.Filename)
	}
	b.WriteString("\n" + m.Text)
	if err := postal.WriteFile(filepath.Join(dir, ref+".txt"), []byte(b.String())); err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	if m.HTML != "" {
		if err := postal.WriteFile(filepath.Join(dir, ref+".html"), []byte(m.HTML)); err != nil {
			return "", fmt.Errorf("outbox: %w", err)
		}
	}
	for _, a := range m.Attachments {
		if err := postal.WriteFile(filepath.Join(dir, ref+"-"+filepath.Base(a.Filename)), a.Content); err != nil {
			return "", fmt.Errorf("outbox: %w", err)
		}
	}
	return "outbox:" + ref, nil
}

// SendSMS writes <ref>.txt under Dir/sms.
func (o *Outbox) SendSMS(_ context.Context, m channels.SMS) (string, error) {
	if m.Reference == "" {
		return "", fmt.Errorf("outbox: SMS without reference")
	}
	body := fmt.Sprintf("To: %s\n\n%s\n", m.To, m.Body)
	if err := postal.WriteFile(filepath.Join(o.Dir, "sms", m.Reference+".txt"), []byte(body)); err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	return "outbox:" + m.Reference, nil
}
