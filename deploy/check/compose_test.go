package check

import (
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
)

// relanceServices are built from deploy/Dockerfile, one target each.
var relanceServices = []string{"api", "disputes", "events", "payments", "portal", "worker"}

// loadRepoCompose loads docker-compose.yml with the project's environment:
// the .env file beside it when there is one, never the caller's variables.
func loadRepoCompose(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	content, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	if dotEnv := filepath.Join(root, ".env"); fileExists(dotEnv) {
		if env, err = dotenv.Read(dotEnv); err != nil {
			t.Fatalf(".env: %v", err)
		}
	}
	p, err := LoadCompose(t.Context(), root, "docker-compose.yml", content, env)
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return p
}

func TestComposeFileIsComplete(t *testing.T) {
	p := loadRepoCompose(t)
	if problems := ComposeProblems(p); len(problems) > 0 {
		t.Fatalf("docker-compose.yml:\n  %s", strings.Join(problems, "\n  "))
	}
	want := []string{"api", "console", "demo", "disputes", "events", "migrate", "minio", "minio-setup", "payments", "portal", "postgres",
		"temporal", "temporal-schema", "temporal-setup", "temporal-ui", "worker"}
	if got := slices.Sorted(maps.Keys(allServices(p))); !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
}

// The console is built from its own target, waits for a healthy API and
// reaches it by its service name.
func TestComposeRunsTheConsoleAfterTheAPI(t *testing.T) {
	p := loadRepoCompose(t)
	s := p.Services["console"]
	if _, ok := dockerfileStages(t)["console"]; !ok || s.Build == nil || s.Build.Target != "console" {
		t.Fatalf("console: build %+v, want target console of deploy/Dockerfile", s.Build)
	}
	if got := s.DependsOn["api"].Condition; got != types.ServiceConditionHealthy {
		t.Errorf("console waits for the API %q, want service_healthy", got)
	}
	if u := s.Environment["API_URL"]; u == nil || *u != "http://api:8080" {
		t.Errorf("console API_URL = %v", u)
	}
	if v := s.Environment["CONSOLE_SECRET"]; v == nil || len(*v) < 32 {
		t.Error("console: CONSOLE_SECRET must have a default of 32 characters or more")
	}
}

func TestComposeRunsRelanceAfterMigrationsAndTemporalSetup(t *testing.T) {
	p := loadRepoCompose(t)
	stages := dockerfileStages(t)
	for _, name := range append(slices.Clone(relanceServices), "migrate") {
		s := p.Services[name]
		if s.Build == nil || s.Build.Target != name || filepath.ToSlash(s.Build.Dockerfile) != "deploy/Dockerfile" {
			t.Errorf("%s: build %+v, want target %s of deploy/Dockerfile", name, s.Build, name)
		}
		if _, ok := stages[name]; !ok {
			t.Errorf("%s: deploy/Dockerfile has no stage %s", name, name)
		}
		if !strings.HasSuffix(strings.Split(s.Image, ":")[0], "/"+name) {
			t.Errorf("%s: image %s is not the %s image `make images` builds", name, s.Image, name)
		}
		if s.Environment["DATABASE_URL"] == nil || s.Environment["TEMPORAL_ADDRESS"] == nil {
			t.Errorf("%s: DATABASE_URL and TEMPORAL_ADDRESS must be set", name)
		}
	}
	if got := p.Services["migrate"].DependsOn["postgres"].Condition; got != types.ServiceConditionHealthy {
		t.Errorf("migrate waits for postgres %q, want service_healthy", got)
	}
	for _, name := range relanceServices {
		s := p.Services[name]
		for _, dep := range []string{"migrate", "temporal-setup"} {
			if got := s.DependsOn[dep].Condition; got != types.ServiceConditionCompletedSuccessfully {
				t.Errorf("%s: waits for %s %q, want service_completed_successfully", name, dep, got)
			}
		}
		// One port everywhere: where it listens, what its health check
		// asks, what the host publishes.
		addr := deref(s.Environment["HTTP_ADDR"])
		_, port, ok := strings.Cut(addr, ":")
		if !ok || port == "" {
			t.Errorf("%s: HTTP_ADDR %q has no port", name, addr)
			continue
		}
		test := s.HealthCheck.Test
		if len(test) != 3 || test[0] != "CMD" || test[1] != "/probe" {
			t.Errorf("%s: healthcheck %v, want [CMD /probe URL] (the images have no shell)", name, test)
			continue
		}
		u, err := url.Parse(test[2])
		if err != nil || u.Port() != port || u.Path != "/readyz" {
			t.Errorf("%s: healthcheck URL %s, want /readyz on port %s", name, test[2], port)
		}
		if len(s.Ports) != 1 || s.Ports[0].Target != uint32(atoi(t, port)) {
			t.Errorf("%s: publishes %+v, want container port %s", name, s.Ports, port)
		}
	}
}

