// Package rfref makes and checks ISO 11649 structured creditor references
// ("RF" references): RF, two check digits, then 1 to 21 letters or digits.
// A debtor types one in a bank transfer's remittance field; the check
// digits let the bank and Relance catch a mistyped reference (any single
// wrong character and almost every swap of two) before matching it.
package rfref

import (
	"errors"
	"fmt"
	"strings"
)

// MaxBody is the longest reference body after RF and the check digits.
const MaxBody = 21

// ErrInvalid is returned for a string that is not a valid RF reference.
var ErrInvalid = errors.New("not a valid ISO 11649 creditor reference")

// Make returns the RF reference of body (letters and digits, upper or
// lower case, at most 21): "RF" + check digits + body in capitals.
func Make(body string) (string, error) {
	body = strings.ToUpper(body)
	if body == "" || len(body) > MaxBody || !alnum(body) {
		return "", fmt.Errorf("rf reference of %q: the body must be 1 to %d letters or digits", body, MaxBody)
	}
	// The check digits make (body + "RF" + check) ≡ 1 (mod 97).
	check := 98 - mod97(body+"RF00")
	return fmt.Sprintf("RF%02d%s", check, body), nil
}

// Parse normalises s (spaces removed, capitals) and checks it; it returns
// the reference in its electronic form ("RF18539007547034").
func Parse(s string) (string, error) {
	ref := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(ref) < 5 || len(ref) > 4+MaxBody || !strings.HasPrefix(ref, "RF") ||
		!digit(ref[2]) || !digit(ref[3]) || !alnum(ref[4:]) {
		return "", fmt.Errorf("%q: %w", s, ErrInvalid)
	}
	if mod97(ref[4:]+ref[:4]) != 1 {
		return "", fmt.Errorf("%q: check digits: %w", s, ErrInvalid)
	}
	return ref, nil
}

// Print groups a reference by four characters, as printed on paper
// ("RF18 5390 0754 7034").
func Print(ref string) string {
	var b strings.Builder
	for i, r := range ref {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mod97 is the ISO 7064 MOD 97-10 remainder of s with letters read as
// numbers (A=10 … Z=35), computed digit by digit so any length fits.
func mod97(s string) int {
	m := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if digit(c) {
			m = (m*10 + int(c-'0')) % 97
			continue
		}
		v := int(c-'A') + 10
		m = (m*100 + v) % 97
	}
	return m
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !digit(c) && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
