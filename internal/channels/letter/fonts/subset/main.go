// Command subset writes the fonts letter embeds: DejaVu Sans and DejaVu
// Sans Bold cut down to the scripts and symbols letters to European
// debtors use, renamed "DejaVu Sans Letter" (the Bitstream Vera licence
// in fonts/LICENSE requires a modified font to be renamed away from
// "Bitstream" and "Vera"; the new name has neither).
//
// fpdf parses the whole font for every document it creates (AddUTF8Font*
// walks every code point of the cmap and every glyph's metrics) and again
// when it writes the document, so the size of the font's repertoire is
// paid per letter. See fonts/README.md.
//
// Usage, from the letter package directory (go generate does this):
//
//	go run ./fonts/subset -src fonts/src -dst fonts
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/relance/relance/internal/channels/letter/internal/ttf"
)

// blocks are the Unicode ranges kept, whole: whatever DejaVu draws in
// them stays available to letters.
var blocks = [][2]rune{
	{0x0000, 0x007F}, // Basic Latin
	{0x0080, 0x00FF}, // Latin-1 Supplement (incl. U+00A0 no-break space)
	{0x0100, 0x017F}, // Latin Extended-A (Ł Ż ő Ş ğ ř Œ œ)
	{0x0180, 0x024F}, // Latin Extended-B (Ș Ț)
	{0x02B0, 0x02FF}, // Spacing Modifier Letters
	{0x0300, 0x036F}, // Combining Diacritical Marks
	{0x0370, 0x03FF}, // Greek and Coptic
	{0x0400, 0x04FF}, // Cyrillic
	{0x1E00, 0x1EFF}, // Latin Extended Additional (Vietnamese)
	{0x2000, 0x206F}, // General Punctuation (U+202F, … ’ “ ” ‹ › •)
	{0x20A0, 0x20CF}, // Currency Symbols (€)
	{0x2100, 0x214F}, // Letterlike Symbols (№ ™)
	{0x2212, 0x2212}, // Minus sign, used by some locales' number formats
	{0xFB00, 0xFB06}, // Latin ligatures (ﬁ ﬂ) found in text pasted from PDFs
	{0xFFFD, 0xFFFD}, // Replacement character, left by lossy decoders
}

// fonts pairs each original (in -src) with the subset written (in -dst).
var fonts = []struct{ in, out string }{
	{"DejaVuSans.ttf", "DejaVuSansLetter.ttf"},
	{"DejaVuSans-Bold.ttf", "DejaVuSansLetter-Bold.ttf"},
}

func keep(r rune) bool {
	for _, b := range blocks {
		if r >= b[0] && r <= b[1] {
			return true
		}
	}
	return false
}

func main() {
	src := flag.String("src", "fonts/src", "directory holding the original DejaVu fonts")
	dst := flag.String("dst", "fonts", "directory to write the subsets to")
	flag.Parse()
	for _, f := range fonts {
		if err := write(filepath.Join(*src, f.in), filepath.Join(*dst, f.out)); err != nil {
			log.Fatal(err)
		}
	}
}

func write(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read original: %w", err)
	}
	font, err := ttf.Parse(data)
	if err != nil {
		return fmt.Errorf("parse %s: %w", in, err)
	}
	sub, err := ttf.Subset(font, keep, "DejaVu Sans Letter")
	if err != nil {
		return fmt.Errorf("subset %s: %w", in, err)
	}
	if err := os.WriteFile(out, sub, 0o644); err != nil {
		return fmt.Errorf("write subset: %w", err)
	}
	log.Printf("%s: %d bytes, %d code points -> %s: %d bytes", in, len(data), len(font.Cmap), out, len(sub))
	return nil
}
