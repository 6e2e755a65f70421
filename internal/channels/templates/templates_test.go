package templates

import (
	"strings"
	"testing"
	"time"
)

func data(lang string) Data {
	return Data{Lang: lang, CreditorName: "Créancier SA", DebtorName: "Débiteur SARL", InvoiceNumber: "F-9",
		DueDate: Date(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), lang), DaysOverdue: 12,
		Amount: "1\u00a0234,56\u00a0€", PaymentLink: "https://pay.example/F-9"}
}

func TestMessagesShowAmountAndPaymentLinkInTheDebtorsLanguage(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, word string }{{"fr", "impayée"}, {"en", "overdue"}} {
		m, err := set.Message("reminder", data(tc.lang))
		if err != nil {
			t.Fatal(err)
		}
		for part, s := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML, "sms": m.SMS} {
			if !strings.Contains(s, "1\u00a0234,56\u00a0€") {
				t.Errorf("%s %s lacks the amount: %q", tc.lang, part, s)
			}
		}
		for part, s := range map[string]string{"text": m.Text, "html": m.HTML, "sms": m.SMS} {
			if !strings.Contains(s, "https://pay.example/F-9") {
				t.Errorf("%s %s lacks the payment link: %q", tc.lang, part, s)
			}
		}
		if !strings.Contains(m.Subject, tc.word) {
			t.Errorf("%s subject %q is not in its language", tc.lang, m.Subject)
		}
	}
	if m, _ := set.Message("reminder", data("fr")); !strings.Contains(m.Text, "1er mars 2026") {
		t.Errorf("French dates read \"1er mars 2026\": %q", m.Text)
	}
}

func TestHTMLEscapesDebtorData(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	d := data("fr")
	d.DebtorName = `<script>alert(1)</script>`
	m, err := set.Message("reminder", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") {
		t.Errorf("HTML part does not escape the debtor's name: %s", m.HTML)
	}
}

func TestUnknownTemplatesFallBack(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := set.Message("formal_notice", data("en")) // a letter template used on an e-mail step
	if err != nil || !strings.Contains(m.Subject, "overdue") {
		t.Errorf("message fallback = %q, %v", m.Subject, err)
	}
	l, err := set.Letter("reminder", data("fr")) // an e-mail template used on a letter step
	if err != nil || !strings.Contains(l.Subject, "relance") {
		t.Errorf("letter fallback = %q, %v", l.Subject, err)
	}
	sms, err := set.Message("pre_due", data("fr"))
	if err != nil || strings.Contains(sms.SMS, "\n") || len(sms.SMS) > 320 {
		t.Errorf("an SMS is one short line: %q (%v)", sms.SMS, err)
	}
}
