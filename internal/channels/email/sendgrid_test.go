package email

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/relance/relance/internal/channels"
)

type sgBody struct {
	Personalizations []struct {
		To []struct{ Email, Name string } `json:"to"`
	} `json:"personalizations"`
	From        struct{ Email, Name string }   `json:"from"`
	Subject     string                         `json:"subject"`
	Content     []struct{ Type, Value string } `json:"content"`
	Attachments []struct {
		Content, Type, Filename, Disposition string
	} `json:"attachments"`
	CustomArgs map[string]string `json:"custom_args"`
}

func TestSendGridPostsTheExactRequest(t *testing.T) {
	var got sgBody
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" {
			t.Errorf("request %s %s, want POST /v3/mail/send", r.Method, r.URL.Path)
		}
		if auth := r.Header.Get("Authorization"); auth != "Bearer SG.test-key" {
			t.Errorf("Authorization = %q", auth)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("body is not JSON: %v: %s", err, body)
		}
		w.Header().Set("X-Message-Id", "sg-msg-1")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	sg := &SendGrid{APIKey: "SG.test-key", BaseURL: srv.URL, From: "relances@creancier.fr", FromName: "Créancier SA"}
	id, err := sg.SendEmail(context.Background(), channels.Email{
		To: "compta@debiteur.fr", ToName: "Débiteur SARL", Subject: "Facture F-1 impayée : 1\u00a0234,56\u00a0€",
		Text: "texte", HTML: "<p>html</p>",
		Attachments: []channels.Attachment{{Filename: "releve-F-1.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.4 fake")}},
		CustomArgs:  map[string]string{"invoice_id": "inv-1", "interaction_id": "int-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != "sg-msg-1" || calls != 1 {
		t.Errorf("message id %q after %d calls, want sg-msg-1 after 1", id, calls)
	}
	if len(got.Personalizations) != 1 || len(got.Personalizations[0].To) != 1 ||
		got.Personalizations[0].To[0].Email != "compta@debiteur.fr" || got.Personalizations[0].To[0].Name != "Débiteur SARL" {
		t.Errorf("personalizations = %+v", got.Personalizations)
	}
	if got.From.Email != "relances@creancier.fr" || got.From.Name != "Créancier SA" {
		t.Errorf("from = %+v", got.From)
	}
	if got.Subject != "Facture F-1 impayée : 1\u00a0234,56\u00a0€" {
		t.Errorf("subject = %q", got.Subject)
	}
	if len(got.Content) != 2 || got.Content[0].Type != "text/plain" || got.Content[0].Value != "texte" ||
		got.Content[1].Type != "text/html" || got.Content[1].Value != "<p>html</p>" {
		t.Errorf("content = %+v", got.Content)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Filename != "releve-F-1.pdf" ||
		got.Attachments[0].Type != "application/pdf" || got.Attachments[0].Disposition != "attachment" ||
		got.Attachments[0].Content != base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 fake")) {
		t.Errorf("attachments = %+v", got.Attachments)
	}
	if got.CustomArgs["invoice_id"] != "inv-1" || got.CustomArgs["interaction_id"] != "int-1" {
		t.Errorf("custom_args = %v", got.CustomArgs)
	}
}

func TestSendGridClassifiesFailures(t *testing.T) {
	for _, tc := range []struct {
		status      int
		notAccepted bool
		rejected    bool
	}{
		{http.StatusTooManyRequests, true, false},
		{http.StatusServiceUnavailable, true, false},
		{http.StatusBadRequest, false, true},
		{http.StatusForbidden, false, true},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, `{"errors":[{"message":"nope"}]}`)
		}))
		sg := &SendGrid{APIKey: "k", BaseURL: srv.URL, From: "a@b.c"}
		_, err := sg.SendEmail(context.Background(), channels.Email{To: "x@y.z", Subject: "s", Text: "t"})
		srv.Close()
		if err == nil {
			t.Fatalf("HTTP %d: no error", tc.status)
		}
		if channels.IsNotAccepted(err) != tc.notAccepted {
			t.Errorf("HTTP %d: IsNotAccepted = %v, want %v (%v)", tc.status, !tc.notAccepted, tc.notAccepted, err)
		}
		if _, ok := channels.IsRejected(err); ok != tc.rejected {
			t.Errorf("HTTP %d: IsRejected = %v, want %v (%v)", tc.status, ok, tc.rejected, err)
		}
	}
}

func TestSendGridRefusedConnectionIsNotAccepted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more: the dial fails
	sg := &SendGrid{APIKey: "k", BaseURL: url, From: "a@b.c"}
	_, err := sg.SendEmail(context.Background(), channels.Email{To: "x@y.z", Subject: "s", Text: "t"})
	if !channels.IsNotAccepted(err) {
		t.Errorf("refused connection: %v, want a NotAcceptedError", err)
	}
}
