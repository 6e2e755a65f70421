package check

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"sigs.k8s.io/yaml"
)

func dockerfileStages(t *testing.T) map[string]instructions.Stage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages, err := ParseDockerfile(data)
	if err != nil {
		t.Fatalf("deploy/Dockerfile: %v", err)
	}
	byName := map[string]instructions.Stage{}
	for _, s := range stages {
		byName[s.Name] = s
	}
	return byName
}

// commands returns the stage's instructions of type C.
func commands[C instructions.Command](s instructions.Stage) []C {
	var out []C
	for _, c := range s.Commands {
		if typed, ok := c.(C); ok {
			out = append(out, typed)
		}
	}
	return out
}

func env(s instructions.Stage, key string) string {
	value := ""
	for _, e := range commands[*instructions.EnvCommand](s) {
		for _, kv := range e.Env {
			if kv.Key == key {
				value = kv.Value
			}
		}
	}
	return value
}

// makefileServices is the SERVICES list `make images` builds.
func makefileServices(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^SERVICES\s*:=\s*(.+)$`).FindStringSubmatch(string(data))
	if m == nil {
		t.Fatal("Makefile: no SERVICES := line")
	}
	return strings.Fields(m[1])
}

func TestDockerfileBuildsStaticNonRootImages(t *testing.T) {
	stages := dockerfileStages(t)
	build, runtime := stages["build"], stages["runtime"]
	if env(build, "CGO_ENABLED") != "0" {
		t.Error("build stage: CGO_ENABLED=0 missing (the runtime image has no libc)")
	}
	var buildCmd string
	for _, r := range commands[*instructions.RunCommand](build) {
		buildCmd += strings.Join(r.CmdLine, " ")
	}
	users := commands[*instructions.UserCommand](runtime)
	if len(users) == 0 || !strings.HasPrefix(users[len(users)-1].User, "65532") {
		t.Errorf("runtime stage: USER %v, want 65532 (nonroot)", users)
	}
	for _, name := range makefileServices(t) {
		s, ok := stages[name]
		if !ok {
			t.Errorf("make images builds %s, deploy/Dockerfile has no such target", name)
			continue
		}
		if s.BaseName != "runtime" {
			t.Errorf("target %s is based on %s, not the non-root runtime stage", name, s.BaseName)
		}
		if slices.ContainsFunc(commands[*instructions.UserCommand](s), func(u *instructions.UserCommand) bool { return !strings.HasPrefix(u.User, "65532") }) {
			t.Errorf("target %s switches to another user", name)
		}
		copies := commands[*instructions.CopyCommand](s)
		entry := commands[*instructions.EntrypointCommand](s)
		if !slices.ContainsFunc(copies, func(c *instructions.CopyCommand) bool {
			return c.From == "build" && slices.Equal(c.SourcePaths, []string{"/out/" + name}) && c.DestPath == "/relance"
		}) || len(entry) != 1 || !slices.Equal(entry[0].CmdLine, []string{"/relance"}) {
			t.Errorf("target %s does not run its own binary /out/%s as /relance", name, name)
		}
		if !strings.Contains(buildCmd, "./services/"+name+" ") && !strings.HasSuffix(buildCmd, "./services/"+name) {
			t.Errorf("build stage does not build ./services/%s", name)
		}
	}
}

func TestDockerfileParserRejectsBrokenFiles(t *testing.T) {
	valid := "FROM golang:1.26 AS build\nRUN go version\nFROM scratch AS app\nCOPY --from=build /usr/local/go/bin/go /go\n"
	if _, err := ParseDockerfile([]byte(valid)); err != nil {
		t.Fatalf("valid Dockerfile rejected: %v", err)
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown instruction", "FROM scratch\nCOPPY a b\n", "coppy"},
		{"unknown flag", "FROM scratch\nCOPY --form=build a b\n", "form"},
		{"copy from a later stage", "FROM scratch AS app\nCOPY --from=build /a /a\nFROM golang:1.26 AS build\n", "--from=build"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDockerfile([]byte(tc.doc))
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// A service listens on the same port in the image, in docker-compose.yml
// and in the chart's defaults.
func TestPortsAgreeAcrossImagesComposeAndChart(t *testing.T) {
	stages := dockerfileStages(t)
	project := loadRepoCompose(t)
	data, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Services map[string]struct {
			Port int `json:"port"`
		} `json:"services"`
		Worker struct {
			Port int `json:"port"`
		} `json:"worker"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	chartPort := func(name string) int {
		if name == "worker" {
			return values.Worker.Port
		}
		return values.Services[name].Port
	}
	for _, name := range relanceServices {
		image := strings.TrimPrefix(env(stages[name], "HTTP_ADDR"), ":")
		compose := strings.TrimPrefix(deref(project.Services[name].Environment["HTTP_ADDR"]), ":")
		if image == "" || image != compose || atoi(t, image) != chartPort(name) {
			t.Errorf("%s: port %q in the image, %q in compose, %d in the chart", name, image, compose, chartPort(name))
		}
	}
}
