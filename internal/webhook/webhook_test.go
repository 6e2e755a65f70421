package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

var (
	now     = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	body    = []byte(`{"id":"evt_1","type":"payment_intent.succeeded"}`)
	oldKey  = []byte("whsec_old")
	newKey  = []byte("whsec_new")
	someKey = []byte("whsec_attacker")
)

// hexSig computes the expected signature independently of sign().
func hexSig(secret []byte, ts int64, b []byte) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "%d.%s", ts, b)
	return hex.EncodeToString(m.Sum(nil))
}

func TestStripeVerify(t *testing.T) {
	ts := now.Unix()
	good := hexSig(newKey, ts, body)
	tests := []struct {
		name    string
		secrets [][]byte
		header  string
		body    []byte
		want    error
	}{
		{"valid", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts, good), body, nil},
		{"spaces after commas", [][]byte{newKey}, fmt.Sprintf("t=%d, v1=%s", ts, good), body, nil},
		{"rotation: old secret still accepted", [][]byte{newKey, oldKey}, fmt.Sprintf("t=%d,v1=%s", ts, hexSig(oldKey, ts, body)), body, nil},
		{"rotation: sender signs with both", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s,v1=%s", ts, hexSig(oldKey, ts, body), good), body, nil},
		{"v0 and unknown schemes ignored", [][]byte{newKey}, fmt.Sprintf("t=%d,v0=abc,v9=zz,v1=%s", ts, good), body, nil},
		{"malformed v1 beside a good one", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=nothex,v1=%s", ts, good), body, nil},
		{"wrong secret", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts, hexSig(someKey, ts, body)), body, ErrUnauthenticated},
		{"retired secret", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts, hexSig(oldKey, ts, body)), body, ErrUnauthenticated},
		{"body changed", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts, good), []byte(`{"id":"evt_1","type":"payment_intent.succeeded" }`), ErrUnauthenticated},
		{"timestamp changed", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts+1, good), body, ErrUnauthenticated},
		{"stale by 301s", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts-301, hexSig(newKey, ts-301, body)), body, ErrStale},
		{"old but within 300s", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts-300, hexSig(newKey, ts-300, body)), body, nil},
		{"future by 301s", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts+301, hexSig(newKey, ts+301, body)), body, ErrStale},
		{"stale and forged is unauthenticated", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts-3600, hexSig(someKey, ts-3600, body)), body, ErrUnauthenticated},
		{"empty header", [][]byte{newKey}, "", body, ErrUnauthenticated},
		{"no timestamp", [][]byte{newKey}, "v1=" + good, body, ErrUnauthenticated},
		{"no v1", [][]byte{newKey}, fmt.Sprintf("t=%d", ts), body, ErrUnauthenticated},
		{"only malformed v1", [][]byte{newKey}, fmt.Sprintf("t=%d,v1=%s", ts, good[:10]), body, ErrUnauthenticated},
		{"timestamp not a number", [][]byte{newKey}, "t=yesterday,v1=" + good, body, ErrUnauthenticated},
		{"negative timestamp", [][]byte{newKey}, "t=-5,v1=" + good, body, ErrUnauthenticated},
		{"two timestamps", [][]byte{newKey}, fmt.Sprintf("t=%d,t=%d,v1=%s", ts, ts, good), body, ErrUnauthenticated},
		{"item without =", [][]byte{newKey}, fmt.Sprintf("t=%d,garbage,v1=%s", ts, good), body, ErrUnauthenticated},
		{"too many signatures", [][]byte{newKey}, fmt.Sprintf("t=%d", ts) + strings.Repeat(",v1="+good, maxSignatures+1), body, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Stripe{Secrets: tt.secrets}.VerifyHeader(tt.header, tt.body, now)
			if tt.want == nil && err != nil {
				t.Fatalf("want accepted, got %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("want %v, got %v", tt.want, err)
			}
		})
	}
}

func TestStripeNoSecretIsAnErrorNotAPass(t *testing.T) {
	err := Stripe{}.VerifyHeader(SignStripe(body, now, newKey), body, now)
	if err == nil {
		t.Fatal("verification without a configured secret passed")
	}
}

func TestStripeCustomTolerance(t *testing.T) {
	s := Stripe{Secrets: [][]byte{newKey}, Tolerance: 10 * time.Second}
	if err := s.VerifyHeader(SignStripe(body, now.Add(-11*time.Second), newKey), body, now); !errors.Is(err, ErrStale) {
		t.Fatalf("11s old with 10s tolerance: want ErrStale, got %v", err)
	}
	if err := s.VerifyHeader(SignStripe(body, now.Add(-9*time.Second), newKey), body, now); err != nil {
		t.Fatalf("9s old with 10s tolerance: %v", err)
	}
}

func TestSignStripeMatchesScheme(t *testing.T) {
	got := SignStripe(body, now, oldKey, newKey)
	want := fmt.Sprintf("t=%d,v1=%s,v1=%s", now.Unix(), hexSig(oldKey, now.Unix(), body), hexSig(newKey, now.Unix(), body))
	if got != want {
		t.Fatalf("SignStripe = %q, want %q", got, want)
	}
	if err := (Stripe{Secrets: [][]byte{newKey}}).Verify(http.Header{StripeHeader: {got}}, body, now); err != nil {
		t.Fatalf("Verify through http.Header: %v", err)
	}
}

