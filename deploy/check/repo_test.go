package check

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the checkout this module sits in (deploy/check).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from deploy/check: %v", err)
	}
	return root
}

// helmBin is bin/helm, built by `make bin/helm` from tools/helm (pinned).
// RELANCE_HELM_BIN overrides it.
func helmBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("RELANCE_HELM_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot(t), "bin", "helm")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("helm binary %s: %v (build it with `make bin/helm`)", bin, err)
	}
	return bin
}

// searchAttributes returns "Name=Type" for every custom search attribute,
// sorted, as the migrate command prints them: the one source of truth is
// temporalx.SearchAttributeTypes in the application module.
// RELANCE_MIGRATE_BIN names a built migrate binary; otherwise it runs
// `go run ./services/migrate` in the repository.
func searchAttributes(t *testing.T) []string {
	t.Helper()
	var cmd *exec.Cmd
	if bin := os.Getenv("RELANCE_MIGRATE_BIN"); bin != "" {
		cmd = exec.Command(bin, "-print-search-attributes")
	} else {
		cmd = exec.Command("go", "run", "./services/migrate", "-print-search-attributes")
		cmd.Dir = repoRoot(t)
		// This module runs with GOWORK=off; the application builds in its workspace.
		cmd.Env = append(os.Environ(), "GOWORK=")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
	}
	var pairs []string
	for line := range strings.Lines(string(out)) {
		name, typ, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			t.Fatalf("migrate -print-search-attributes: unexpected line %q", line)
		}
		pairs = append(pairs, name+"="+typ)
	}
	if len(pairs) == 0 {
		t.Fatal("migrate -print-search-attributes printed nothing")
	}
	slices.Sort(pairs)
	return pairs
}

// sortedFields splits a "A=x B=y" list on white space and sorts it.
func sortedFields(s string) []string {
	f := strings.Fields(s)
	slices.Sort(f)
	return f
}
