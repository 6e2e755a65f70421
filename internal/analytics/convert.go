package analytics

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"golang.org/x/text/currency"

	"github.com/relance/relance/internal/domain"
)

// KnownCurrency reports whether code is an ISO 4217 currency code
// ("EUR", upper case).
func KnownCurrency(code string) bool {
	if !domain.ValidCurrency(code) {
		return false
	}
	_, err := currency.ParseISO(code)
	return err == nil
}

// minorDigits is the number of decimals of a currency's minor unit (2 for
// EUR, 0 for JPY, 3 for KWD).
func minorDigits(code string) int {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// Rates are user-given conversion rates into one target currency: one
// unit of the key currency is worth Rates[key] units of the target.
type Rates struct {
	Target string
	Of     map[string]*big.Rat
}

// ParseRates reads "USD:0.92,GBP:1.17" (one unit of USD is 0.92 units of
// target). Errors name the rates parameter.
func ParseRates(target, s string) (Rates, error) {
	r := Rates{Target: target, Of: map[string]*big.Rat{}}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		code, val, ok := strings.Cut(part, ":")
		code = strings.ToUpper(strings.TrimSpace(code))
		if !ok || !KnownCurrency(code) {
			return r, domain.FieldError{Field: "rates", Reason: fmt.Sprintf("%q is not CODE:RATE with an ISO 4217 code (USD:0.92)", part)}
		}
		rate, ok := new(big.Rat).SetString(strings.TrimSpace(val))
		if !ok || rate.Sign() <= 0 {
			return r, domain.FieldError{Field: "rates", Reason: fmt.Sprintf("the rate of %s must be a positive decimal number", code)}
		}
		if _, dup := r.Of[code]; dup {
			return r, domain.FieldError{Field: "rates", Reason: code + " is given twice"}
		}
		r.Of[code] = rate
	}
	return r, nil
}

// Convert returns facts with every amount in the target currency. Each
// amount (an invoice, a payment, a credit note) is converted on its own and
// rounded half away from zero to the target's minor unit, so the converted
// KPIs are those of a single-currency ledger. A currency with no rate is
// an error naming the rates parameter; the target converts at 1.
func Convert(f Facts, r Rates) (Facts, error) {
	var missing []string
	seen := map[string]bool{}
	need := func(cur string) {
		if cur != r.Target && r.Of[cur] == nil && !seen[cur] {
			seen[cur] = true
			missing = append(missing, cur)
		}
	}
	for _, inv := range f.Invoices {
		need(inv.Currency)
	}
	for _, pr := range f.Promises {
		need(pr.Currency)
	}
	for _, pl := range f.Plans {
		need(pl.Currency)
	}
	for _, d := range f.Disputes {
		need(d.Currency)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Facts{}, domain.FieldError{Field: "rates", Reason: "no rate into " + r.Target + " for " + strings.Join(missing, ", ")}
	}
	out := Facts{Invoices: make([]Invoice, 0, len(f.Invoices))}
	for _, inv := range f.Invoices {
		c := inv
		c.Currency = r.Target
		c.AmountCents = r.convert(inv.AmountCents, inv.Currency)
		c.Movements = make([]Movement, len(inv.Movements))
		for i, m := range inv.Movements {
			m.Cents = r.convert(m.Cents, inv.Currency)
			c.Movements[i] = m
		}
		out.Invoices = append(out.Invoices, c)
	}
	for _, pr := range f.Promises {
		pr.Currency = r.Target
		out.Promises = append(out.Promises, pr)
	}
	for _, pl := range f.Plans {
		pl.Currency = r.Target
		out.Plans = append(out.Plans, pl)
	}
	for _, d := range f.Disputes {
		d.Currency = r.Target
		out.Disputes = append(out.Disputes, d)
	}
	return out, nil
}

// convert turns minor units of from into minor units of the target.
func (r Rates) convert(cents int64, from string) int64 {
	if from == r.Target {
		return cents
	}
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(cents), r.Of[from])
	shift := minorDigits(r.Target) - minorDigits(from)
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(shift))), nil))
	if shift >= 0 {
		v.Mul(v, scale)
	} else {
		v.Quo(v, scale)
	}
	return roundRat(v)
}

// roundRat rounds v half away from zero.
func roundRat(v *big.Rat) int64 {
	num, den := new(big.Int).Abs(v.Num()), v.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if v.Sign() < 0 {
		q.Neg(q)
	}
	return q.Int64()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// sortedKeys lists the currencies of rates in order.
func sortedKeys(m map[string]*big.Rat) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// decimal prints a rate without trailing zeros ("0.92", not "23/25").
func decimal(r *big.Rat) string {
	s := r.FloatString(10)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
