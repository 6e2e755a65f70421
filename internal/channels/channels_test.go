package channels

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestPostalLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Address
		want []string
	}{
		{"french", Address{Name: "Boulangerie Léa", Lines: []string{"3 place du Marché"}, PostalCode: "69001", City: "Lyon", Country: "FR"},
			[]string{"Boulangerie Léa", "3 place du Marché", "69001 LYON"}},
		{"abroad", Address{Name: "Brasserie Nord", Lines: []string{"Grote Markt 1"}, PostalCode: "1000", City: "Bruxelles", Country: "BE"},
			[]string{"Brasserie Nord", "Grote Markt 1", "1000 BRUXELLES", "BELGIQUE"}},
		{"too many lines keep the street", Address{Name: "Société", Lines: []string{"Service comptabilité", "Bâtiment A",
			"Escalier 2", "Résidence des Pins", "12 avenue Foch"}, PostalCode: "75016", City: "Paris"},
			[]string{"Société", "Bâtiment A", "Escalier 2", "Résidence des Pins", "12 avenue Foch", "75016 PARIS"}},
		{"long lines are clipped to 38 characters", Address{Name: "Établissements Très Très Longs Frères et Compagnie",
			Lines: []string{"1 rue"}, PostalCode: "13001", City: "Marseille"},
			[]string{"Établissements Très Très Longs Frères", "1 rue", "13001 MARSEILLE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.a.PostalLines()
			if !slices.Equal(got, tc.want) {
				t.Errorf("PostalLines = %q, want %q", got, tc.want)
			}
			if len(got) > MaxLines {
				t.Errorf("%d lines", len(got))
			}
			for _, l := range got {
				if utf8.RuneCountInString(l) > MaxLineRunes {
					t.Errorf("line %q has more than %d characters", l, MaxLineRunes)
				}
			}
		})
	}
	if (Address{Name: "X", PostalCode: "75001", City: "Paris"}).Complete() {
		t.Error("an address without street lines cannot receive a letter")
	}
}
