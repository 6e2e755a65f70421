package main

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPI is the service's contract, kept beside the handlers; a test checks
// that it and the routes describe the same operations.
//
//go:embed openapi.yaml
var openAPI []byte

func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openAPI)
}
