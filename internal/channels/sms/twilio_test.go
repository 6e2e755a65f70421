package sms

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/relance/relance/internal/channels"
)

const sid = "AC0123456789abcdef0123456789abcdef"

func TestTwilioPostsTheExactRequest(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want := "/2010-04-01/Accounts/" + sid + "/Messages.json"; r.Method != http.MethodPost || r.URL.Path != want {
			t.Errorf("request %s %s, want POST %s", r.Method, r.URL.Path, want)
		}
		wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(sid+":secrettoken0123"))
		if got := r.Header.Get("Authorization"); got != wantAuth {
			t.Errorf("Authorization = %q, want %q", got, wantAuth)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", ct)
		}
		body, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"sid":"SM00000000000000000000000000000001","status":"queued"}`)
	}))
	defer srv.Close()

	tw, err := NewTwilio(TwilioConfig{AccountSID: sid, AuthToken: "secrettoken0123", From: "+33700000000", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tw.SendSMS(context.Background(), channels.SMS{To: "+33611223344", Body: "Facture F-1 : 12,00\u00a0€",
		StatusCallback: "https://events.example/v1/webhooks/twilio?interaction_id=int-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got != "SM00000000000000000000000000000001" {
		t.Errorf("sid = %q", got)
	}
	want := url.Values{"To": {"+33611223344"}, "From": {"+33700000000"}, "Body": {"Facture F-1 : 12,00\u00a0€"},
		"StatusCallback": {"https://events.example/v1/webhooks/twilio?interaction_id=int-1"}}
	if form.Encode() != want.Encode() {
		t.Errorf("form = %v, want %v", form, want)
	}
}

func TestTwilioClassifiesErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		status, code int
		reason       string // RejectedError reason, "" when not rejected
		notAccepted  bool
	}{
		{400, 21610, channels.ReasonOptedOut, false},
		{400, 21211, channels.ReasonPhoneUnusable, false},
		{400, 21612, channels.ReasonPhoneUnusable, false},
		{400, 21614, channels.ReasonPhoneUnusable, false},
		{400, 30005, channels.ReasonPhoneUnusable, false},
		{400, 21602, channels.ReasonInvalid, false},
		{429, 20429, "", true},
		{503, 20500, "", true},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"code":%d,"message":"refused","status":%d}`, tc.code, tc.status)
			}))
			defer srv.Close()
			tw, err := NewTwilio(TwilioConfig{AccountSID: sid, AuthToken: "t", From: "+33700000000", BaseURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			_, err = tw.SendSMS(context.Background(), channels.SMS{To: "+33611223344", Body: "x"})
			rej, ok := channels.IsRejected(err)
			if tc.reason != "" && (!ok || rej.Reason != tc.reason) {
				t.Errorf("error %v, want rejected %s", err, tc.reason)
			}
			if tc.reason == "" && ok {
				t.Errorf("error %v should not be a rejection", err)
			}
			if channels.IsNotAccepted(err) != tc.notAccepted {
				t.Errorf("IsNotAccepted(%v) = %v, want %v", err, !tc.notAccepted, tc.notAccepted)
			}
		})
	}
}
