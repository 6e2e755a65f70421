package ttf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// Tables a subset keeps besides the ones it rewrites. They are what fpdf
// embeds in a PDF (utf8fontfile.go, GenerateCutFont): the hinting
// programs and the gasp table, copied verbatim so glyphs rasterise as in
// the original. GSUB, GPOS, GDEF, kern, MATH and FFTM are dropped: fpdf
// neither shapes nor kerns.
var copiedTables = []string{"cvt ", "fpgm", "prep", "gasp"}

// Composite glyph component flags (OpenType spec, glyf table).
const (
	argsAreWords   = 0x0001
	haveScale      = 0x0008
	moreComponents = 0x0020
	haveXYScale    = 0x0040
	haveTwoByTwo   = 0x0080
)

// Subset returns a TrueType font holding the code points of f for which
// keep reports true, the glyphs they need (composite glyphs pull in their
// components) and .notdef, renumbered in their original order. Outlines,
// hinting instructions and advance widths are copied unchanged, so text
// sets and renders exactly as with f. The naming records take family in
// place of the original family name: the original's licence may forbid
// a modified font to keep its name.
func Subset(f *Font, keep func(rune) bool, family string) ([]byte, error) {
	runes := make([]rune, 0, len(f.Cmap))
	for r := range f.Cmap {
		if keep(r) {
			if r >= 0xFFFF {
				return nil, fmt.Errorf("U+%04X is beyond the BMP: a format 4 cmap cannot map it", r)
			}
			runes = append(runes, r)
		}
	}
	if len(runes) == 0 {
		return nil, errors.New("no code point to keep")
	}
	slices.Sort(runes)

	old, err := f.closure(runes)
	if err != nil {
		return nil, err
	}
	newID := make(map[uint16]uint16, len(old))
	for i, g := range old {
		newID[g] = uint16(i)
	}

	out := map[string][]byte{}
	for _, tag := range copiedTables {
		if t := f.Tables[tag]; t != nil {
			out[tag] = t
		}
	}
	glyf, loca, longLoca, err := f.glyphs(old, newID)
	if err != nil {
		return nil, err
	}
	out["glyf"], out["loca"] = glyf, loca
	out["hmtx"], out["hhea"] = f.metrics(old)
	if out["cmap"], err = cmapFormat4(runes, func(r rune) uint16 { return newID[f.Cmap[r]] }); err != nil {
		return nil, err
	}
	if out["name"], err = renamed(f.Tables["name"], family); err != nil {
		return nil, fmt.Errorf("name: %w", err)
	}

	maxp := bytes.Clone(f.Tables["maxp"])
	// numGlyphs changes; the other fields are maxima over the glyphs and
	// the hinting programs, still true of a subset.
	be.PutUint16(maxp[4:], uint16(len(old)))
	out["maxp"] = maxp

	// head keeps the original bounding box (a superset of the subset's,
	// so still a valid bound, and the PDF font descriptor fpdf derives
	// from it stays the same) and dates (so regeneration is reproducible).
	head := bytes.Clone(f.Tables["head"])
	be.PutUint32(head[8:], 0) // checksumAdjustment, set once the file is assembled
	be.PutUint16(head[50:], 0)
	if longLoca {
		be.PutUint16(head[50:], 1)
	}
	out["head"] = head

	post := f.Tables["post"]
	if len(post) < 32 {
		return nil, errors.New("post table too short")
	}
	// Format 3: no glyph names, which PDF embedding does not use.
	post = bytes.Clone(post[:32])
	be.PutUint32(post, 0x00030000)
	out["post"] = post

	if os2 := f.Tables["OS/2"]; len(os2) >= 68 {
		os2 = bytes.Clone(os2)
		be.PutUint16(os2[64:], uint16(runes[0]))            // usFirstCharIndex
		be.PutUint16(os2[66:], uint16(runes[len(runes)-1])) // usLastCharIndex
		out["OS/2"] = os2
	}
	return assemble(out), nil
}

