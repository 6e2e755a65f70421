package intake

import (
	"errors"
	"strings"
	"testing"
)

const goodCSV = "number,debtor_id,issue_date,due_date,currency,amount_cents,description,payment_link\n" +
	"F-1,d1,2026-01-01,2026-01-31,eur,123456,Consulting,https://pay.example/1\n" +
	"F-2,d1,2026-01-01,2026-01-31,EUR,abc,,\n" +
	"F-3,d1,2026-02-01,2026-01-31,EUR,100,,\n"

func TestParseInvoicesCSVReportsEachLine(t *testing.T) {
	lines, err := ParseInvoicesCSV(strings.NewReader(goodCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	if l := lines[0]; l.Rejected != nil || l.Line != 2 || l.Input.Currency != "EUR" || l.Input.AmountCents != 123456 {
		t.Errorf("line 1 = %+v", l)
	}
	if l := lines[1]; l.Rejected == nil || l.Rejected.Field != "amount_cents" || l.Line != 3 {
		t.Errorf("line 2 = %+v, want amount_cents rejected on file line 3", l)
	}
	if l := lines[2]; l.Rejected == nil || l.Rejected.Field != "due_date" {
		t.Errorf("line 3 = %+v, want due_date rejected", l)
	}
}

func TestParseInvoicesCSVSemicolonsAndColumnOrder(t *testing.T) {
	in := "\ufeffamount_cents;currency;due_date;issue_date;debtor_id;number\n500;EUR;2026-03-01;2026-02-01;d9;F-9\n"
	lines, err := ParseInvoicesCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Rejected != nil || lines[0].Input.Number != "F-9" || lines[0].Input.AmountCents != 500 {
		t.Fatalf("lines = %+v", lines)
	}
}

func TestParseInvoicesCSVMalformedFiles(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"header only":    "number,debtor_id,issue_date,due_date,currency,amount_cents\n",
		"missing column": "number,debtor_id,issue_date,due_date,currency\nF-1,d1,2026-01-01,2026-01-31,EUR\n",
		"unknown column": "number,debtor_id,issue_date,due_date,currency,amount_cents,colour\nF-1,d1,2026-01-01,2026-01-31,EUR,1,red\n",
		"ragged row":     "number,debtor_id,issue_date,due_date,currency,amount_cents\nF-1,d1,2026-01-01\n",
		"bad quoting":    "number,debtor_id,issue_date,due_date,currency,amount_cents\n\"F-1,d1,2026-01-01,2026-01-31,EUR,1\n",
		"duplicate col":  "number,number,debtor_id,issue_date,due_date,currency,amount_cents\nF,F,d1,2026-01-01,2026-01-31,EUR,1\n",
	} {
		t.Run(name, func(t *testing.T) {
			lines, err := ParseInvoicesCSV(strings.NewReader(in))
			var fe *FileError
			if !errors.As(err, &fe) || lines != nil {
				t.Fatalf("got %v, %v; want a *FileError and no lines", lines, err)
			}
		})
	}
}

func TestParseInvoicesJSON(t *testing.T) {
	lines, err := ParseInvoicesJSON([]byte(`[
		{"number":"F-1","debtor_id":"d1","issue_date":"2026-01-01","due_date":"2026-01-31","currency":"EUR","amount_cents":100},
		{"number":"F-2","debtor_id":"d1","issue_date":"2026-01-01","due_date":"2026-01-31","currency":"EUR","amount_cents":"100"},
		{"number":"F-3","debtor_id":"d1","issue_date":"2026-01-01","due_date":"2026-01-31","currency":"EUR","amount_cents":0},
		{"number":"F-4","debtor_id":"d1","issue_date":"2026-01-01","due_date":"2026-01-31","currency":"EUR","amount_cents":5,"colour":"red"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "amount_cents", "amount_cents", "colour"}
	for i, l := range lines {
		got := ""
		if l.Rejected != nil {
			got = l.Rejected.Field
		}
		if got != want[i] || l.Line != i+1 {
			t.Errorf("line %d: rejected field %q (line %d), want %q", i+1, got, l.Line, want[i])
		}
	}
	for _, bad := range []string{`{"number":"F-1"}`, `[`, `[]`, `"x"`} {
		var fe *FileError
		if _, err := ParseInvoicesJSON([]byte(bad)); !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a *FileError", bad, err)
		}
	}
}

// FuzzParseInvoicesCSV: any input either fails as a whole with a
// *FileError or yields lines that are each valid or rejected naming a
// field and a reason.
func FuzzParseInvoicesCSV(f *testing.F) {
	f.Add(goodCSV)
	f.Add("number;debtor_id;issue_date;due_date;currency;amount_cents\nF;d;2026-01-01;2026-01-02;EUR;1\n")
	f.Add("number,debtor_id,issue_date,due_date,currency,amount_cents\n\"F\n1\",d,2026-01-01,2026-01-02,EUR,-1\n")
	f.Add("\ufeffnumber,debtor_id,issue_date,due_date,currency,amount_cents\n,,,,,\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := ParseInvoicesCSV(strings.NewReader(in))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Reason == "" {
				t.Fatalf("error %v is not a *FileError with a reason", err)
			}
			if lines != nil {
				t.Fatal("lines returned with an error")
			}
			return
		}
		if len(lines) == 0 {
			t.Fatal("no lines and no error")
		}
		prev := 1
		for _, l := range lines {
			if l.Line <= prev {
				t.Fatalf("line numbers not increasing: %d after %d", l.Line, prev)
			}
			prev = l.Line
			if l.Rejected != nil {
				if l.Rejected.Field == "" || l.Rejected.Reason == "" {
					t.Fatalf("line %d rejected without field or reason: %+v", l.Line, l.Rejected)
				}
				continue
			}
			if fe := l.Input.Validate(); fe != nil {
				t.Fatalf("line %d accepted but invalid: %v", l.Line, fe)
			}
			if l.Input != l.Input.Normalize() {
				t.Fatalf("line %d accepted but not normalized: %+v", l.Line, l.Input)
			}
		}
	})
}
