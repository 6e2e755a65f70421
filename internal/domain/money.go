// Package domain holds Relance's plain types and pure business rules. It
// imports nothing of ours and does no I/O, so workflows may use all of it.
package domain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in minor units (cents) of an ISO 4217 currency.
type Money struct {
	Cents    int64  `json:"cents"`
	Currency string `json:"currency"`
}

// ErrCurrencyMismatch is returned when two amounts of different currencies meet.
var ErrCurrencyMismatch = errors.New("currency mismatch")

// NewMoney returns cents of currency, upper-casing the code.
func NewMoney(cents int64, currency string) Money {
	return Money{Cents: cents, Currency: strings.ToUpper(currency)}
}

// ValidCurrency reports whether code looks like an ISO 4217 code we can format.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// currencySymbols maps the currencies we print with a symbol; others print their code.
var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}

// FormatFR renders m the French way: "1 234,56 €" with non-breaking spaces
// (U+00A0 before the symbol, U+202F as the thousands separator is avoided
// because many PDF fonts lack it).
func (m Money) FormatFR() string {
	return formatMoney(m, "\u00a0", ",", true)
}

// FormatEN renders m the English way: "€1,234.56".
func (m Money) FormatEN() string {
	return formatMoney(m, ",", ".", false)
}

// Format renders m for a debtor language ("fr" or "en").
func (m Money) Format(lang string) string {
	if lang == "en" {
		return m.FormatEN()
	}
	return m.FormatFR()
}

func formatMoney(m Money, thousands, decimal string, symbolAfter bool) string {
	cents := m.Cents
	neg := cents < 0
	if neg {
		cents = -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	num := fmt.Sprintf("%s%s%02d", b.String(), decimal, cents%100)
	if neg {
		num = "-" + num
	}
	sym, ok := currencySymbols[m.Currency]
	if !ok {
		sym = m.Currency
	}
	if symbolAfter {
		return num + "\u00a0" + sym
	}
	if len(sym) > 1 && !strings.ContainsAny(sym, "€$£") {
		return sym + " " + num
	}
	return sym + num
}
