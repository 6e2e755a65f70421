package ttf

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

func original(t *testing.T, name string) *Font {
	t.Helper()
	data, err := os.ReadFile("../../fonts/src/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// latinAndGreek keeps Latin-1, Latin Extended-A (many composite glyphs in
// DejaVu: accented capitals) and Greek, and nothing else.
func latinAndGreek(r rune) bool {
	return r >= 0x20 && r <= 0x17F || r >= 0x370 && r <= 0x3FF
}

func TestSubsetKeepsOutlinesMetricsAndOnlyWhatWasAsked(t *testing.T) {
	for _, name := range []string{"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"} {
		orig := original(t, name)
		data, err := Subset(orig, latinAndGreek, "Test Sans")
		if err != nil {
			t.Fatal(err)
		}
		sub, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: subset does not parse: %v", name, err)
		}
		if sub.NumGlyphs >= orig.NumGlyphs/4 {
			t.Errorf("%s: %d glyphs of %d kept", name, sub.NumGlyphs, orig.NumGlyphs)
		}
		composites := 0
		for r, g := range orig.Cmap {
			ng := sub.Glyph(r)
			if !latinAndGreek(r) {
				if ng != 0 {
					t.Errorf("%s: U+%04X kept", name, r)
				}
				continue
			}
			if ng == 0 {
				t.Errorf("%s: U+%04X dropped", name, r)
				continue
			}
			if a, b := fmtAdvance(orig, g), fmtAdvance(sub, ng); a != b {
				t.Errorf("%s: U+%04X metrics %s, were %s", name, r, b, a)
			}
			composites += sameGlyph(t, orig, int(g), sub, int(ng))
		}
		if composites == 0 {
			t.Errorf("%s: no composite glyph checked", name)
		}
	}
}

func fmtAdvance(f *Font, g uint16) string {
	adv, lsb := f.Advance(int(g))
	return fmt.Sprintf("advance %d, lsb %d", adv, lsb)
}

// sameGlyph fails unless glyph b of sub is glyph a of orig, byte for byte
// but for component glyph ids, whose glyphs must be the same in turn. It
// returns the number of composite glyphs compared.
func sameGlyph(t *testing.T, orig *Font, a int, sub *Font, b int) int {
	t.Helper()
	da, err := orig.glyphData(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sub.glyphData(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(da) != len(db) {
		t.Errorf("glyph %d -> %d: %d bytes, were %d", a, b, len(db), len(da))
		return 0
	}
	var ca, cb []int
	components(da, func(at int) { ca = append(ca, at) })
	components(db, func(at int) { cb = append(cb, at) })
	masked := func(d []byte, at []int) []byte {
		d = bytes.Clone(d)
		for _, p := range at {
			d[p], d[p+1] = 0, 0
		}
		return d
	}
	if !bytes.Equal(masked(da, ca), masked(db, cb)) {
		t.Errorf("glyph %d -> %d: outline differs", a, b)
		return 0
	}
	n := 0
	if len(ca) > 0 {
		n = 1
	}
	for i := range ca {
		n += sameGlyph(t, orig, int(be.Uint16(da[ca[i]:])), sub, int(be.Uint16(db[cb[i]:])))
	}
	return n
}

func TestSubsetIsAWellFormedFont(t *testing.T) {
	data, err := Subset(original(t, "DejaVuSans-Bold.ttf"), latinAndGreek, "Test Sans")
	if err != nil {
		t.Fatal(err)
	}
	if sum := checksum(data); sum != 0xB1B0AFBA {
		t.Errorf("whole-font checksum %#x, want 0xB1B0AFBA", sum)
	}
	sub, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int(be.Uint16(data[4:])) {
		rec := data[12+16*i:]
		tag, sum := string(rec[:4]), be.Uint32(rec[4:])
		table := sub.Tables[tag]
		if tag == "head" {
			table = bytes.Clone(table)
			be.PutUint32(table[8:], 0) // checksumAdjustment is left out
		}
		if got := checksum(table); got != sum {
			t.Errorf("%s: checksum %#x, directory says %#x", tag, got, sum)
		}
	}
	for _, tag := range []string{"GSUB", "GPOS", "GDEF", "kern", "FFTM"} {
		if sub.Tables[tag] != nil {
			t.Errorf("%s kept", tag)
		}
	}
	if v := be.Uint32(sub.Tables["post"]); v != 0x00030000 {
		t.Errorf("post version %#x, want 3.0", v)
	}

	names := map[uint16]string{}
	nt := sub.Tables["name"]
	for i := range int(be.Uint16(nt[2:])) {
		r := nt[6+12*i:]
		off := int(be.Uint16(nt[4:])) + int(be.Uint16(r[10:]))
		units := make([]uint16, be.Uint16(r[8:])/2)
		for j := range units {
			units[j] = be.Uint16(nt[off+2*j:])
		}
		names[be.Uint16(r[6:])] = string(utf16.Decode(units))
	}
	want := map[uint16]string{1: "Test Sans", 3: "Test Sans Bold", 4: "Test Sans Bold", 6: "TestSans-Bold", 16: "Test Sans"}
	for id, w := range want {
		if names[id] != w {
			t.Errorf("name %d = %q, want %q", id, names[id], w)
		}
	}
	if !strings.Contains(names[0], "Bitstream") || !strings.Contains(names[13], "Arev") {
		t.Errorf("copyright or licence notice lost: %q / %.60q", names[0], names[13])
	}
}

func TestFormat4RoundTrip(t *testing.T) {
	// Runs with consecutive glyphs (idDelta), runs without (glyphIdArray),
	// lone code points and the top of the BMP.
	want := map[rune]uint16{
		'A': 10, 'B': 11, 'C': 12, 'a': 40, 'b': 3, 'c': 41, 'é': 7,
		0x20AC: 2, 0x202F: 5, 0x2030: 6, 0xFFFD: 1,
	}
	runes := make([]rune, 0, len(want))
	for r := range maps.Keys(want) {
		runes = append(runes, r)
	}
	slices.Sort(runes)
	table, err := cmapFormat4(runes, func(r rune) uint16 { return want[r] })
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseCmap(table)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("round trip: %v, want %v", got, want)
	}
}

func TestParseRejectsWhatIsNotATrueTypeFont(t *testing.T) {
	data, err := os.ReadFile("../../fonts/src/DejaVuSans.ttf")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("this is not a font at all"),
		"OpenType":  append([]byte("OTTO"), data[4:]...),
		"truncated": data[:len(data)/2],
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
