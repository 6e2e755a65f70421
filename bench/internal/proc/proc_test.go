package proc

import (
	"os"
	"testing"
)

func TestRSSOfThisProcess(t *testing.T) {
	rss, err := RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 || rss > 1<<34 {
		t.Fatalf("RSS of a Go test binary = %d bytes, not plausible", rss)
	}
	if _, err := RSS(-1); err == nil {
		t.Fatal("RSS of no process must fail")
	}
}
