package letter

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// fpdf maps the font's codes (which are Unicode code points) back to text
// with one range, <0000> <FFFF>. ISO 32000-1 §9.10.3 requires a range to
// vary only in its last byte, and readers that follow the rule decode €
// (U+20AC) as ¬ (U+00AC) and lose every character above U+00FF. So each
// identity range is rewritten as 256 conforming ranges, and the stream
// length and cross-reference offsets are moved to match.
var wideRange = []byte("1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange")

var conformingRanges = func() []byte {
	var b strings.Builder
	for start := 0; start < 256; start += 100 {
		n := min(100, 256-start)
		fmt.Fprintf(&b, "%d beginbfrange\n", n)
		for hi := start; hi < start+n; hi++ {
			fmt.Fprintf(&b, "<%02X00> <%02XFF> <%02X00>\n", hi, hi, hi)
		}
		b.WriteString("endbfrange")
		if start+n < 256 {
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}()

// conformToUnicode rewrites every wide identity range of pdf.
func conformToUnicode(pdf []byte) ([]byte, error) {
	for {
		at := bytes.Index(pdf, wideRange)
		if at < 0 {
			return pdf, nil
		}
		var err error
		if pdf, err = replaceInStream(pdf, at, len(wideRange), conformingRanges); err != nil {
			return nil, fmt.Errorf("conform ToUnicode map: %w", err)
		}
	}
}

// replaceInStream replaces n bytes at `at`, inside an uncompressed stream
// whose dictionary is "<</Length N>>", then fixes the length, the xref
// offsets of the objects after it and startxref.
func replaceInStream(pdf []byte, at, n int, repl []byte) ([]byte, error) {
	dict := bytes.LastIndex(pdf[:at], []byte("<</Length "))
	if dict < 0 {
		return nil, fmt.Errorf("no stream length before offset %d", at)
	}
	digitsStart := dict + len("<</Length ")
	digitsEnd := digitsStart + bytes.IndexByte(pdf[digitsStart:], '>')
	oldLen, err := strconv.Atoi(string(pdf[digitsStart:digitsEnd]))
	if err != nil || digitsEnd < digitsStart {
		return nil, fmt.Errorf("stream length at offset %d: %q", digitsStart, pdf[digitsStart:digitsEnd])
	}
	newLen := strconv.Itoa(oldLen + len(repl) - n)
	shift := len(newLen) - (digitsEnd - digitsStart) + len(repl) - n

	var out bytes.Buffer
	out.Grow(len(pdf) + shift)
	out.Write(pdf[:digitsStart])
	out.WriteString(newLen)
	out.Write(pdf[digitsEnd:at])
	out.Write(repl)
	out.Write(pdf[at+n:])
	b := out.Bytes()

	// Cross-reference table: "xref\n0 K\n" then K entries of 20 bytes
	// starting with a 10-digit offset.
	x := bytes.LastIndex(b, []byte("\nxref\n"))
	if x < 0 {
		return nil, fmt.Errorf("no xref table")
	}
	p := x + len("\nxref\n")
	eol := bytes.IndexByte(b[p:], '\n')
	var first, count int
	if _, err := fmt.Sscanf(string(b[p:p+eol]), "%d %d", &first, &count); err != nil {
		return nil, fmt.Errorf("xref header: %w", err)
	}
	p += eol + 1
	for i := range count {
		entry := b[p+20*i : p+20*i+20]
		if entry[17] != 'n' {
			continue
		}
		off, err := strconv.Atoi(string(entry[:10]))
		if err != nil {
			return nil, fmt.Errorf("xref entry %d: %w", i, err)
		}
		if off > dict {
			copy(entry[:10], fmt.Sprintf("%010d", off+shift))
		}
	}
	s := bytes.LastIndex(b, []byte("startxref\n"))
	if s < 0 {
		return nil, fmt.Errorf("no startxref")
	}
	numStart := s + len("startxref\n")
	numEnd := numStart + bytes.IndexByte(b[numStart:], '\n')
	xrefAt, err := strconv.Atoi(string(b[numStart:numEnd]))
	if err != nil {
		return nil, fmt.Errorf("startxref: %w", err)
	}
	var fixed bytes.Buffer
	fixed.Write(b[:numStart])
	fixed.WriteString(strconv.Itoa(xrefAt + shift))
	fixed.Write(b[numEnd:])
	return fixed.Bytes(), nil
}
