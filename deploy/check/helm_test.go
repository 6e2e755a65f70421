package check

import (
	"bytes"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// kubeVersion is the cluster version `helm template` renders for (the chart
// requires >= 1.25; helm's offline default is older).
const kubeVersion = "1.33.0"

// The value sets the chart is checked with.
var valueSets = []struct {
	name  string
	files []string // relative to the chart
	// existingSecret is the Secret the release must reference instead of its own.
	existingSecret string
	allOn          bool
}{
	{name: "default"},
	{name: "all-on", files: []string{"ci/all-on-values.yaml"}, allOn: true},
	{name: "existing-secret", files: []string{"ci/existing-secret-values.yaml"}, existingSecret: "relance-env"},
}

var components = []string{"api", "disputes", "events", "payments", "portal", "worker"}

func chartDir(t *testing.T) string { return filepath.Join(repoRoot(t), "helm", "relance") }

func runHelm(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(helmBin(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func valuesArgs(chart string, files []string) []string {
	var args []string
	for _, f := range files {
		args = append(args, "-f", filepath.Join(chart, f))
	}
	return args
}

func render(t *testing.T, chart string, extra ...string) []Manifest {
	t.Helper()
	args := append([]string{"template", "relance", chart, "--namespace", "collections", "--kube-version", kubeVersion}, extra...)
	out, stderr, err := runHelm(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	manifests, err := DecodeManifests([]byte(out))
	if err != nil {
		t.Fatalf("strict decoding of the rendered chart: %v", err)
	}
	return manifests
}

func TestChartLints(t *testing.T) {
	chart := chartDir(t)
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			args := append([]string{"lint", "--strict", chart}, valuesArgs(chart, vs.files)...)
			out, stderr, err := runHelm(t, args...)
			if err != nil {
				t.Fatalf("helm lint: %v\n%s%s", err, out, stderr)
			}
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Fatalf("helm lint did not report success:\n%s", out)
			}
		})
	}
}

// release indexes the decoded objects of one rendering.
type release struct {
	deployments     map[string]*appsv1.Deployment
	services        map[string]*corev1.Service
	jobs            map[string]*batchv1.Job
	secrets         map[string]*corev1.Secret
	configMaps      map[string]*corev1.ConfigMap
	hpas            []*autoscalingv2.HorizontalPodAutoscaler
	ingresses       []*networkingv1.Ingress
	pdbs            []*policyv1.PodDisruptionBudget
	serviceMonitors []*ServiceMonitor
}

func index(t *testing.T, manifests []Manifest) release {
	t.Helper()
	r := release{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		jobs: map[string]*batchv1.Job{}, secrets: map[string]*corev1.Secret{}, configMaps: map[string]*corev1.ConfigMap{},
	}
	for _, m := range manifests {
		switch o := m.Object.(type) {
		case *appsv1.Deployment:
			r.deployments[o.Labels["app.kubernetes.io/component"]] = o
		case *corev1.Service:
			r.services[o.Name] = o
		case *batchv1.Job:
			r.jobs[o.Labels["app.kubernetes.io/component"]] = o
		case *corev1.Secret:
			r.secrets[o.Name] = o
		case *corev1.ConfigMap:
			r.configMaps[o.Name] = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas = append(r.hpas, o)
		case *networkingv1.Ingress:
			r.ingresses = append(r.ingresses, o)
		case *policyv1.PodDisruptionBudget:
			r.pdbs = append(r.pdbs, o)
		case *ServiceMonitor:
			r.serviceMonitors = append(r.serviceMonitors, o)
		case *corev1.ServiceAccount:
		default:
			t.Errorf("%s: unexpected object %T", m.Source, m.Object)
		}
	}
	return r
}

func TestChartRendersStrictlyValidObjects(t *testing.T) {
	chart := chartDir(t)
	wantAttributes := searchAttributes(t)
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			r := index(t, render(t, chart, valuesArgs(chart, vs.files)...))
			checkDeployments(t, r, vs.existingSecret)
			checkServices(t, r)
			checkMigrationJob(t, r, vs.existingSecret)
			if vs.existingSecret != "" && len(r.secrets) != 0 {
				t.Errorf("existingSecret set, yet the chart renders Secrets %v", keys(r.secrets))
			}
			if !vs.allOn {
				return
			}
			checkWorkerAutoscaling(t, r)
			checkIngress(t, r)
			checkServiceMonitor(t, r)
			checkSearchAttributesJob(t, r, wantAttributes)
			checkTemporalTLS(t, r)
			checkOutboxClaim(t, r)
			checkDisruptionBudgets(t, r)
		})
	}
}

