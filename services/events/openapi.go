package main

import (
	_ "embed"
	"net/http"
)

// openAPI is the service's contract, kept beside the handlers; a test checks
// that it and the routes describe the same operations.
//
//go:embed openapi.yaml
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPI)
}
