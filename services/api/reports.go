package main

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// kpis is GET /v1/reports/kpis?currency=EUR.
func (a *API) kpis(c *gin.Context) {
	currency := strings.ToUpper(c.DefaultQuery("currency", "EUR"))
	if !domain.ValidCurrency(currency) {
		invalid(c, "currency", "must be a three-letter ISO 4217 code")
		return
	}
	k, err := store.ComputeKPIs(c.Request.Context(), a.Store.Pool, currency, a.today())
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, k)
}