func TestParseSignatureHeader(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	h, err := ParseSignatureHeader("t=1700000000,v1=" + sig + ",v1=" + strings.Repeat("cd", 32))
	if err != nil {
		t.Fatal(err)
	}
	if h.Timestamp != 1700000000 || len(h.V1) != 2 || hex.EncodeToString(h.V1[0]) != sig {
		t.Fatalf("parsed %+v", h)
	}
}

func TestHMACVerify(t *testing.T) {
	ts := now.Unix()
	header := func(ts int64, sig string) http.Header {
		h := http.Header{}
		h.Set(HMACTimestampHeader, fmt.Sprint(ts))
		h.Set(HMACSignatureHeader, sig)
		return h
	}
	good := "sha256=" + hexSig(newKey, ts, body)
	tests := []struct {
		name    string
		secrets [][]byte
		h       http.Header
		want    error
	}{
		{"valid", [][]byte{newKey}, header(ts, good), nil},
		{"rotation: old secret accepted", [][]byte{oldKey, newKey}, header(ts, "sha256="+hexSig(oldKey, ts, body)), nil},
		{"rotation: sender signs with both", [][]byte{newKey}, header(ts, "sha256="+hexSig(oldKey, ts, body)+", "+good), nil},
		{"wrong secret", [][]byte{newKey}, header(ts, "sha256="+hexSig(someKey, ts, body)), ErrUnauthenticated},
		{"timestamp not the signed one", [][]byte{newKey}, header(ts+5, good), ErrUnauthenticated},
		{"stale", [][]byte{newKey}, header(ts-301, "sha256="+hexSig(newKey, ts-301, body)), ErrStale},
		{"future", [][]byte{newKey}, header(ts+301, "sha256="+hexSig(newKey, ts+301, body)), ErrStale},
		{"no signature", [][]byte{newKey}, header(ts, ""), ErrUnauthenticated},
		{"no timestamp", [][]byte{newKey}, http.Header{HMACSignatureHeader: {good}}, ErrUnauthenticated},
		{"timestamp garbage", [][]byte{newKey}, http.Header{HMACSignatureHeader: {good}, HMACTimestampHeader: {"now"}}, ErrUnauthenticated},
		{"other algorithm", [][]byte{newKey}, header(ts, "sha1="+hexSig(newKey, ts, body)), ErrUnauthenticated},
		{"bare hex without algorithm", [][]byte{newKey}, header(ts, hexSig(newKey, ts, body)), ErrUnauthenticated},
		{"short digest", [][]byte{newKey}, header(ts, good[:20]), ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := HMAC{Secrets: tt.secrets}.Verify(tt.h, body, now)
			if tt.want == nil && err != nil {
				t.Fatalf("want accepted, got %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("want %v, got %v", tt.want, err)
			}
		})
	}
}

func TestSignHMACRoundTrip(t *testing.T) {
	h := http.Header{}
	SignHMAC(h, body, now, oldKey, newKey)
	if err := (HMAC{Secrets: [][]byte{newKey}}).Verify(h, body, now); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	if err := (HMAC{Secrets: [][]byte{someKey}}).Verify(h, body, now); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("foreign secret: want ErrUnauthenticated, got %v", err)
	}
}

func FuzzParseSignatureHeader(f *testing.F) {
	f.Add("t=1700000000,v1=" + strings.Repeat("ab", 32))
	f.Add("t=1,v0=x,v1=zz")
	f.Add(",,,=,t=,v1=")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		sh, err := ParseSignatureHeader(h)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error not classified: %v", err)
			}
			return
		}
		if sh.Timestamp <= 0 || len(sh.V1) == 0 || len(sh.V1) > maxSignatures {
			t.Fatalf("accepted ill-formed header %q as %+v", h, sh)
		}
		for _, s := range sh.V1 {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes accepted", len(s))
			}
		}
	})
}

func FuzzParseHMACSignature(f *testing.F) {
	f.Add("sha256=" + strings.Repeat("ab", 32))
	f.Add("sha256=,sha1=00")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		sigs, err := ParseHMACSignature(h)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error not classified: %v", err)
			}
			return
		}
		if len(sigs) == 0 || len(sigs) > maxSignatures {
			t.Fatalf("accepted %d signatures from %q", len(sigs), h)
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes accepted", len(s))
			}
		}
	})
}

// FuzzStripeVerify checks that no header, body or time makes verification
// panic or pass without the secret.
func FuzzStripeVerify(f *testing.F) {
	f.Add("t=1772445600,v1="+strings.Repeat("00", 32), []byte("{}"), int64(1772445600))
	f.Fuzz(func(t *testing.T, header string, b []byte, unix int64) {
		err := Stripe{Secrets: [][]byte{newKey}}.VerifyHeader(header, b, time.Unix(unix, 0))
		if err == nil {
			t.Fatalf("header %q verified without knowing the secret", header)
		}
	})
}
