package channels

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/relance/relance/internal/domain"
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
		{"a long name wraps onto a free line", Address{Name: "Établissements Très Très Longs Frères et Compagnie",
			Lines: []string{"1 rue"}, PostalCode: "13001", City: "Marseille"},
			[]string{"Établissements Très Très Longs Frères", "et Compagnie", "1 rue", "13001 MARSEILLE"}},
		{"a 60-character street line wraps whole", Address{Name: "Copropriété Üetliberg",
			Lines: []string{"Résidence «Les Cœurs de l'Üetliberg», bâtiment Ç, escalier 12", "3 rue du Lac"}, PostalCode: "74000", City: "Annecy"},
			[]string{"Copropriété Üetliberg", "Résidence «Les Cœurs de l'Üetliberg»,", "bâtiment Ç, escalier 12", "3 rue du Lac", "74000 ANNECY"}},
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
	for _, tc := range []struct {
		name, field string
		a           Address
	}{
		{"a 60-character line and no free line", "address_lines[0]", Address{Name: "Société",
			Lines:      []string{"Résidence «Les Cœurs de l'Üetliberg», bâtiment Ç, escalier 12", "Service comptabilité", "Bâtiment A", "12 avenue Foch"},
			PostalCode: "75016", City: "Paris"}},
		{"a word longer than a line", "address_lines[1]", Address{Name: "Société",
			Lines: []string{"1 rue", "Zone-Industrielle-Nord-de-la-Grande-Agglomération"}, PostalCode: "75016", City: "Paris"}},
		{"too many short lines", "address_lines", Address{Name: "Société", Lines: []string{"Service comptabilité", "Bâtiment A",
			"Escalier 2", "Résidence des Pins", "12 avenue Foch"}, PostalCode: "75016", City: "Paris"}},
		{"a city line that does not fit", "city", Address{Name: "Société", Lines: []string{"1 rue"},
			PostalCode: "75016", City: "Saint-Rémy-en-Bouzemont-Saint-Genest et Isson"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.a.Layout()
			var fe domain.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || fe.Reason == "" {
				t.Fatalf("Layout() = %v, want a refusal naming %s", err, tc.field)
			}
			// Never cut: every word of the address is still on the letter.
			joined := strings.Join(tc.a.PostalLines(), " ")
			for _, l := range tc.a.Lines {
				for _, w := range strings.Fields(l) {
					if !strings.Contains(joined, w) {
						t.Errorf("%q lost from the letter's lines %q", w, tc.a.PostalLines())
					}
				}
			}
		})
	}
	if (Address{Name: "X", PostalCode: "75001", City: "Paris"}).Complete() {
		t.Error("an address without street lines cannot receive a letter")
	}
}
