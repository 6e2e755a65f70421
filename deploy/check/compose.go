package check

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"

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

// ComposeProblems lists what makes a loaded project unfit to `docker compose
// up` unattended: a service with neither image nor build; a long-running
// service (restart not "no") without a health check; a depends_on target
// that does not exist, that is waited on as healthy without a health check,
// or as completed while it is a long-running service.
func ComposeProblems(p *types.Project) []string {
	var problems []string
	all := map[string]types.ServiceConfig{}
	for name, s := range p.Services {
		all[name] = s
	}
	for name, s := range p.DisabledServices {
		all[name] = s
	}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		s := all[name]
		if s.Image == "" && s.Build == nil {
			problems = append(problems, fmt.Sprintf("%s: neither image nor build", name))
		}
		if !isOneShot(s) && !hasHealthcheck(s) {
			problems = append(problems, fmt.Sprintf("%s: long-running service without a healthcheck", name))
		}
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			target, ok := all[dep]
			switch cond := s.DependsOn[dep].Condition; {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: depends on %s, which is not defined", name, dep))
			case cond == types.ServiceConditionHealthy && !hasHealthcheck(target):
				problems = append(problems, fmt.Sprintf("%s: waits for %s to be healthy, which has no healthcheck", name, dep))
			case cond == types.ServiceConditionCompletedSuccessfully && !isOneShot(target):
				problems = append(problems, fmt.Sprintf("%s: waits for %s to complete, which is long-running (set restart: \"no\")", name, dep))
			}
		}
	}
	return problems
}

func isOneShot(s types.ServiceConfig) bool { return s.Restart == types.RestartPolicyNo }

func hasHealthcheck(s types.ServiceConfig) bool {
	return s.HealthCheck != nil && !s.HealthCheck.Disable && len(s.HealthCheck.Test) > 0 && s.HealthCheck.Test[0] != "NONE"
}
