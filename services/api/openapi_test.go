package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// ginParam turns gin's ":id" segments into OpenAPI's "{id}".
var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPI)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI 3: %v", err)
	}
	api := &API{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	routes := map[string]bool{}
	for _, r := range api.Handler().Routes() {
		// A literal colon is escaped in gin (`invoices\:bulk`).
		path, literal := strings.CutSuffix(r.Path, `\:bulk`)
		path = ginParam.ReplaceAllString(path, "{$1}")
		if literal {
			path += ":bulk"
		}
		key := r.Method + " " + path
		routes[key] = true
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("route %s is not documented", key)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !routes[method+" "+path] {
				t.Errorf("documented %s %s has no route", method, path)
			}
		}
	}
	if len(routes) < 25 {
		t.Errorf("only %d routes: the engine lost some", len(routes))
	}
}

func TestOpenAPIServedWithoutToken(t *testing.T) {
	api := &API{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w := httptest.NewRecorder()
	api.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/openapi.yaml", nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "openapi: 3") {
		t.Fatalf("GET /v1/openapi.yaml = %d %.40q", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	api.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/cases", nil))
	if w.Code != http.StatusUnauthorized || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("GET /v1/cases without a token = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if !slices.Contains(w.Header().Values("WWW-Authenticate"), `Bearer realm="relance"`) {
		t.Errorf("no WWW-Authenticate challenge: %v", w.Header())
	}
}
