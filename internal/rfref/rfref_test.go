package rfref

import (
	"errors"
	"testing"
)

// The worked examples of ISO 11649 (annex) and of the EPC's guidance.
func TestMakeStandardExamples(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"539007547034", "RF18539007547034"},
		{"000000000539007547034", "RF18000000000539007547034"},
		{"2348231", "RF712348231"},
	} {
		got, err := Make(tc.body)
		if err != nil || got != tc.want {
			t.Errorf("Make(%q) = %q, %v; want %q", tc.body, got, err, tc.want)
		}
	}
}

func TestParseAcceptsPrintedAndElectronicForms(t *testing.T) {
	for _, in := range []string{"RF18 5390 0754 7034", "RF18539007547034", "rf18539007547034", " RF71 2348 231 "} {
		ref, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if ref != "RF18539007547034" && ref != "RF712348231" {
			t.Errorf("Parse(%q) = %q", in, ref)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", "RF", "RF18", "RF19539007547034", // wrong check digits
		"RF18539007547043",                                                                     // two digits swapped
		"RF18539007547035",                                                                     // one digit changed
		"XX18539007547034", "RFAB539007547034", "RF18-5390", "RF18" + "1234567890123456789012", // body too long
	} {
		if _, err := Parse(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", in, err)
		}
	}
}

func TestMakeRoundTripsWithLetters(t *testing.T) {
	ref, err := Make("inv42abc")
	if err != nil {
		t.Fatal(err)
	}
	if ref[:2] != "RF" || ref[4:] != "INV42ABC" {
		t.Fatalf("Make = %q", ref)
	}
	if got, err := Parse(Print(ref)); err != nil || got != ref {
		t.Fatalf("Parse(Print(%q)) = %q, %v", ref, got, err)
	}
}

func TestMakeRejectsBadBodies(t *testing.T) {
	for _, body := range []string{"", "F-2026-01", "1234567890123456789012", "é1"} {
		if _, err := Make(body); err == nil {
			t.Errorf("Make(%q) accepted", body)
		}
	}
}

func TestPrintGroupsByFour(t *testing.T) {
	if got := Print("RF18000000000539007547034"); got != "RF18 0000 0000 0539 0075 4703 4" {
		t.Fatalf("Print = %q", got)
	}
}
