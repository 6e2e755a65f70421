package openapicheck

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestGinPath(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/disputes/:id/comments": "/v1/disputes/{id}/comments",
		`/v1/invoices\:bulk`:        "/v1/invoices:bulk",
		"/v1/webhooks/:provider":    "/v1/webhooks/{provider}",
		"/v1/openapi.yaml":          "/v1/openapi.yaml",
	} {
		if got := GinPath(in); got != want {
			t.Errorf("GinPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// recorder keeps the failures Check reports instead of failing the test;
// like testing.T, a fatal failure ends the goroutine.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.errors = append(r.errors, fmt.Sprint(args...))
	runtime.Goexit()
}

const doc = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /v1/things/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get:
      responses: {"200": {description: ok}}
`

func TestCheckReportsBothDirections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		doc    string
		routes []Route
		want   []string
	}{
		{"matching", doc, []Route{{"GET", "/v1/things/{id}"}}, nil},
		{"undocumented route", doc, []Route{{"GET", "/v1/things/{id}"}, {"POST", "/v1/things"}}, []string{"route POST /v1/things is not documented"}},
		{"documented without route", doc, []Route{{"DELETE", "/v1/things/{id}"}},
			[]string{"route DELETE /v1/things/{id} is not documented", "documented GET /v1/things/{id} has no route"}},
		{"no routes", doc, nil, []string{"no routes"}},
		{"invalid document", strings.Replace(doc, "responses: {\"200\": {description: ok}}", "responses: {\"200\": {}}", 1),
			[]Route{{"GET", "/v1/things/{id}"}}, []string{"not valid OpenAPI 3"}},
	} {
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Check(r, []byte(tc.doc), tc.routes)
		}()
		<-done
		if len(r.errors) != len(tc.want) {
			t.Errorf("%s: failures %q, want %q", tc.name, r.errors, tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(r.errors[i], w) {
				t.Errorf("%s: failure %q, want it to say %q", tc.name, r.errors[i], w)
			}
		}
	}
}
