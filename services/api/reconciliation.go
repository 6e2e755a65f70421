package main

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/store"
)

// latestReconciliation is GET /v1/reconciliation: what the last daily
// reconciliation between Postgres and Temporal found and repaired.
func (a *API) latestReconciliation(c *gin.Context) {
	run, err := store.LatestReconciliation(c.Request.Context(), a.Store.Pool)
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "reconciliation run")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, run)
}
