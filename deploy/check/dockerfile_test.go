package check

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// stage is one FROM block of deploy/Dockerfile.
type stage struct {
	base, name string
	lines      []string
}

func dockerfile(t *testing.T) map[string]stage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	from := regexp.MustCompile(`(?i)^FROM\s+(\S+)\s+AS\s+(\S+)$`)
	stages := map[string]stage{}
	current := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if m := from.FindStringSubmatch(line); m != nil {
			current = m[2]
			stages[current] = stage{base: m[1], name: current}
			continue
		}
		if current != "" && line != "" && !strings.HasPrefix(line, "#") {
			s := stages[current]
			s.lines = append(s.lines, line)
			stages[current] = s
		}
	}
	return stages
}

func (s stage) has(prefix string) bool {
	return slices.ContainsFunc(s.lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
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
	stages := dockerfile(t)
	build, runtime := stages["build"], stages["runtime"]
	if !build.has("ENV CGO_ENABLED=0") {
		t.Error("build stage: CGO_ENABLED=0 missing (the runtime image has no libc)")
	}
	if !strings.HasSuffix(runtime.base, ":nonroot") && !strings.Contains(runtime.base, "RUNTIME_IMAGE") {
		t.Errorf("runtime stage based on %s", runtime.base)
	}
	if !runtime.has("USER 65532") {
		t.Error("runtime stage: USER 65532 missing")
	}
	for _, name := range makefileServices(t) {
		s, ok := stages[name]
		if !ok {
			t.Errorf("make images builds %s, deploy/Dockerfile has no such target", name)
			continue
		}
		if s.base != "runtime" {
			t.Errorf("target %s is based on %s, not the non-root runtime stage", name, s.base)
		}
		if !s.has("COPY --from=build /out/"+name+" /relance") || !s.has(`ENTRYPOINT ["/relance"]`) {
			t.Errorf("target %s does not run its own binary /out/%s", name, name)
		}
		if !slices.ContainsFunc(build.lines, func(l string) bool { return strings.Contains(l, "./services/"+name) }) {
			t.Errorf("build stage does not build ./services/%s", name)
		}
	}
}

// A service listens on the same port in the image, in docker-compose.yml
// and in the chart's defaults.
func TestPortsAgreeAcrossImagesComposeAndChart(t *testing.T) {
	stages := dockerfile(t)
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
		var image string
		for _, l := range stages[name].lines {
			if p, ok := strings.CutPrefix(l, "ENV HTTP_ADDR=:"); ok {
				image = p
			}
		}
		compose := strings.TrimPrefix(deref(project.Services[name].Environment["HTTP_ADDR"]), ":")
		if image == "" || image != compose || atoi(t, image) != chartPort(name) {
			t.Errorf("%s: port %q in the image, %q in compose, %d in the chart", name, image, compose, chartPort(name))
		}
	}
}