func checkDeployments(t *testing.T, r release, existingSecret string) {
	t.Helper()
	if got := slices.Sorted(maps.Keys(r.deployments)); !slices.Equal(got, components) {
		t.Fatalf("Deployments for %v, want %v", got, components)
	}
	for name, d := range r.deployments {
		pod := d.Spec.Template.Spec
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector %v does not select its pods %v (%v)", name, d.Spec.Selector, d.Spec.Template.Labels, err)
		}
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: pod securityContext.runAsNonRoot is not true", name)
		}
		if len(pod.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", name, len(pod.Containers))
		}
		c := pod.Containers[0]
		if !strings.HasSuffix(strings.Split(c.Image, ":")[0], "/"+name) {
			t.Errorf("%s: image %s is not the %s image", name, c.Image, name)
		}
		checkProbe(t, name, "liveness", c.LivenessProbe, "/healthz")
		checkProbe(t, name, "readiness", c.ReadinessProbe, "/readyz")
		port := containerPort(c, "http")
		if port == 0 {
			t.Errorf("%s: no container port named http", name)
		}
		if addr := envValue(c, "HTTP_ADDR"); addr != fmt.Sprintf(":%d", port) {
			t.Errorf("%s: HTTP_ADDR=%q but the http port is %d", name, addr, port)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: resources %v lack cpu/memory requests or a memory limit", name, c.Resources)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: container must have a read-only root filesystem and no privilege escalation", name)
		}
		for _, from := range c.EnvFrom {
			switch {
			case from.ConfigMapRef != nil:
				if r.configMaps[from.ConfigMapRef.Name] == nil {
					t.Errorf("%s: envFrom ConfigMap %s is not rendered", name, from.ConfigMapRef.Name)
				}
			case from.SecretRef != nil:
				if existingSecret != "" {
					if from.SecretRef.Name != existingSecret {
						t.Errorf("%s: envFrom Secret %s, want the existing %s", name, from.SecretRef.Name, existingSecret)
					}
				} else if s := r.secrets[from.SecretRef.Name]; s == nil || s.Data["DATABASE_URL"] == nil {
					t.Errorf("%s: envFrom Secret %s is not rendered with DATABASE_URL", name, from.SecretRef.Name)
				}
			}
		}
		if len(c.EnvFrom) != 2 {
			t.Errorf("%s: envFrom %v, want the ConfigMap and the Secret", name, c.EnvFrom)
		}
	}
}

func checkProbe(t *testing.T, name, kind string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no HTTP %s probe", name, kind)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
		t.Errorf("%s: %s probe GET %s on port %s, want %s on http", name, kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

func checkServices(t *testing.T, r release) {
	t.Helper()
	for name, d := range r.deployments {
		svc := serviceFor(r, d)
		if svc == nil {
			t.Errorf("%s: no Service selects its pods", name)
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.TargetPort.String() != "http" || containerPort(d.Spec.Template.Spec.Containers[0], "http") == 0 {
				t.Errorf("%s: Service %s targets port %s, which the pod does not name", name, svc.Name, p.TargetPort.String())
			}
		}
	}
}

func serviceFor(r release, d *appsv1.Deployment) *corev1.Service {
	for _, svc := range r.services {
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			return svc
		}
	}
	return nil
}

func checkMigrationJob(t *testing.T, r release, existingSecret string) {
	t.Helper()
	job := r.jobs["migrate"]
	if job == nil {
		t.Fatal("no migration Job")
	}
	hooks := strings.Split(job.Annotations["helm.sh/hook"], ",")
	if !slices.Contains(hooks, "pre-install") || !slices.Contains(hooks, "pre-upgrade") {
		t.Errorf("migration Job hooks %v, want pre-install and pre-upgrade", hooks)
	}
	if !strings.Contains(job.Annotations["helm.sh/hook-delete-policy"], "before-hook-creation") {
		t.Errorf("migration Job hook-delete-policy %q must include before-hook-creation (re-runs on every upgrade)", job.Annotations["helm.sh/hook-delete-policy"])
	}
	pod := job.Spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("migration Job restartPolicy %s", pod.RestartPolicy)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("migration Job: runAsNonRoot is not true")
	}
	c := pod.Containers[0]
	if !strings.Contains(c.Image, "/migrate:") {
		t.Errorf("migration Job image %s is not the migrate image", c.Image)
	}
	ref := envSecretRef(c, "DATABASE_URL")
	if ref == nil {
		t.Fatal("migration Job: DATABASE_URL does not come from a Secret")
	}
	if existingSecret != "" {
		if ref.Name != existingSecret {
			t.Errorf("migration Job reads Secret %s, want the existing %s", ref.Name, existingSecret)
		}
		return
	}
	// On a first install the hook runs before the release's objects exist:
	// its Secret must itself be a hook, created before the Job.
	s := r.secrets[ref.Name]
	if s == nil || s.Data[ref.Key] == nil {
		t.Fatalf("migration Job reads %s/%s, which is not rendered", ref.Name, ref.Key)
	}
	if !strings.Contains(s.Annotations["helm.sh/hook"], "pre-install") || hookWeight(t, s.ObjectMeta) >= hookWeight(t, job.ObjectMeta) {
		t.Errorf("Secret %s (hook %q, weight %s) is not created before the migration Job (weight %s)", s.Name,
			s.Annotations["helm.sh/hook"], s.Annotations["helm.sh/hook-weight"], job.Annotations["helm.sh/hook-weight"])
	}
}

