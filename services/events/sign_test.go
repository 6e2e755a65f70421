package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/webhook"
)

// Signing the way the providers do, so the tests exercise real verification.

// sendGridKeys generates a P-256 key pair; the public half is returned the
// way SendGrid shows it (base64 of the DER SubjectPublicKeyInfo).
func sendGridKeys(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return priv, base64.StdEncoding.EncodeToString(der)
}

// signSendGrid signs timestamp + body with ECDSA/SHA-256, ASN.1-encoded, base64.
func signSendGrid(t *testing.T, priv *ecdsa.PrivateKey, body []byte, ts string) string {
	t.Helper()
	digest := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// signTwilio is HMAC-SHA1(token, URL + each POST parameter name and value
// in name order), base64.
func signTwilio(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// fakeCases records the signals sent to cases; failures makes the next
// calls fail.
type fakeCases struct {
	mu       sync.Mutex
	signals  []domain.DeliveryEvent
	invoices []string
	failures int
}

func (f *fakeCases) Signal(_ context.Context, invoiceID, name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name != domain.SignalDelivery {
		return fmt.Errorf("unexpected signal %s", name)
	}
	if f.failures > 0 {
		f.failures--
		return fmt.Errorf("temporal unavailable")
	}
	f.signals = append(f.signals, arg.(domain.DeliveryEvent))
	f.invoices = append(f.invoices, invoiceID)
	return nil
}

const (
	twilioToken   = "twilio-auth-token"
	publicBaseURL = "https://events.relance.example"
)

var postalSecret = []byte("postal-secret")

func unitHandlers(t *testing.T, now time.Time) (*Handlers, *ecdsa.PrivateKey) {
	t.Helper()
	priv, pub := sendGridKeys(t)
	env := config.NewEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": pub, "TWILIO_AUTH_TOKEN": twilioToken,
			"PUBLIC_BASE_URL": publicBaseURL + "/", "POSTAL_WEBHOOK_SECRETS": string(postalSecret)}[k]
		return v, ok
	})
	s, err := readSettings(env, ":8083")
	if err != nil || env.Err() != nil {
		t.Fatal(err, env.Err())
	}
	// No store: a request that gets past verification would panic here.
	return &Handlers{SendGridKey: s.sendGridKey, TwilioAuthToken: s.twilioToken, PublicBaseURL: s.publicBaseURL,
		PostalSecrets: s.postalSecrets, Tolerance: s.tolerance, Now: func() time.Time { return now },
		Cases: &fakeCases{}, Metrics: NewMetrics(prometheus.NewRegistry())}, priv
}

func TestForgedAndStaleRequestsAreRefusedBeforeAnythingIsRead(t *testing.T) {
	now := time.Date(2026, 5, 18, 9, 0, 0, 0, time.UTC)
	h, priv := unitHandlers(t, now)
	other, _ := sendGridKeys(t)
	body := []byte(`[{"email":"a@b.fr","timestamp":1,"event":"bounce","sg_event_id":"e1","interaction_id":"i1"}]`)
	ts := fmt.Sprint(now.Unix())
	old := fmt.Sprint(now.Add(-6 * time.Minute).Unix())

	form := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30005"}}
	twilioPath := "/v1/webhooks/twilio?interaction_id=i1"
	postalBody := []byte(`{"event_id":"p1","reference":"i1","status":"acknowledged"}`)

	for _, tc := range []struct {
		name    string
		path    string
		body    []byte
		headers map[string]string
		status  int
	}{
		{"sendgrid unsigned", "/v1/webhooks/sendgrid", body, nil, 401},
		{"sendgrid signed by another key", "/v1/webhooks/sendgrid", body,
			map[string]string{SendGridSignatureHeader: signSendGrid(t, other, body, ts), SendGridTimestampHeader: ts}, 401},
		{"sendgrid body changed after signing", "/v1/webhooks/sendgrid", []byte(strings.Replace(string(body), "bounce", "click", 1)),
			map[string]string{SendGridSignatureHeader: signSendGrid(t, priv, body, ts), SendGridTimestampHeader: ts}, 401},
		{"sendgrid timestamp changed after signing", "/v1/webhooks/sendgrid", body,
			map[string]string{SendGridSignatureHeader: signSendGrid(t, priv, body, ts), SendGridTimestampHeader: old}, 401},
		{"sendgrid replayed after 5 minutes", "/v1/webhooks/sendgrid", body,
			map[string]string{SendGridSignatureHeader: signSendGrid(t, priv, body, old), SendGridTimestampHeader: old}, 400},
		{"twilio unsigned", twilioPath, []byte(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 401},
		{"twilio signed for another URL", twilioPath, []byte(form.Encode()), map[string]string{
			"X-Twilio-Signature": signTwilio(twilioToken, publicBaseURL+"/v1/webhooks/twilio?interaction_id=i2", form)}, 401},
		{"twilio signed with another token", twilioPath, []byte(form.Encode()), map[string]string{
			"X-Twilio-Signature": signTwilio("other", publicBaseURL+twilioPath, form)}, 401},
		{"postal unsigned", "/v1/webhooks/postal", postalBody, nil, 401},
		{"postal wrong secret", "/v1/webhooks/postal", postalBody,
			map[string]string{SignatureHeader: webhook.SignStripe(postalBody, now, []byte("nope"))}, 401},
		{"postal replayed", "/v1/webhooks/postal", postalBody,
			map[string]string{SignatureHeader: webhook.SignStripe(postalBody, now.Add(-10*time.Minute), postalSecret)}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(string(tc.body)))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.Routes().ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want problem+json", ct)
			}
		})
	}
	if got := h.Cases.(*fakeCases).signals; len(got) != 0 {
		t.Errorf("refused requests signalled cases: %v", got)
	}
	for labels, want := range map[[2]string]float64{{"sendgrid", "401"}: 4, {"sendgrid", "400"}: 1, {"twilio", "401"}: 3,
		{"postal", "401"}: 2, {"postal", "400"}: 1} {
		if got := counterValue(t, h.Metrics.Requests, labels[0], labels[1]); got != want {
			t.Errorf("requests %v = %v, want %v", labels, got, want)
		}
	}
}

