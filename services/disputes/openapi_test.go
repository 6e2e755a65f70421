package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/openapicheck"
	"github.com/relance/relance/internal/store"
)

// testHandlers has no database: only routes that reach none may be called.
func testHandlers() *Handlers {
	gin.SetMode(gin.TestMode)
	return &Handlers{Store: &store.Store{}, Logger: slog.New(slog.DiscardHandler)}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	routes := openapicheck.GinRoutes(testHandlers().Router().(*gin.Engine).Routes())
	doc := openapicheck.Check(t, openAPI, routes)
	if len(doc.Security) != 1 || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Errorf("the document must require the bearer token by default: %v", doc.Security)
	}
	if op := doc.Paths.Find("/v1/openapi.yaml").Get; op.Security == nil || len(*op.Security) != 0 {
		t.Errorf("the document itself must be public: %v", op.Security)
	}
}

func TestOpenAPIServedWithoutToken(t *testing.T) {
	h := testHandlers().Router()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/openapi.yaml", nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "openapi: 3") || w.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /v1/openapi.yaml = %d %s %.40q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/disputes/d1", nil))
	if w.Code != http.StatusUnauthorized || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("GET /v1/disputes/d1 without a token = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}
