package form

import (
	"net/url"
	"testing"
)

func TestAmount(t *testing.T) {
	for in, want := range map[string]int64{
		"1 234,56": 123456, "1234.56": 123456, "80": 8000, "0,5": 50, "12,30 €": 1230, "1\u00a0234,56": 123456, ",99": 99,
	} {
		if got, ok := Amount(in); !ok || got != want {
			t.Errorf("Amount(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "-5", "1,234", "1.2.3", "12,", "99999999999999999"} {
		if got, ok := Amount(in); ok {
			t.Errorf("Amount(%q) = %d, want refused", in, got)
		}
	}
}

func TestParseCompletionNamesTheAPIField(t *testing.T) {
	c, errs := ParseCompletion(url.Values{"outcome": {"promise"}, "promise.amount_cents": {"douze"}, "promise.date": {"2026-12-28"}})
	if errs["promise.amount_cents"] == "" || c.Promise == nil || c.Promise.Date != "2026-12-28" {
		t.Fatalf("completion %+v, errors %v", c, errs)
	}
	c, errs = ParseCompletion(url.Values{"outcome": {"promise"}, "promise.amount_cents": {"1 234,56"}, "promise.date": {"2026-12-28"}})
	if len(errs) != 0 || c.Promise.AmountCents != 123456 {
		t.Fatalf("completion %+v, errors %v", c, errs)
	}
	c, errs = ParseCompletion(url.Values{"outcome": {"no_answer"}, "promise.amount_cents": {"x"}})
	if len(errs) != 0 || c.Promise != nil {
		t.Errorf("a no-answer reads the promise: %+v %v", c, errs)
	}
}

func TestPlanLines(t *testing.T) {
	p, errs := Plan(url.Values{"installments": {"2026-12-28 500,00\n\n2027-01-28 x\n"}})
	if len(p.Installments) != 2 || p.Installments[0].AmountCents != 50000 || errs["installments[1].amount_cents"] == "" {
		t.Fatalf("plan %+v, errors %v", p, errs)
	}
}