func TestUnconfiguredEndpointsAreOff(t *testing.T) {
	h := &Handlers{}
	for _, path := range []string{"/v1/webhooks/sendgrid", "/v1/webhooks/twilio", "/v1/webhooks/postal"} {
		rec := httptest.NewRecorder()
		h.Routes().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader("[]")))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s without its secret: %d, want 503", path, rec.Code)
		}
	}
}

func TestBadSettingsNameTheVariable(t *testing.T) {
	env := config.NewEnv(func(k string) (string, bool) {
		return map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": "not-a-key"}[k], k == "SENDGRID_WEBHOOK_PUBLIC_KEY"
	})
	if _, err := readSettings(env, ":8083"); err == nil || !strings.Contains(err.Error(), "SENDGRID_WEBHOOK_PUBLIC_KEY") {
		t.Errorf("error %v should name SENDGRID_WEBHOOK_PUBLIC_KEY", err)
	}
}

// Genuine signatures get past verification: a malformed body signed the
// right way is a 400 naming the field, not a 401.
func TestGenuineSignaturesVerify(t *testing.T) {
	now := time.Date(2026, 5, 18, 9, 0, 0, 0, time.UTC)
	h, priv := unitHandlers(t, now)
	ts := fmt.Sprint(now.Add(-4 * time.Minute).Unix()) // inside the tolerance
	sgBody := []byte(`{"not":"an array"}`)
	form := url.Values{"MessageSid": {"SM1"}, "AccountSid": {"AC1"}}
	twilioPath := "/v1/webhooks/twilio?interaction_id=i1"
	postalBody := []byte(`{"event_id":"p1","reference":"i1","status":"lost"}`)
	for _, tc := range []struct {
		name, path, field string
		body              []byte
		headers           map[string]string
	}{
		{"sendgrid", "/v1/webhooks/sendgrid", "body", sgBody,
			map[string]string{SendGridSignatureHeader: signSendGrid(t, priv, sgBody, ts), SendGridTimestampHeader: ts}},
		{"twilio", twilioPath, "MessageSid", []byte(form.Encode()),
			map[string]string{"X-Twilio-Signature": signTwilio(twilioToken, publicBaseURL+twilioPath, form)}},
		{"postal", "/v1/webhooks/postal", "status", postalBody,
			map[string]string{SignatureHeader: webhook.SignStripe(postalBody, now, []byte("old"), postalSecret)}},
	} {
		req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(string(tc.body)))
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.Routes().ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.name, rec.Code, rec.Body, tc.field)
		}
	}
}

func TestDefaultPublicURLFollowsTheListenAddress(t *testing.T) {
	for addr, want := range map[string]string{":8083": "http://localhost:8083", "127.0.0.1:8083": "http://127.0.0.1:8083"} {
		s, err := readSettings(config.NewEnv(func(string) (string, bool) { return "", false }), addr)
		if err != nil || s.publicBaseURL != want {
			t.Errorf("HTTP_ADDR %s: public URL %q (%v), want %q", addr, s.publicBaseURL, err, want)
		}
	}
}

// counterValue reads the counter of vec whose labels have these values,
// given in the order the vector declares its labels.
func counterValue(t *testing.T, vec *prometheus.CounterVec, values ...string) float64 {
	t.Helper()
	c, err := vec.GetMetricWithLabelValues(values...)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || len(families[0].GetMetric()) != 1 {
		t.Fatalf("gathered %d families", len(families))
	}
	return families[0].GetMetric()[0].GetCounter().GetValue()
}
