// Package webhook verifies the signatures of inbound webhooks on the raw
// request body, before anything is parsed. Two schemes are offered: the
// Stripe-compatible one (header `t=<unix>,v1=<hex>`) and a generic HMAC
// one for banks and PSPs (`X-Signature: sha256=<hex>` + `X-Timestamp`).
//
// Both sign "<timestamp>." + body with HMAC-SHA256, accept several secrets
// (so a secret can be rotated without downtime) and reject timestamps more
// than Tolerance away from now, in the past or the future, so a captured
// request cannot be replayed later.
//
// Errors fall in two classes, which the HTTP layer maps consistently:
// ErrUnauthenticated (missing, malformed or non-matching signature: the
// request cannot be shown to come from the provider → 401) and ErrStale
// (an authentic signature over a timestamp outside the tolerance → 400).
// The signature is checked before the timestamp, so an unauthenticated
// caller learns nothing about the clock check.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// DefaultTolerance is how far a signed timestamp may be from now.
const DefaultTolerance = 300 * time.Second

var (
	// ErrUnauthenticated means the request does not prove it comes from
	// the provider: no signature, a malformed header or no secret matches.
	ErrUnauthenticated = errors.New("webhook signature not verified")
	// ErrStale means the signature is authentic but its timestamp is
	// outside the tolerance (a replay or a badly skewed clock).
	ErrStale = errors.New("webhook timestamp outside tolerance")
)

// Verifier checks one request's signature over its raw body.
type Verifier interface {
	Verify(h http.Header, body []byte, now time.Time) error
}

// sign returns HMAC-SHA256(secret, "<t>." + body).
func sign(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// anyMatch reports whether one of sigs is the signature of body under one
// of secrets. Every pair is compared in constant time.
func anyMatch(secrets [][]byte, timestamp string, body []byte, sigs [][]byte) bool {
	for _, secret := range secrets {
		want := sign(secret, timestamp, body)
		for _, sig := range sigs {
			if hmac.Equal(want, sig) {
				return true
			}
		}
	}
	return false
}

// checkTime rejects a timestamp further than tolerance from now.
func checkTime(ts int64, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	at := time.Unix(ts, 0)
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, now %s", ErrStale, at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// parseUnix parses a positive decimal unix timestamp.
func parseUnix(s string) (int64, error) {
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ts <= 0 {
		return 0, fmt.Errorf("%w: timestamp %q is not a unix time", ErrUnauthenticated, s)
	}
	return ts, nil
}

// Secrets converts configured secrets to the byte form the schemes use.
func Secrets(s []string) [][]byte {
	out := make([][]byte, 0, len(s))
	for _, v := range s {
		out = append(out, []byte(v))
	}
	return out
}