// closure returns, sorted, .notdef, the glyphs of runes and every glyph a
// composite among them refers to, however deep.
func (f *Font) closure(runes []rune) ([]uint16, error) {
	seen := map[uint16]bool{0: true}
	todo := []uint16{0}
	for _, r := range runes {
		if g := f.Cmap[r]; !seen[g] {
			seen[g] = true
			todo = append(todo, g)
		}
	}
	for len(todo) > 0 {
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if int(g) >= f.NumGlyphs {
			return nil, fmt.Errorf("glyph %d beyond numGlyphs %d", g, f.NumGlyphs)
		}
		data, err := f.glyphData(int(g))
		if err != nil {
			return nil, err
		}
		err = components(data, func(at int) {
			if c := be.Uint16(data[at:]); !seen[c] {
				seen[c] = true
				todo = append(todo, c)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("glyph %d: %w", g, err)
		}
	}
	ids := make([]uint16, 0, len(seen))
	for g := range seen {
		ids = append(ids, g)
	}
	slices.Sort(ids)
	return ids, nil
}

// components calls fn with the offset of each component's glyph index in
// a composite glyph's data; simple and empty glyphs have none.
func components(data []byte, fn func(at int)) error {
	if len(data) < 10 || int16(be.Uint16(data)) >= 0 {
		return nil
	}
	for p := 10; ; {
		if p+4 > len(data) {
			return errors.New("truncated composite glyph")
		}
		flags := be.Uint16(data[p:])
		fn(p + 2)
		p += 4 // flags, glyphIndex
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			return nil
		}
	}
}

// glyphs copies the glyf data of old (renumbered by newID inside
// composites), each glyph padded to 4 bytes, and builds its loca.
func (f *Font) glyphs(old []uint16, newID map[uint16]uint16) (glyf, loca []byte, long bool, err error) {
	offsets := make([]int, 0, len(old)+1)
	for _, g := range old {
		data, err := f.glyphData(int(g))
		if err != nil {
			return nil, nil, false, err
		}
		offsets = append(offsets, len(glyf))
		start := len(glyf)
		glyf = append(glyf, data...)
		copied := glyf[start:]
		// components was already run over this glyph by closure.
		_ = components(copied, func(at int) {
			be.PutUint16(copied[at:], newID[be.Uint16(copied[at:])])
		})
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
	}
	offsets = append(offsets, len(glyf))
	long = len(glyf) > 2*0xFFFF
	for _, o := range offsets {
		if long {
			loca = be.AppendUint32(loca, uint32(o))
		} else {
			loca = be.AppendUint16(loca, uint16(o/2))
		}
	}
	return glyf, loca, long, nil
}

// metrics writes one full horizontal metric per glyph. hhea keeps its
// extremes (advanceWidthMax, minimum bearings, xMaxExtent): bounds over
// all the original's glyphs are still bounds over a subset of them.
func (f *Font) metrics(old []uint16) (hmtx, hhea []byte) {
	for _, g := range old {
		adv, lsb := f.Advance(int(g))
		hmtx = be.AppendUint16(hmtx, adv)
		hmtx = be.AppendUint16(hmtx, uint16(lsb))
	}
	hhea = bytes.Clone(f.Tables["hhea"])
	be.PutUint16(hhea[34:], uint16(len(old))) // numberOfHMetrics
	return hmtx, hhea
}

// cmapFormat4 builds a cmap with one format 4 subtable, listed as both
// Unicode BMP (0, 3) and Windows Unicode BMP (3, 1). runes is sorted.
// Each run of consecutive code points is one segment: an idDelta when
// its glyph ids are consecutive too, a slice of glyphIdArray otherwise.
func cmapFormat4(runes []rune, glyph func(rune) uint16) ([]byte, error) {
	type segment struct{ start, end rune }
	var segs []segment
	for _, r := range runes {
		if n := len(segs); n > 0 && segs[n-1].end+1 == r {
			segs[n-1].end = r
		} else {
			segs = append(segs, segment{r, r})
		}
	}
	segs = append(segs, segment{0xFFFF, 0xFFFF}) // required final segment
	n := len(segs)
	ends := make([]byte, 0, 2*n)
	starts := make([]byte, 0, 2*n)
	deltas := make([]byte, 0, 2*n)
	rangeOffsets := make([]byte, 0, 2*n)
	var glyphIDs []byte
	for i, s := range segs {
		ends = be.AppendUint16(ends, uint16(s.end))
		starts = be.AppendUint16(starts, uint16(s.start))
		if s.start == 0xFFFF {
			deltas = be.AppendUint16(deltas, 1) // maps 0xFFFF to glyph 0
			rangeOffsets = be.AppendUint16(rangeOffsets, 0)
			continue
		}
		delta := glyph(s.start) - uint16(s.start)
		consecutive := true
		for r := s.start; r <= s.end; r++ {
			consecutive = consecutive && glyph(r)-uint16(r) == delta
		}
		if consecutive {
			deltas = be.AppendUint16(deltas, delta)
			rangeOffsets = be.AppendUint16(rangeOffsets, 0)
			continue
		}
		// idRangeOffset is counted in bytes from its own position.
		deltas = be.AppendUint16(deltas, 0)
		rangeOffsets = be.AppendUint16(rangeOffsets, uint16(2*(n-i)+len(glyphIDs)))
		for r := s.start; r <= s.end; r++ {
			glyphIDs = be.AppendUint16(glyphIDs, glyph(r))
		}
	}
	length := 16 + 8*n + len(glyphIDs)
	if length > 0xFFFF {
		return nil, fmt.Errorf("format 4 subtable of %d bytes exceeds 65535", length)
	}
	pow := 1 // largest power of two <= n
	log := 0
	for pow*2 <= n {
		pow *= 2
		log++
	}
	sub := make([]byte, 0, length)
	for _, v := range []int{4, length, 0, 2 * n, 2 * pow, log, 2*n - 2*pow} {
		sub = be.AppendUint16(sub, uint16(v))
	}
	sub = append(sub, ends...)
	sub = append(sub, 0, 0) // reservedPad
	sub = append(append(append(append(sub, starts...), deltas...), rangeOffsets...), glyphIDs...)

	const header = 4 + 2*8
	t := []byte{0, 0, 0, 2} // version 0, two encoding records
	t = append(t, 0, 0, 0, 3, 0, 0, 0, header)
	t = append(t, 0, 3, 0, 1, 0, 0, 0, header)
	return append(t, sub...), nil
}

// Name IDs that carry the font's name: family, unique ID, full name,
// PostScript name, typographic family.
const (
	nameFamily     = 1
	nameUnique     = 3
	nameFull       = 4
	namePostScript = 6
	nameTypoFamily = 16
)

// renamed keeps the Windows Unicode (3, 1) records of a name table —
// the copyright, licence and version notices among them — and replaces
// the family name by family in the records that name the font.
func renamed(t []byte, family string) ([]byte, error) {
	if len(t) < 6 {
		return nil, errors.New("too short")
	}
	count, strings0 := int(be.Uint16(t[2:])), int(be.Uint16(t[4:]))
	type record struct {
		platform, encoding, language, id uint16
		text                             string
	}
	var recs []record
	oldFamily := ""
	for i := range count {
		r := t[6+12*i:]
		if 6+12*i+12 > len(t) {
			return nil, errors.New("truncated records")
		}
		rec := record{be.Uint16(r), be.Uint16(r[2:]), be.Uint16(r[4:]), be.Uint16(r[6:]), ""}
		size, off := int(be.Uint16(r[8:])), strings0+int(be.Uint16(r[10:]))
		if rec.platform != 3 || rec.encoding != 1 {
			continue
		}
		if off+size > len(t) || size%2 != 0 {
			return nil, fmt.Errorf("record %d out of bounds", i)
		}
		units := make([]uint16, size/2)
		for j := range units {
			units[j] = be.Uint16(t[off+2*j:])
		}
		rec.text = string(utf16.Decode(units))
		if rec.id == nameFamily && oldFamily == "" {
			oldFamily = rec.text
		}
		recs = append(recs, rec)
	}
	if oldFamily == "" {
		return nil, errors.New("no Windows family name")
	}
	noSpace := func(s string) string { return strings.ReplaceAll(s, " ", "") }
	var texts []byte
	head := be.AppendUint16(nil, 0)
	head = be.AppendUint16(head, uint16(len(recs)))
	head = be.AppendUint16(head, uint16(6+12*len(recs)))
	for _, r := range recs {
		switch r.id {
		case nameFamily, nameUnique, nameFull, nameTypoFamily:
			r.text = strings.Replace(r.text, oldFamily, family, 1)
		case namePostScript:
			r.text = strings.Replace(r.text, noSpace(oldFamily), noSpace(family), 1)
		}
		var text []byte
		for _, u := range utf16.Encode([]rune(r.text)) {
			text = be.AppendUint16(text, u)
		}
		for _, v := range []uint16{r.platform, r.encoding, r.language, r.id, uint16(len(text)), uint16(len(texts))} {
			head = be.AppendUint16(head, v)
		}
		texts = append(texts, text...)
		if len(texts) > 0xFFFF {
			return nil, errors.New("names exceed 64 KiB")
		}
	}
	return append(head, texts...), nil
}

// assemble writes the table directory (tags sorted, as the spec asks)
// and the tables, each 4-byte aligned, then sets head.checksumAdjustment.
func assemble(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	n := len(tags)
	pow, log := 1, 0
	for pow*2 <= n {
		pow *= 2
		log++
	}
	font := be.AppendUint32(nil, 0x00010000)
	for _, v := range []int{n, 16 * pow, log, 16*n - 16*pow} {
		font = be.AppendUint16(font, uint16(v))
	}
	offset := 12 + 16*n
	headAt := 0
	for _, tag := range tags {
		t := tables[tag]
		if tag == "head" {
			headAt = offset
		}
		font = append(font, tag...)
		font = be.AppendUint32(font, checksum(t))
		font = be.AppendUint32(font, uint32(offset))
		font = be.AppendUint32(font, uint32(len(t)))
		offset += (len(t) + 3) &^ 3
	}
	for _, tag := range tags {
		font = append(font, tables[tag]...)
		for len(font)%4 != 0 {
			font = append(font, 0)
		}
	}
	binary.BigEndian.PutUint32(font[headAt+8:], 0xB1B0AFBA-checksum(font))
	return font
}

// checksum is the sum of t as big-endian uint32s, zero-padded.
func checksum(t []byte) uint32 {
	var sum uint32
	for i := 0; i < len(t); i += 4 {
		var word [4]byte
		copy(word[:], t[i:])
		sum += be.Uint32(word[:])
	}
	return sum
}
