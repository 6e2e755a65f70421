package pgtext

import (
	"encoding/json"
	"testing"
)

func TestCheckJSON(t *testing.T) {
	for _, tc := range jsonCases {
		if !json.Valid([]byte(tc.body)) && tc.storable {
			t.Fatalf("%s: case is not valid JSON", tc.name)
		}
		if err := CheckJSON([]byte(tc.body)); (err == nil) != tc.storable {
			t.Errorf("%s: CheckJSON(%s) = %v, want storable %v", tc.name, tc.body, err, tc.storable)
		}
	}
	if err := CheckJSON([]byte("{\"s\":\"\x00\"}")); err != ErrNUL {
		t.Errorf("raw NUL byte: %v, want ErrNUL", err)
	}
}

func TestCheckString(t *testing.T) {
	for s, want := range map[string]error{"F-2026-0042": nil, "é€": nil, "a\x00b": ErrNUL, "\xff": ErrInvalidUTF8} {
		if got := CheckString(s); got != want {
			t.Errorf("CheckString(%q) = %v, want %v", s, got, want)
		}
	}
}
