package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// envRead matches the reads of a setting through Env, e.g. env.Int("NAME", …).
var envRead = regexp.MustCompile(`\b\w+\.(?:String|Required|Int|Bool|Duration|URL|List|OneOf)\("([A-Z][A-Z0-9_]+)"`)

// TestEverySettingIsDocumented keeps the README's configuration reference
// complete: a setting read anywhere in the code must appear in it.
func TestEverySettingIsDocumented(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, dir := range []string{"services", "activities", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range envRead.FindAllSubmatch(src, -1) {
				names[string(m[1])] = path
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d settings: the pattern no longer matches how settings are read", len(names))
	}
	for name, where := range names {
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("%s (read in %s) is missing from README.md's configuration reference", name, where)
		}
	}
}
