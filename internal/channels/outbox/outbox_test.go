package outbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relance/relance/internal/channels"
)

func TestOutboxWritesWhatWouldHaveBeenSent(t *testing.T) {
	dir := t.TempDir()
	o := &Outbox{Dir: dir}
	id, err := o.SendEmail(context.Background(), channels.Email{To: "ap@d.fr", ToName: "Débiteur", Subject: "Facture F-1 : 12,00\u00a0€",
		Text: "texte", HTML: "<p>html</p>", CustomArgs: map[string]string{"interaction_id": "int-1"},
		Attachments: []channels.Attachment{{Filename: "releve-F-1.pdf", Content: []byte("%PDF")}}})
	if err != nil || id != "outbox:int-1" {
		t.Fatalf("SendEmail = %q, %v", id, err)
	}
	for name, want := range map[string]string{"int-1.txt": "Subject: Facture F-1 : 12,00\u00a0€", "int-1.html": "<p>html</p>",
		"int-1-releve-F-1.pdf": "%PDF"} {
		b, err := os.ReadFile(filepath.Join(dir, "email", name))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s = %q, %v; want it to contain %q", name, b, err, want)
		}
	}
	if _, err := o.SendEmail(context.Background(), channels.Email{To: "x"}); err == nil {
		t.Error("an e-mail without interaction_id has nowhere to go")
	}
	id, err = o.SendSMS(context.Background(), channels.SMS{To: "+33611223344", Body: "Payer : https://pay", Reference: "int-2"})
	if err != nil || id != "outbox:int-2" {
		t.Fatalf("SendSMS = %q, %v", id, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sms", "int-2.txt")); !strings.Contains(string(b), "Payer : https://pay") {
		t.Errorf("sms file = %q", b)
	}
}
