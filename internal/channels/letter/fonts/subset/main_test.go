package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed fonts must be what the generator writes from fonts/src.
func TestCommittedFontsAreUpToDate(t *testing.T) {
	dir := t.TempDir()
	for _, f := range fonts {
		if err := write(filepath.Join("..", "src", f.in), filepath.Join(dir, f.out)); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, f.out))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("..", f.out))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("fonts/%s is stale: run go generate ./internal/channels/letter/", f.out)
		}
	}
}
