package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/relance/relance/internal/openapicheck"
)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := &Handlers{}
	var routes []openapicheck.Route
	for _, r := range h.routes() {
		routes = append(routes, openapicheck.Route{Method: r.method, Path: r.path})
	}
	doc := openapicheck.Check(t, openAPI, routes)
	for _, path := range []string{"/v1/webhooks/sendgrid", "/v1/webhooks/twilio", "/v1/webhooks/postal", "/v1/webhooks/agency"} {
		op := doc.Paths.Find(path).Post
		signed := false
		for _, p := range op.Parameters {
			signed = signed || p.Value.In == "header" && p.Value.Required && strings.Contains(p.Value.Name, "Signature")
		}
		if !signed {
			t.Errorf("POST %s documents no required signature header", path)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	w := httptest.NewRecorder()
	(&Handlers{}).Routes().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/openapi.yaml", nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "openapi: 3") || w.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /v1/openapi.yaml = %d %s %.40q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}
