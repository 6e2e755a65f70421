package analytics

import (
	"errors"
	"net/url"
	"testing"

	"github.com/relance/relance/internal/domain"
)

func TestParseQueryDefaultsAndFilters(t *testing.T) {
	today := d("2026-03-10")
	q, err := ParseQuery(url.Values{}, today)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Period.From.Equal(d("2025-12-11")) || !q.Period.To.Equal(today) || q.Period.Days() != 90 || q.Rates != nil {
		t.Errorf("defaults = %+v, want the 90 days ending today, no conversion", q)
	}
	q, err = ParseQuery(url.Values{"from": {"2026-02-01"}, "to": {"2026-02-28"}, "currency": {"usd"},
		"segment": {"smb"}, "collector": {"c-alice"}, "policy": {"standard-b2b"},
		"convert_to": {"eur"}, "rates": {"USD:0.92, GBP:1.17"}}, today)
	if err != nil {
		t.Fatal(err)
	}
	want := Filter{Currency: "USD", Segment: "smb", Collector: "c-alice", Policy: "standard-b2b"}
	if q.Filter != want || q.Period.Days() != 28 || q.Rates.Target != "EUR" || q.Rates.Of["GBP"].FloatString(2) != "1.17" {
		t.Errorf("parsed = %+v %+v, want %+v and two rates into EUR", q.Filter, q.Rates, want)
	}
}

func TestParseQueryBadInputNamesTheParameter(t *testing.T) {
	cases := []struct {
		query string
		field string
	}{
		{"currency=XYZ", "currency"},
		{"currency=EURO", "currency"},
		{"from=2026-03-01&to=2026-02-01", "to"},
		{"from=01/02/2026", "from"},
		{"to=2026-02-30", "to"},
		{"from=2000-01-01&to=2026-01-01", "from"},
		{"rates=USD:0.92", "convert_to"},
		{"convert_to=ZZZ&rates=USD:1", "convert_to"},
		{"convert_to=EUR&rates=USD:-1", "rates"},
		{"convert_to=EUR&rates=USD", "rates"},
		{"convert_to=EUR&rates=USD:1,USD:2", "rates"},
		{"convert_to=EUR&rates=XYZ:1", "rates"},
		{"colector=c-alice", "colector"},
		{"segment=a&segment=b", "segment"},
	}
	for _, c := range cases {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseQuery(v, d("2026-03-10"))
		var fe domain.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: err = %v, want a field error on %s", c.query, err, c.field)
		}
	}
}
