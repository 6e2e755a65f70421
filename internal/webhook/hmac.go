package webhook

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Headers of the generic HMAC scheme.
const (
	HMACSignatureHeader = "X-Signature"
	HMACTimestampHeader = "X-Timestamp"
)

// HMAC verifies the generic scheme banks and PSPs are asked to use:
//
//	X-Timestamp: <unix seconds>
//	X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>." + raw body)>
//
// X-Signature may carry several comma-separated `sha256=` values (one per
// secret while the sender rotates). Unlike a bare body HMAC, the timestamp
// is signed, so a captured request cannot be replayed after Tolerance.
type HMAC struct {
	Secrets   [][]byte
	Tolerance time.Duration
}

// ParseHMACSignature parses an X-Signature value into its sha256 digests.
func ParseHMACSignature(h string) ([][]byte, error) {
	if h == "" {
		return nil, fmt.Errorf("%w: no %s header", ErrUnauthenticated, HMACSignatureHeader)
	}
	var sigs [][]byte
	for item := range strings.SplitSeq(h, ",") {
		algo, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || algo != "sha256" {
			return nil, fmt.Errorf("%w: malformed %s item %q", ErrUnauthenticated, HMACSignatureHeader, clip(item))
		}
		sig, err := hex.DecodeString(value)
		if err != nil || len(sig) != 32 {
			return nil, fmt.Errorf("%w: %s is not a hex SHA-256 digest", ErrUnauthenticated, HMACSignatureHeader)
		}
		if len(sigs) == maxSignatures {
			return nil, fmt.Errorf("%w: more than %d signatures", ErrUnauthenticated, maxSignatures)
		}
		sigs = append(sigs, sig)
	}
	return sigs, nil
}

// Verify checks X-Signature over X-Timestamp and body.
func (s HMAC) Verify(h http.Header, body []byte, now time.Time) error {
	if len(s.Secrets) == 0 {
		return errors.New("webhook: no secret configured")
	}
	sigs, err := ParseHMACSignature(h.Get(HMACSignatureHeader))
	if err != nil {
		return err
	}
	raw := strings.TrimSpace(h.Get(HMACTimestampHeader))
	if raw == "" {
		return fmt.Errorf("%w: no %s header", ErrUnauthenticated, HMACTimestampHeader)
	}
	ts, err := parseUnix(raw)
	if err != nil {
		return err
	}
	if !anyMatch(s.Secrets, raw, body, sigs) {
		return fmt.Errorf("%w: no signature matches", ErrUnauthenticated)
	}
	return checkTime(ts, now, s.Tolerance)
}

// SignHMAC sets the generic scheme's headers on h for body at t.
func SignHMAC(h http.Header, body []byte, t time.Time, secrets ...[]byte) {
	ts := fmt.Sprint(t.Unix())
	parts := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		parts = append(parts, "sha256="+hex.EncodeToString(sign(secret, ts, body)))
	}
	h.Set(HMACTimestampHeader, ts)
	h.Set(HMACSignatureHeader, strings.Join(parts, ","))
}
