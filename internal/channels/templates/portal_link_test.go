package templates

import (
	"strings"
	"testing"
)

// Every message a debtor can receive carries the personal portal link,
// in each language and on each medium, and the SMS prefers it to the
// ERP's payment link.
func TestEveryMessageCarriesThePortalLink(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	const link = "https://portail.example/p/AbCdEfGhIjKlMnOpQrStUvWxYz0"
	for _, lang := range []string{"fr", "en"} {
		for _, name := range []string{"reminder", "pre_due", "installment_reminder"} {
			d := data(lang)
			d.PortalLink = link
			m, err := set.Message(name, d)
			if err != nil {
				t.Fatal(err)
			}
			for part, s := range map[string]string{"text": m.Text, "html": m.HTML, "sms": m.SMS} {
				if !strings.Contains(s, link) {
					t.Errorf("%s %s %s lacks the portal link: %q", lang, name, part, s)
				}
			}
			if strings.Contains(m.SMS, "https://pay.example/") {
				t.Errorf("%s %s SMS carries both links: %q", lang, name, m.SMS)
			}
		}
	}
}
