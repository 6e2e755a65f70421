package check

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadCompose loads a compose file with the compose-spec loader (schema
// validation, interpolation, normalization, consistency checks), every
// profile included. env is the only source of variables, so the result does
// not depend on the caller's environment; a variable that is neither in env
// nor given a default (${VAR:-x}, ${VAR-x}) fails the load, where Docker
// Compose would only warn and substitute an empty string.
func LoadCompose(ctx context.Context, workingDir, filename string, content []byte, env map[string]string) (*types.Project, error) {
	details := types.ConfigDetails{
		WorkingDir:  workingDir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(workingDir, filename), Content: content}},
		Environment: types.Mapping(env),
	}
	return loader.LoadWithContext(ctx, details,
		loader.WithProfiles([]string{"*"}),
		func(o *loader.Options) {
			o.SetProjectName("relance", true)
			o.Interpolate.Substitute = substituteStrictly
		})
}

// substituteStrictly is compose's substitution with one more rule: a
// variable without a value and without a default is an error.
func substituteStrictly(s string, mapping template.Mapping) (string, error) {
	return template.SubstituteWithOptions(s, mapping,
		template.WithoutLogging,
		template.WithReplacementFunction(func(sub string, m template.Mapping, cfg *template.Config) (string, error) {
			value, applied, err := template.DefaultReplacementAppliedFunc(sub, m, cfg)
			if err != nil {
				return "", err
			}
			if !applied {
				return "", fmt.Errorf("variable %s is not set and has no default", variableName(sub))
			}
			return value, nil
		}))
}

var variablePattern = regexp.MustCompile(`^\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

func variableName(sub string) string {
	if m := variablePattern.FindStringSubmatch(sub); m != nil {
		return m[1]
	}
	return sub
}