func checkWorkerAutoscaling(t *testing.T, r release) {
	t.Helper()
	if len(r.hpas) != 1 {
		t.Fatalf("%d HorizontalPodAutoscalers, want 1 (worker)", len(r.hpas))
	}
	hpa, worker := r.hpas[0], r.deployments["worker"]
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != worker.Name {
		t.Errorf("HPA targets %s %s, want Deployment %s", hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name, worker.Name)
	}
	if worker.Spec.Replicas != nil {
		t.Errorf("worker Deployment sets replicas=%d although its HPA owns the count", *worker.Spec.Replicas)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas {
		t.Errorf("HPA min %v > max %d", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
}

func checkIngress(t *testing.T, r release) {
	t.Helper()
	if len(r.ingresses) != 1 {
		t.Fatalf("%d Ingresses, want 1", len(r.ingresses))
	}
	var hosts []string
	for _, rule := range r.ingresses[0].Spec.Rules {
		hosts = append(hosts, rule.Host)
		for _, p := range rule.HTTP.Paths {
			svc := r.services[p.Backend.Service.Name]
			if svc == nil {
				t.Errorf("Ingress host %s routes to Service %s, which is not rendered", rule.Host, p.Backend.Service.Name)
				continue
			}
			if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == p.Backend.Service.Port.Name }) {
				t.Errorf("Ingress host %s routes to port %q of %s, which has no such port", rule.Host, p.Backend.Service.Port.Name, svc.Name)
			}
		}
	}
	for _, cm := range r.configMaps {
		if got := cm.Data["PUBLIC_BASE_URL"]; got != "https://events.relance.example.com" {
			t.Errorf("PUBLIC_BASE_URL=%q, want the events Ingress host (Twilio signs that URL)", got)
		}
	}
	want := []string{"api.relance.example.com", "events.relance.example.com", "pay.relance.example.com"}
	if slices.Sort(hosts); !slices.Equal(hosts, want) {
		t.Errorf("Ingress hosts %v, want %v", hosts, want)
	}
}

func checkServiceMonitor(t *testing.T, r release) {
	t.Helper()
	if len(r.serviceMonitors) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(r.serviceMonitors))
	}
	sm := r.serviceMonitors[0]
	if sm.APIVersion != "monitoring.coreos.com/v1" || sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor %s labels %v", sm.APIVersion, sm.Labels)
	}
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range r.deployments {
		svc := serviceFor(r, d)
		if svc == nil || !sel.Matches(labels.Set(svc.Labels)) {
			t.Errorf("ServiceMonitor does not select the Service of %s", name)
		}
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want port http path /metrics", sm.Spec.Endpoints)
	}
}

func checkSearchAttributesJob(t *testing.T, r release, want []string) {
	t.Helper()
	job := r.jobs["search-attributes"]
	if job == nil {
		t.Fatal("temporal.searchAttributes.register is on but no Job renders")
	}
	if !strings.Contains(job.Annotations["helm.sh/hook"], "pre-install") {
		t.Errorf("search attribute Job hook %q, want pre-install", job.Annotations["helm.sh/hook"])
	}
	got := sortedFields(envValue(job.Spec.Template.Spec.Containers[0], "RELANCE_SEARCH_ATTRIBUTES"))
	if !slices.Equal(got, want) {
		t.Errorf("chart registers search attributes %v, migrate -print-search-attributes says %v", got, want)
	}
}

func checkTemporalTLS(t *testing.T, r release) {
	t.Helper()
	var cm *corev1.ConfigMap
	for _, c := range r.configMaps {
		cm = c
	}
	for _, key := range []string{"TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA"} {
		path := cm.Data[key]
		for name, d := range r.deployments {
			c := d.Spec.Template.Spec.Containers[0]
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return path != "" && strings.HasPrefix(path, m.MountPath+"/")
			}) {
				t.Errorf("%s: %s=%q is not under a mounted volume", name, key, path)
			}
		}
	}
}

