// Package ttf reads the few parts of a TrueType font that letter needs
// (table directory, Unicode cmap, glyph metrics) and writes subsets of it:
// see Subset. It handles the glyf-flavoured TrueType fonts Relance ships,
// not CFF-flavoured OpenType or collections.
package ttf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Font is a parsed TrueType font. Tables alias the bytes passed to Parse.
type Font struct {
	Tables map[string][]byte
	// NumGlyphs is maxp.numGlyphs.
	NumGlyphs int
	// Cmap maps every Unicode code point the font covers to its glyph id.
	Cmap map[rune]uint16
}

var be = binary.BigEndian

// Parse reads the table directory and the Unicode cmap of a TrueType font.
func Parse(data []byte) (*Font, error) {
	if len(data) < 12 {
		return nil, errors.New("font too short")
	}
	if v := be.Uint32(data); v != 0x00010000 && v != 0x74727565 { // 1.0 or 'true'
		return nil, fmt.Errorf("not a TrueType font (version %#x)", v)
	}
	n := int(be.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, errors.New("truncated table directory")
	}
	f := &Font{Tables: make(map[string][]byte, n)}
	for i := range n {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off, size := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if off+size > len(data) || off < 0 || size < 0 {
			return nil, fmt.Errorf("table %q: %d bytes at %d overrun the file", tag, size, off)
		}
		f.Tables[tag] = data[off : off+size]
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"} {
		if f.Tables[tag] == nil {
			return nil, fmt.Errorf("no %q table", tag)
		}
	}
	if len(f.Tables["head"]) < 54 || len(f.Tables["hhea"]) < 36 || len(f.Tables["maxp"]) < 6 {
		return nil, errors.New("head, hhea or maxp table too short")
	}
	f.NumGlyphs = int(be.Uint16(f.Tables["maxp"][4:]))
	metrics := int(be.Uint16(f.Tables["hhea"][34:]))
	if metrics == 0 || metrics > f.NumGlyphs || len(f.Tables["hmtx"]) < 4*metrics+2*(f.NumGlyphs-metrics) {
		return nil, fmt.Errorf("hmtx too short for %d metrics and %d glyphs", metrics, f.NumGlyphs)
	}
	var err error
	if f.Cmap, err = parseCmap(f.Tables["cmap"]); err != nil {
		return nil, fmt.Errorf("cmap: %w", err)
	}
	return f, nil
}

// Glyph returns the glyph id of r, 0 (.notdef) when the font lacks it.
func (f *Font) Glyph(r rune) uint16 { return f.Cmap[r] }

// parseCmap reads the Windows Unicode subtable: format 12 (full
// repertoire) when there is one, else format 4 (BMP).
func parseCmap(t []byte) (map[rune]uint16, error) {
	if len(t) < 4 {
		return nil, errors.New("too short")
	}
	var fmt4, fmt12 []byte
	for i := range int(be.Uint16(t[2:])) {
		rec := t[4+8*i:]
		platform, encoding, off := be.Uint16(rec), be.Uint16(rec[2:]), int(be.Uint32(rec[4:]))
		if off+4 > len(t) {
			return nil, fmt.Errorf("subtable %d/%d out of bounds", platform, encoding)
		}
		switch sub := t[off:]; {
		case platform == 3 && encoding == 10 && be.Uint16(sub) == 12:
			fmt12 = sub
		case platform == 3 && encoding == 1 && be.Uint16(sub) == 4:
			fmt4 = sub
		}
	}
	switch {
	case fmt12 != nil:
		return parseFormat12(fmt12)
	case fmt4 != nil:
		return parseFormat4(fmt4)
	}
	return nil, errors.New("no Windows Unicode subtable (format 4 or 12)")
}

func parseFormat4(t []byte) (map[rune]uint16, error) {
	length := int(be.Uint16(t[2:]))
	if length > len(t) || length < 14 {
		return nil, fmt.Errorf("format 4 length %d", length)
	}
	t = t[:length]
	segs := int(be.Uint16(t[6:])) / 2
	if 16+8*segs > len(t) {
		return nil, errors.New("format 4 segments overrun the subtable")
	}
	ends, starts := t[14:], t[16+2*segs:]
	deltas, rangeOffs := t[16+4*segs:], t[16+6*segs:]
	m := make(map[rune]uint16)
	for i := range segs {
		start, end := int(be.Uint16(starts[2*i:])), int(be.Uint16(ends[2*i:]))
		delta, ro := be.Uint16(deltas[2*i:]), int(be.Uint16(rangeOffs[2*i:]))
		for c := start; c <= end && c != 0xFFFF; c++ {
			g := uint16(c) + delta
			if ro != 0 {
				// idRangeOffset counts from its own position in the table.
				at := 16 + 6*segs + 2*i + ro + 2*(c-start)
				if at+2 > len(t) {
					return nil, fmt.Errorf("format 4 glyph index of U+%04X out of bounds", c)
				}
				if g = be.Uint16(t[at:]); g != 0 {
					g += delta
				}
			}
			if g != 0 {
				m[rune(c)] = g
			}
		}
	}
	return m, nil
}

func parseFormat12(t []byte) (map[rune]uint16, error) {
	if len(t) < 16 {
		return nil, errors.New("format 12 too short")
	}
	n := int(be.Uint32(t[12:]))
	if 16+12*n > len(t) {
		return nil, errors.New("format 12 groups overrun the subtable")
	}
	m := make(map[rune]uint16)
	for i := range n {
		g := t[16+12*i:]
		start, end, gid := be.Uint32(g), be.Uint32(g[4:]), be.Uint32(g[8:])
		if end < start || end > 0x10FFFF {
			return nil, fmt.Errorf("format 12 group %d: bad range %#x-%#x", i, start, end)
		}
		for c := start; c <= end; c++ {
			if id := gid + (c - start); id != 0 && id <= 0xFFFF {
				m[rune(c)] = uint16(id)
			}
		}
	}
	return m, nil
}

// glyphData returns the glyf bytes of glyph gid (empty for blank glyphs).
func (f *Font) glyphData(gid int) ([]byte, error) {
	loca, glyf := f.Tables["loca"], f.Tables["glyf"]
	var start, end int
	if be.Uint16(f.Tables["head"][50:]) == 0 { // short offsets, stored halved
		if 2*gid+4 > len(loca) {
			return nil, fmt.Errorf("glyph %d beyond loca", gid)
		}
		start, end = 2*int(be.Uint16(loca[2*gid:])), 2*int(be.Uint16(loca[2*gid+2:]))
	} else {
		if 4*gid+8 > len(loca) {
			return nil, fmt.Errorf("glyph %d beyond loca", gid)
		}
		start, end = int(be.Uint32(loca[4*gid:])), int(be.Uint32(loca[4*gid+4:]))
	}
	if start > end || end > len(glyf) {
		return nil, fmt.Errorf("glyph %d: bad loca range %d-%d", gid, start, end)
	}
	return glyf[start:end], nil
}

// Advance returns the advance width and left side bearing of glyph gid,
// in font units. Glyphs past hhea.numberOfHMetrics share the last advance.
func (f *Font) Advance(gid int) (advance uint16, lsb int16) {
	hmtx := f.Tables["hmtx"]
	n := int(be.Uint16(f.Tables["hhea"][34:]))
	if gid < n {
		return be.Uint16(hmtx[4*gid:]), int16(be.Uint16(hmtx[4*gid+2:]))
	}
	return be.Uint16(hmtx[4*(n-1):]), int16(be.Uint16(hmtx[4*n+2*(gid-n):]))
}
