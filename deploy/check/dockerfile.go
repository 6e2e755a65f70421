package check

import (
	"bytes"
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// ParseDockerfile parses a Dockerfile with BuildKit's own parser into its
// stages, as `docker build` would before running anything: an unknown
// instruction, a bad flag, or a COPY --from naming no earlier stage fails.
func ParseDockerfile(data []byte) ([]instructions.Stage, error) {
	ast, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile: %w", err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range stages {
		for _, cmd := range s.Commands {
			if c, ok := cmd.(*instructions.CopyCommand); ok && c.From != "" && !seen[c.From] {
				return nil, fmt.Errorf("stage %s: COPY --from=%s names no earlier stage", s.Name, c.From)
			}
		}
		seen[s.Name] = true
	}
	return stages, nil
}
