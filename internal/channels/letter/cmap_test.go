package letter

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"
)

// Every object the cross-reference table lists must start where it says,
// and startxref must point at the table: readers that trust the table
// (most do) find nothing otherwise.
func TestRewrittenPDFKeepsItsCrossReferencesExact(t *testing.T) {
	b, err := Render(formalNotice(t, "fr", true))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, wideRange) {
		t.Fatal("the wide ToUnicode range is still there")
	}
	if n := bytes.Count(b, []byte("<2000> <20FF> <2000>")); n != 2 {
		t.Errorf("%d conforming ranges covering € (U+20AC), want one per font (2)", n)
	}
	s := bytes.LastIndex(b, []byte("startxref\n"))
	var xrefAt int
	fmt.Sscanf(string(b[s+len("startxref\n"):]), "%d", &xrefAt)
	if !bytes.HasPrefix(b[xrefAt:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the xref table", xrefAt)
	}
	p := xrefAt + len("xref\n")
	var first, count int
	fmt.Sscanf(string(b[p:]), "%d %d", &first, &count)
	p += bytes.IndexByte(b[p:], '\n') + 1
	checked := 0
	for i := range count {
		entry := b[p+20*i : p+20*i+20]
		if entry[17] != 'n' {
			continue
		}
		off, _ := strconv.Atoi(string(entry[:10]))
		if want := fmt.Sprintf("%d 0 obj", first+i); !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Errorf("object %d: offset %d holds %q", first+i, off, b[off:min(off+12, len(b))])
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d objects checked", checked)
	}
}

func BenchmarkRenderFormalNotice(b *testing.B) {
	t := &testing.T{}
	doc := formalNotice(t, "fr", true)
	var size int
	for b.Loop() {
		pdf, err := Render(doc)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}
