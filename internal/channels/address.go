package channels

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/relance/relance/internal/domain"
)

// Layout lays the address out as the post expects it (NF Z10-011): the
// name first, then the street lines, then "CP VILLE" in capitals, and the
// country in capitals on its own line when it is not France — at most 6
// lines of at most 38 characters. A longer line is wrapped at its spaces
// onto a free line when the address has one; when it has none, or a word
// alone is longer than a line, Layout refuses and names the field. Nothing
// is ever cut: a cut address line sends a formal notice nowhere.
func (a Address) Layout() ([]string, error) {
	type part struct {
		field string
		text  string
	}
	parts := []part{{"name", a.Name}}
	for i, l := range a.Lines {
		parts = append(parts, part{fmt.Sprintf("address_lines[%d]", i), l})
	}
	parts = append(parts, part{"city", strings.ToUpper(a.PostalCode + " " + a.City)})
	if c := strings.ToUpper(strings.TrimSpace(a.Country)); c != "" && c != "FR" {
		name, ok := countryNames[c]
		if !ok {
			name = c
		}
		parts = append(parts, part{"country", name})
	}
	var out []string
	firstWrapped := ""
	for _, p := range parts {
		words := strings.Fields(p.text)
		if len(words) == 0 {
			continue
		}
		lines, ok := wrap(words)
		if !ok || (len(lines) > 1 && (p.field == "city" || p.field == "country")) {
			return nil, domain.FieldError{Field: p.field, Reason: fmt.Sprintf(
				"does not fit the %d characters of an address line (NF Z10-011) and cannot be wrapped: abbreviate it", MaxLineRunes)}
		}
		if len(lines) > 1 && firstWrapped == "" {
			firstWrapped = p.field
		}
		out = append(out, lines...)
	}
	if len(out) > MaxLines {
		if firstWrapped != "" {
			return nil, domain.FieldError{Field: firstWrapped, Reason: fmt.Sprintf(
				"is longer than %d characters and the address has no free line to continue it (at most %d lines, NF Z10-011): abbreviate it",
				MaxLineRunes, MaxLines)}
		}
		return nil, domain.FieldError{Field: "address_lines", Reason: fmt.Sprintf(
			"make the address %d lines long with the name and the postal code and city, more than the %d a letter has (NF Z10-011)",
			len(out), MaxLines)}
	}
	return out, nil
}

// wrap packs words into lines of at most MaxLineRunes characters; ok is
// false when a word alone is longer.
func wrap(words []string) ([]string, bool) {
	var lines []string
	cur := ""
	for _, w := range words {
		if utf8.RuneCountInString(w) > MaxLineRunes {
			return nil, false
		}
		switch {
		case cur == "":
			cur = w
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) <= MaxLineRunes:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	return append(lines, cur), true
}

// PostalLines is the address laid out for a letter. An address intake
// would refuse today (stored before the rule) is given whole, line by
// line, rather than cut: the send path refuses it first (Layout).
func (a Address) PostalLines() []string {
	if lines, err := a.Layout(); err == nil {
		return lines
	}
	out := []string{strings.Join(strings.Fields(a.Name), " ")}
	for _, l := range a.Lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return append(out, strings.ToUpper(strings.TrimSpace(a.PostalCode+" "+a.City)))
}
