package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
)

// fakeTemporal is a stand-in for the Temporal CLI of the admin-tools image:
// it logs every call and answers like a server that has the namespace when
// NS_EXISTS is set and the attributes listed in $EXISTING.
const fakeTemporal = `#!/bin/sh
echo "$*" >> "$CALLS"
case "$1 $2 $3" in
  "operator cluster health") echo "SERVING" ;;
  "operator namespace describe") [ -n "$NS_EXISTS" ] ;;
  "operator search-attribute list") printf '  Name  Type\n'; cat "$EXISTING" ;;
  *) exit 0 ;;
esac
`

type fakeCLI struct {
	dir, calls, existing string
}

func newFakeCLI(t *testing.T, existing string) fakeCLI {
	t.Helper()
	dir := t.TempDir()
	f := fakeCLI{dir: dir, calls: filepath.Join(dir, "calls"), existing: filepath.Join(dir, "existing")}
	if err := os.WriteFile(filepath.Join(dir, "temporal"), []byte(fakeTemporal), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.existing, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// run runs a POSIX sh script with the fake CLI first on PATH.
func (f fakeCLI) run(t *testing.T, script []string, env ...string) []string {
	t.Helper()
	cmd := exec.Command("/bin/sh", script...)
	cmd.Env = append([]string{"PATH=" + f.dir + ":/usr/bin:/bin", "CALLS=" + f.calls, "EXISTING=" + f.existing}, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", script, err, out)
	}
	data, err := os.ReadFile(f.calls)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// created returns "Name=Type" of each `search-attribute create` call.
func created(calls []string) []string {
	var out []string
	for _, c := range calls {
		if !strings.HasPrefix(c, "operator search-attribute create") {
			continue
		}
		f := strings.Fields(c)
		name, typ := "", ""
		for i := range len(f) - 1 {
			switch f[i] {
			case "--name":
				name = f[i+1]
			case "--type":
				typ = f[i+1]
			}
		}
		out = append(out, name+"="+typ)
	}
	slices.Sort(out)
	return out
}

func TestComposeSetupCreatesNamespaceAndMissingAttributes(t *testing.T) {
	p := loadRepoCompose(t)
	setup := p.Services["temporal-setup"]
	attrs := deref(setup.Environment["RELANCE_SEARCH_ATTRIBUTES"])
	script := filepath.Join(repoRoot(t), "deploy", "compose", "temporal-setup.sh")
	want := slices.DeleteFunc(searchAttributes(t), func(p string) bool { return p == "CustomerId=Keyword" })

	fresh := newFakeCLI(t, "  CustomerId  Keyword\n")
	calls := fresh.run(t, []string{script}, "TEMPORAL_ADDRESS=temporal:7233", "TEMPORAL_NAMESPACE=default",
		"RELANCE_SEARCH_ATTRIBUTES="+attrs)
	if got := created(calls); !slices.Equal(got, want) {
		t.Errorf("created %v, want every attribute but the existing CustomerId: %v", got, want)
	}
	if !slices.ContainsFunc(calls, func(c string) bool {
		return strings.HasPrefix(c, "operator namespace create") && strings.Contains(c, "--namespace default")
	}) {
		t.Errorf("namespace not created on a fresh server: %v", calls)
	}

	again := newFakeCLI(t, strings.ReplaceAll(strings.Join(searchAttributes(t), "\n"), "=", "  ")+"\n")
	calls = again.run(t, []string{script}, "TEMPORAL_ADDRESS=temporal:7233", "TEMPORAL_NAMESPACE=default",
		"RELANCE_SEARCH_ATTRIBUTES="+attrs, "NS_EXISTS=1")
	if got := created(calls); len(got) != 0 {
		t.Errorf("second run created %v again", got)
	}
	if slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "operator namespace create") }) {
		t.Error("second run created the namespace again")
	}
}

func TestChartSearchAttributeJobCreatesMissingAttributes(t *testing.T) {
	chart := chartDir(t)
	r := index(t, render(t, chart, "-f", filepath.Join(chart, "ci", "all-on-values.yaml")))
	job := r.jobs["search-attributes"]
	if job == nil {
		t.Fatal("no search attribute Job")
	}
	c := job.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 2 || c.Command[0] != "/bin/sh" || len(c.Args) != 1 {
		t.Fatalf("Job runs %v %v, want /bin/sh -ec SCRIPT", c.Command, c.Args)
	}
	fake := newFakeCLI(t, "  Segment  Keyword\n")
	calls := fake.run(t, []string{c.Command[1], c.Args[0]}, jobEnv(job)...)
	want := slices.DeleteFunc(searchAttributes(t), func(p string) bool { return p == "Segment=Keyword" })
	if got := created(calls); !slices.Equal(got, want) {
		t.Errorf("created %v, want every attribute but the existing Segment: %v", got, want)
	}
}

// jobEnv is the literal environment of the Job's container.
func jobEnv(job *batchv1.Job) []string {
	var env []string
	for _, e := range job.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom == nil {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	return env
}

// fakeSQLTool stands in for temporal-sql-tool; `create` fails like it does
// on an existing database when CREATE_FAILS is set. nc always connects.
const fakeSQLTool = `#!/bin/sh
echo "$*" >> "$CALLS"
case "$*" in
  *" create") [ -z "$CREATE_FAILS" ] ;;
  *) exit 0 ;;
esac
`

func TestComposeSchemaJobSetsUpBothDatabasesIdempotently(t *testing.T) {
	p := loadRepoCompose(t)
	schema := p.Services["temporal-schema"]
	var env []string
	for k, v := range schema.Environment {
		env = append(env, k+"="+deref(v))
	}
	script := filepath.Join(repoRoot(t), "deploy", "compose", "temporal-schema.sh")
	for _, existing := range []bool{false, true} {
		fake := newFakeCLI(t, "")
		for name, body := range map[string]string{"temporal-sql-tool": fakeSQLTool, "nc": "#!/bin/sh\nexit 0\n"} {
			if err := os.WriteFile(filepath.Join(fake.dir, name), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		runEnv := env
		if existing {
			runEnv = append(slices.Clone(env), "CREATE_FAILS=1")
		}
		calls := fake.run(t, []string{script}, runEnv...)
		for _, db := range []struct{ name, dir string }{{"temporal", "temporal"}, {"temporal_visibility", "visibility"}} {
			var steps []string
			for _, c := range calls {
				if !strings.Contains(c, "--db "+db.name+" ") {
					continue
				}
				if !strings.Contains(c, "--plugin postgres12") || !strings.Contains(c, "--ep postgres") {
					t.Errorf("%s: %q does not target the compose Postgres with the postgres12 plugin", db.name, c)
				}
				_, step, _ := strings.Cut(c, "--db "+db.name+" ")
				steps = append(steps, step)
			}
			want := []string{"create", "setup-schema -v 0.0", "update-schema -d /etc/temporal/schema/postgresql/v12/" + db.dir + "/versioned"}
			if !slices.Equal(steps, want) {
				t.Errorf("existing=%v, %s: steps %q, want %q", existing, db.name, steps, want)
			}
		}
	}
}
