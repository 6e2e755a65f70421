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

func init() { gin.SetMode(gin.TestMode) }

// testHandlers has no database: only routes that reach none may be called.
func testHandlers() *Handlers {
	return &Handlers{Store: &store.Store{}, Logger: slog.New(slog.DiscardHandler)}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	routes := openapicheck.GinRoutes(testHandlers().Router().(*gin.Engine).Routes())
	doc := openapicheck.Check(t, openAPI, routes)
	if op := doc.Paths.Find("/v1/payments").Post; op.Security == nil || len(*op.Security) != 1 {
		t.Errorf("POST /v1/payments must require the bearer token: %v", op.Security)
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
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/payments", strings.NewReader("{}")))
	if w.Code != http.StatusUnauthorized || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("POST /v1/payments without a token = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}
