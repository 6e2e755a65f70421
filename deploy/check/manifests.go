// Package check validates Relance's deployment files without Docker, a
// cluster or the network: Helm's rendered manifests decoded strictly with
// the Kubernetes API types, and docker-compose.yml loaded with the
// compose-spec loader. It is its own module so that the Kubernetes and
// compose dependencies stay out of the application's go.mod.
package check

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// ServiceMonitorGVK is the Prometheus Operator kind the chart renders. It is
// a CRD, absent from client-go's scheme, so it decodes into ServiceMonitor.
var ServiceMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}

// ServiceMonitor holds the fields of monitoring.coreos.com/v1 ServiceMonitor
// the chart may use; decoding is strict, so any other field is an error.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ServiceMonitorSpec `json:"spec"`
}

// ServiceMonitorSpec is the subset of the CRD's spec the chart renders.
type ServiceMonitorSpec struct {
	Selector          metav1.LabelSelector `json:"selector"`
	NamespaceSelector struct {
		Any        bool     `json:"any,omitempty"`
		MatchNames []string `json:"matchNames,omitempty"`
	} `json:"namespaceSelector"`
	Endpoints []struct {
		Port          string `json:"port"`
		Path          string `json:"path"`
		Interval      string `json:"interval,omitempty"`
		ScrapeTimeout string `json:"scrapeTimeout,omitempty"`
	} `json:"endpoints"`
}

// Manifest is one decoded document of a rendered chart.
type Manifest struct {
	Source string // the template it came from ("relance/templates/x.yaml")
	// Object is a typed API object (*appsv1.Deployment, …) or *ServiceMonitor.
	Object any
}

// strictDecoder rejects unknown fields, duplicate fields and wrong types.
var strictDecoder = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
	json.SerializerOptions{Yaml: true, Strict: true})

// DecodeManifests splits a multi-document YAML stream (helm template output)
// and decodes every document strictly into its Kubernetes API type. Empty
// documents are skipped; an unknown kind is an error.
func DecodeManifests(stream []byte) ([]Manifest, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var out []Manifest
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("split manifests: %w", err)
		}
		source := sourceOf(doc)
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if meta.APIVersion == "" && meta.Kind == "" {
			if isBlank(doc) {
				continue
			}
			return nil, fmt.Errorf("%s: document without apiVersion and kind", source)
		}
		obj, err := DecodeManifest(doc, meta)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", source, meta.Kind, nameOf(doc), err)
		}
		out = append(out, Manifest{Source: source, Object: obj})
	}
}

// DecodeManifest decodes one document of the given type strictly.
func DecodeManifest(doc []byte, meta metav1.TypeMeta) (any, error) {
	if meta.GroupVersionKind() == ServiceMonitorGVK {
		var sm ServiceMonitor
		if err := yaml.UnmarshalStrict(doc, &sm); err != nil {
			return nil, err
		}
		return &sm, nil
	}
	obj, _, err := strictDecoder.Decode(doc, nil, nil)
	return obj, err
}

func sourceOf(doc []byte) string {
	for line := range strings.SplitSeq(string(doc), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
			return s
		}
	}
	return "(unnamed document)"
}

func nameOf(doc []byte) string {
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if yaml.Unmarshal(doc, &m) != nil || m.Metadata.Name == "" {
		return "(no name)"
	}
	return m.Metadata.Name
}

func isBlank(doc []byte) bool {
	for line := range strings.SplitSeq(string(doc), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}
