// Package openapicheck is the test every service runs on its OpenAPI
// document: it is valid OpenAPI 3, every route the service registers is
// documented, and every documented operation has a route.
package openapicheck

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// Route is one registered method and path, in OpenAPI's syntax
// ("/v1/disputes/{id}").
type Route struct{ Method, Path string }

// GinPath turns a gin route path into OpenAPI's: ":id" segments become
// "{id}" and an escaped literal colon (`invoices\:bulk`) a plain one.
func GinPath(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segments[i] = "{" + name + "}"
		}
	}
	return strings.ReplaceAll(strings.Join(segments, "/"), `\:`, ":")
}

// GinRoutes lists a gin engine's routes in OpenAPI's syntax.
func GinRoutes(routes gin.RoutesInfo) []Route {
	out := make([]Route, 0, len(routes))
	for _, r := range routes {
		out = append(out, Route{Method: r.Method, Path: GinPath(r.Path)})
	}
	return out
}

// Check loads and validates doc, then compares its operations with routes
// both ways. It returns the loaded document for further checks.
func Check(t testing.TB, doc []byte, routes []Route) *openapi3.T {
	t.Helper()
	loaded, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	if len(routes) == 0 {
		t.Fatal("no routes to compare: the router lost them")
	}
	registered := map[Route]bool{}
	for _, r := range routes {
		registered[r] = true
		item := loaded.Paths.Find(r.Path)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("route %s %s is not documented", r.Method, r.Path)
		}
	}
	for path, item := range loaded.Paths.Map() {
		for method := range item.Operations() {
			if !registered[Route{method, path}] {
				t.Errorf("documented %s %s has no route", method, path)
			}
		}
	}
	return loaded
}
