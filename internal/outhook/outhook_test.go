package outhook

import (
	"net/http"
	"testing"
	"time"

	"github.com/relance/relance/internal/webhook"
)

func TestBackoffDoublesToSixHours(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 10: 256 * time.Minute, 11: 6 * time.Hour, 50: 6 * time.Hour} {
		if got := Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestSignMatchesTheInboundVerifier(t *testing.T) {
	at := time.Unix(1_780_000_000, 0)
	h := http.Header{}
	body := []byte(`{"id":"evt_1"}`)
	Sign(h, []byte("k"), at, body)
	v := webhook.HMAC{Secrets: [][]byte{[]byte("k")}, Tolerance: time.Minute}
	if err := v.Verify(h, body, at.Add(30*time.Second)); err != nil {
		t.Errorf("verify: %v", err)
	}
	if err := v.Verify(h, body, at.Add(2*time.Minute)); err == nil {
		t.Error("a signature older than the tolerance verified")
	}
	if h.Get("X-Timestamp") != "1780000000" {
		t.Errorf("X-Timestamp = %q", h.Get("X-Timestamp"))
	}
}