// The worker writes the outbox under OUTBOX_DIR: with a claim configured,
// that path must be on the claim, not on the pod's ephemeral storage.
func checkOutboxClaim(t *testing.T, r release) {
	t.Helper()
	var outbox string
	for _, cm := range r.configMaps {
		outbox = cm.Data["OUTBOX_DIR"]
	}
	pod := r.deployments["worker"].Spec.Template.Spec
	for _, m := range pod.Containers[0].VolumeMounts {
		if !strings.HasPrefix(outbox, m.MountPath+"/") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "relance-outbox" {
				return
			}
		}
	}
	t.Errorf("worker: OUTBOX_DIR=%q is not on the relance-outbox claim", outbox)
}

func checkDisruptionBudgets(t *testing.T, r release) {
	t.Helper()
	for name, d := range r.deployments {
		n := 0
		for _, pdb := range r.pdbs {
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d PodDisruptionBudgets select its pods, want 1", name, n)
		}
	}
}

func TestChartRefusesBadValues(t *testing.T) {
	chart := chartDir(t)
	for _, tc := range []struct {
		name, want string
		set        []string
	}{
		{"no database", "database.url is empty", []string{"--set", "database.url="}},
		{"no documents bucket", "at '/documents/url'", []string{"--set", "documents.url="}},
		{"documents bucket not S3", "at '/documents/url'", []string{"--set", "documents.url=http://minio:9000/docs"}},
		{"ingress without hosts", "no ingress.hosts entry", []string{"--set", "ingress.enabled=true"}},
		{"ingress to disabled service", "services.disputes.enabled is false", []string{"--set", "ingress.enabled=true", "--set", "ingress.hosts.disputes=d.example.com", "--set", "services.disputes.enabled=false"}},
		// values.schema.json: a misspelt or mistyped value fails instead of
		// being ignored.
		{"ingress to unknown service", "additional properties 'admin' not allowed", []string{"--set", "ingress.enabled=true", "--set", "ingress.hosts.admin=a.example.com"}},
		{"misspelt value", "additional properties 'replica' not allowed", []string{"--set", "worker.replica=3"}},
		{"wrong type", "got string, want integer", []string{"--set-string", "worker.replicas=two"}},
		{"unknown log level", "logLevel", []string{"--set", "logLevel=verbose"}},
		{"bad search attribute type", "searchAttributes", []string{"--set", "temporal.searchAttributes.attributes.Segment=Keywrd"}},
		{"bad variable name", "'mail-from' does not match pattern", []string{"--set", "config.mail-from=x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"template", "relance", chart, "--kube-version", kubeVersion}, tc.set...)
			_, stderr, err := runHelm(t, args...)
			if err == nil || !strings.Contains(stderr, tc.want) {
				t.Fatalf("helm template %v: err=%v stderr=%q, want a failure saying %q", tc.set, err, stderr, tc.want)
			}
		})
	}
}

// The decoder is what makes the checks above worth anything: it must reject
// what a cluster's API server would.
func TestStrictDecodingRejectsBrokenManifests(t *testing.T) {
	const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: %s
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: relance/api:dev
          %s
`
	const monitor = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: relance
spec:
  selector:
    matchLabels: {app: api}
  %s:
    - port: http
      path: /metrics
`
	valid := map[string]string{
		"deployment":      fmt.Sprintf(deployment, "2", "imagePullPolicy: IfNotPresent"),
		"service monitor": fmt.Sprintf(monitor, "endpoints"),
	}
	for name, doc := range valid {
		if _, err := DecodeManifests([]byte(doc)); err != nil {
			t.Fatalf("valid %s rejected: %v", name, err)
		}
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown field", fmt.Sprintf(deployment, "2", "imagePulPolicy: IfNotPresent"), "imagePulPolicy"},
		{"wrong type", fmt.Sprintf(deployment, `"two"`, "imagePullPolicy: IfNotPresent"), "replicas"},
		{"duplicate field", fmt.Sprintf(deployment, "2", "image: relance/api:other"), "image"},
		{"bad quantity", fmt.Sprintf(deployment, "2", "resources: {limits: {memory: lots}}"), "quantities"},
		{"unknown kind", "apiVersion: apps/v1\nkind: Deploymnt\nmetadata: {name: x}\n", "Deploymnt"},
		{"unknown ServiceMonitor field", fmt.Sprintf(monitor, "endpoint"), "endpoint"},
		{"no kind", "metadata: {name: x}\n", "without apiVersion and kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeManifests([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func containerPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func envSecretRef(c corev1.Container, name string) *corev1.SecretKeySelector {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil {
			return e.ValueFrom.SecretKeyRef
		}
	}
	return nil
}

func hookWeight(t *testing.T, m metav1.ObjectMeta) int {
	t.Helper()
	w, err := strconv.Atoi(m.Annotations["helm.sh/hook-weight"])
	if err != nil {
		t.Fatalf("%s: hook weight %q: %v", m.Name, m.Annotations["helm.sh/hook-weight"], err)
	}
	return w
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
