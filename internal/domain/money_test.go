package domain

import "testing"

func TestMoneyFormat(t *testing.T) {
	cases := []struct {
		m      Money
		fr, en string
	}{
		{NewMoney(123456, "eur"), "1\u00a0234,56\u00a0€", "€1,234.56"},
		{NewMoney(5, "EUR"), "0,05\u00a0€", "€0.05"},
		{NewMoney(100000000, "EUR"), "1\u00a0000\u00a0000,00\u00a0€", "€1,000,000.00"},
		{NewMoney(-4000, "EUR"), "-40,00\u00a0€", "€-40.00"},
		{NewMoney(999, "CHF"), "9,99\u00a0CHF", "CHF 9.99"},
	}
	for _, c := range cases {
		if got := c.m.FormatFR(); got != c.fr {
			t.Errorf("FormatFR(%v) = %q, want %q", c.m, got, c.fr)
		}
		if got := c.m.FormatEN(); got != c.en {
			t.Errorf("FormatEN(%v) = %q, want %q", c.m, got, c.en)
		}
	}
}

func TestValidCurrency(t *testing.T) {
	for code, want := range map[string]bool{"EUR": true, "eur": false, "EU": false, "EURO": false, "E1R": false} {
		if got := ValidCurrency(code); got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", code, got, want)
		}
	}
}
