// Package pgtext says whether input can be stored in Postgres text and
// jsonb columns as it is. Go's decoders accept what Postgres refuses (a
// \u0000 escape, a lone UTF-16 surrogate, invalid UTF-8 turned into
// U+FFFD), so a body that parses can still fail the INSERT; checking it
// first turns that failure into the caller's 400 instead of our 500.
package pgtext

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors naming what Postgres would refuse.
var (
	ErrInvalidUTF8 = errors.New("is not valid UTF-8")
	ErrNUL         = errors.New("contains a NUL character (\\u0000)")
	ErrSurrogate   = errors.New("contains an unpaired UTF-16 surrogate escape")
)

// CheckString reports whether s can be stored in a text column.
func CheckString(s string) error {
	if !utf8.ValidString(s) {
		return ErrInvalidUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return ErrNUL
	}
	return nil
}

// CheckJSON reports whether the JSON text body can be stored in a jsonb
// column, and so whether every string decoded from it can be stored in a
// text column. It looks at encoding and escapes only: whether body is
// valid JSON is the parser's business.
func CheckJSON(body []byte) error {
	if !utf8.Valid(body) {
		return ErrInvalidUTF8
	}
	// A raw NUL byte is invalid JSON; refuse it here all the same so the
	// answer never depends on the parser.
	pendingHigh := false
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case 0:
			return ErrNUL
		case '\\':
			// Outside a string a backslash is invalid JSON, so every
			// backslash starts an escape; consuming the escaped character
			// keeps `\\u0000` (a backslash, then text) from matching.
			if i+1 >= len(body) {
				return nil
			}
			if body[i+1] != 'u' {
				if pendingHigh {
					return ErrSurrogate
				}
				i++
				continue
			}
			if i+6 > len(body) {
				return nil
			}
			r, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 16)
			if err != nil {
				return nil
			}
			i += 5
			switch {
			case r == 0:
				return ErrNUL
			case r >= 0xD800 && r <= 0xDBFF:
				if pendingHigh {
					return ErrSurrogate
				}
				pendingHigh = true
			case r >= 0xDC00 && r <= 0xDFFF:
				if !pendingHigh {
					return ErrSurrogate
				}
				pendingHigh = false
			default:
				if pendingHigh {
					return ErrSurrogate
				}
			}
		default:
			if pendingHigh {
				return ErrSurrogate
			}
		}
	}
	if pendingHigh {
		return ErrSurrogate
	}
	return nil
}
