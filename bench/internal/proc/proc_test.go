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

func TestCPUOfThisProcessGrows(t *testing.T) {
	before, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for i := range 200_000_000 {
		x += i % 7
	}
	after, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after <= before || x == 0 {
		t.Fatalf("CPU did not grow over a busy loop: %s then %s", before, after)
	}
}