func TestComposeRegistersEverySearchAttribute(t *testing.T) {
	p := loadRepoCompose(t)
	setup := p.Services["temporal-setup"]
	got := sortedFields(deref(setup.Environment["RELANCE_SEARCH_ATTRIBUTES"]))
	if want := searchAttributes(t); !slices.Equal(got, want) {
		t.Errorf("temporal-setup registers %v, migrate -print-search-attributes says %v", got, want)
	}
	if got := setup.DependsOn["temporal"].Condition; got != types.ServiceConditionHealthy {
		t.Errorf("temporal-setup waits for temporal %q, want service_healthy", got)
	}
	if got := p.Services["temporal"].DependsOn["temporal-schema"].Condition; got != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("temporal waits for temporal-schema %q, want service_completed_successfully", got)
	}
}

func TestComposeMountsExistingFiles(t *testing.T) {
	p := loadRepoCompose(t)
	for name, s := range allServices(p) {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if !fileExists(v.Source) {
				t.Errorf("%s: bind mount source %s does not exist", name, v.Source)
			}
			// An entrypoint script must come from a mounted folder that has it.
			for _, arg := range s.Entrypoint {
				if rel, ok := strings.CutPrefix(arg, v.Target+"/"); ok && !fileExists(filepath.Join(v.Source, rel)) {
					t.Errorf("%s: entrypoint %s is not in %s", name, arg, v.Source)
				}
			}
		}
	}
}

// The loader must fail where Docker Compose would silently substitute an
// empty string, and the problem list must catch an unattended-up hazard.
func TestComposeCheckerRejectsBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	load := func(yaml string, env map[string]string) (*types.Project, error) {
		return LoadCompose(t.Context(), dir, "compose.yml", []byte(yaml), env)
	}
	const undefined = "services:\n  db:\n    image: postgres:${RELANCE_UNDEFINED_TAG}\n"
	if _, err := load(undefined, nil); err == nil || !strings.Contains(err.Error(), "RELANCE_UNDEFINED_TAG") {
		t.Errorf("undefined variable: got %v, want an error naming it", err)
	}
	if p, err := load(undefined, map[string]string{"RELANCE_UNDEFINED_TAG": "16"}); err != nil || p.Services["db"].Image != "postgres:16" {
		t.Errorf("defined variable: got %v", err)
	}
	if p, err := load("services:\n  db:\n    image: postgres:${TAG:-16}\n", nil); err != nil || p.Services["db"].Image != "postgres:16" {
		t.Errorf("variable with a default: got %v", err)
	}
	if _, err := load("services:\n  db:\n    image: postgres:${TAG:?set TAG}\n", nil); err == nil || !strings.Contains(err.Error(), "set TAG") {
		t.Errorf("required variable: got %v", err)
	}
	if _, err := load("services:\n  db:\n    image: postgres\n    depends_on: [nowhere]\n", nil); err == nil {
		t.Error("depends_on an undefined service: loaded")
	}
	if _, err := load("services:\n  db:\n    image: postgres\n    restart_policy: always\n", nil); err == nil {
		t.Error("unknown service field: loaded")
	}
	if _, err := load("services:\n  db:\n    restart: always\n", nil); err == nil {
		t.Error("service without image or build: loaded")
	}

	p, err := load(`
services:
  db:
    image: postgres
  setup:
    image: busybox
    restart: "no"
    depends_on:
      db: {condition: service_healthy}
  app:
    build: {context: .}
    restart: unless-stopped
    depends_on:
      db: {condition: service_completed_successfully}
      setup: {condition: service_completed_successfully}
    healthcheck:
      test: ["CMD", "/probe", "http://127.0.0.1:8080/readyz"]
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The loader itself refuses a service without image or build; the rule
	// is checked on a project assembled by hand.
	p.Services["nothing"] = types.ServiceConfig{Name: "nothing", Restart: types.RestartPolicyNo}
	want := []string{
		"app: waits for db to complete, which is long-running (set restart: \"no\")",
		"db: long-running service without a healthcheck",
		"nothing: neither image nor build",
		"setup: waits for db to be healthy, which has no healthcheck",
	}
	if got := ComposeProblems(p); !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func allServices(p *types.Project) map[string]types.ServiceConfig {
	all := maps.Clone(p.Services)
	maps.Copy(all, p.DisabledServices)
	return all
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("port %q: %v", s, err)
	}
	return n
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
