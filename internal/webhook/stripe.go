package webhook

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// StripeHeader is the header carrying a Stripe-compatible signature.
const StripeHeader = "Stripe-Signature"

// SignatureHeader is a parsed `t=<unix>,v1=<hex>[,v1=<hex>...]` header.
type SignatureHeader struct {
	Timestamp int64
	// raw is the timestamp exactly as sent: it is what was signed.
	raw string
	// V1 holds every v1 signature; a provider rotating its secret sends one per secret.
	V1 [][]byte
}

// maxSignatures bounds the work an attacker can cause with one header.
const maxSignatures = 8

// ParseSignatureHeader parses a Stripe-compatible signature header.
// Unknown schemes (v0, future versions) are ignored; a header without a
// timestamp or without any well-formed v1 signature is an error.
func ParseSignatureHeader(h string) (SignatureHeader, error) {
	var out SignatureHeader
	if h == "" {
		return out, fmt.Errorf("%w: no signature header", ErrUnauthenticated)
	}
	for item := range strings.SplitSeq(h, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return SignatureHeader{}, fmt.Errorf("%w: malformed signature header item %q", ErrUnauthenticated, clip(item))
		}
		switch key {
		case "t":
			if out.raw != "" {
				return SignatureHeader{}, fmt.Errorf("%w: several timestamps in signature header", ErrUnauthenticated)
			}
			ts, err := parseUnix(value)
			if err != nil {
				return SignatureHeader{}, err
			}
			out.Timestamp, out.raw = ts, value
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != 32 {
				// A malformed v1 may sit beside a good one during rotation; skip it.
				continue
			}
			if len(out.V1) == maxSignatures {
				return SignatureHeader{}, fmt.Errorf("%w: more than %d signatures", ErrUnauthenticated, maxSignatures)
			}
			out.V1 = append(out.V1, sig)
		}
	}
	if out.raw == "" {
		return SignatureHeader{}, fmt.Errorf("%w: no timestamp in signature header", ErrUnauthenticated)
	}
	if len(out.V1) == 0 {
		return SignatureHeader{}, fmt.Errorf("%w: no v1 signature in signature header", ErrUnauthenticated)
	}
	return out, nil
}

// Stripe verifies the Stripe-compatible scheme: HMAC-SHA256(secret,
// "<t>." + raw body), any v1 matching any secret, |now - t| ≤ Tolerance.
type Stripe struct {
	// Secrets are the endpoint secrets currently valid (several during rotation).
	Secrets [][]byte
	// Tolerance defaults to DefaultTolerance.
	Tolerance time.Duration
}

// Verify checks the signature header of h over body.
func (s Stripe) Verify(h http.Header, body []byte, now time.Time) error {
	return s.VerifyHeader(h.Get(StripeHeader), body, now)
}

// VerifyHeader checks a signature header value over body.
func (s Stripe) VerifyHeader(header string, body []byte, now time.Time) error {
	if len(s.Secrets) == 0 {
		return errors.New("webhook: no secret configured")
	}
	sh, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	if !anyMatch(s.Secrets, sh.raw, body, sh.V1) {
		return fmt.Errorf("%w: no signature matches", ErrUnauthenticated)
	}
	return checkTime(sh.Timestamp, now, s.Tolerance)
}

// SignStripe returns a header value signing body at t with each secret,
// as a provider (or a test, or a CLI replaying an event) would send it.
func SignStripe(body []byte, t time.Time, secrets ...[]byte) string {
	ts := fmt.Sprint(t.Unix())
	var b strings.Builder
	b.WriteString("t=" + ts)
	for _, secret := range secrets {
		b.WriteString(",v1=" + hex.EncodeToString(sign(secret, ts, body)))
	}
	return b.String()
}

// clip shortens attacker-controlled text quoted in errors.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
