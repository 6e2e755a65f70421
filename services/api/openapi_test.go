package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/relance/relance/internal/openapicheck"
)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	api := &API{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	routes := openapicheck.GinRoutes(api.Handler().Routes())
	openapicheck.Check(t, openAPI, routes)
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
