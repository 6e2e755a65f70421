package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/analytics"
)

// kpis is GET /v1/reports/kpis: the finance KPIs per currency (see
// internal/analytics for each definition).
func (a *API) kpis(c *gin.Context) {
	csv, ok := reportFormat(c)
	if !ok {
		return
	}
	q, err := analytics.ParseQuery(c.Request.URL.Query(), a.today())
	if err != nil {
		a.fail(c, err)
		return
	}
	r, err := analytics.KPIReport(c.Request.Context(), a.Store.Pool, q)
	if err != nil {
		a.fail(c, err)
		return
	}
	answerReport(c, csv, fmt.Sprintf("kpis_%s_%s.csv", r.From, r.To), r.WriteCSV, r)
}

// reportFormat reads format=json|csv; it answers 422 and returns false otherwise.
func reportFormat(c *gin.Context) (csv, ok bool) {
	switch f := c.Query("format"); f {
	case "", "json":
		return false, true
	case "csv":
		return true, true
	default:
		invalid(c, "format", fmt.Sprintf("%q is neither json nor csv", f))
		return false, false
	}
}

// writeCSV answers a report as a CSV attachment named name.
// answerReport sends a report as CSV under name when asked, else as JSON.
func answerReport(c *gin.Context, csv bool, name string, write func(io.Writer) error, report any) {
	if csv {
		writeCSV(c, name, write)
		return
	}
	c.JSON(http.StatusOK, report)
}

func writeCSV(c *gin.Context, name string, write func(io.Writer) error) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Status(http.StatusOK)
	if err := write(c.Writer); err != nil {
		_ = c.Error(err)
	}
}

// effectiveness is GET /v1/reports/effectiveness: what followed each
// rung, channel, template and collector's actions.
func (a *API) effectiveness(c *gin.Context) {
	csv, ok := reportFormat(c)
	if !ok {
		return
	}
	q, err := analytics.ParseQuery(c.Request.URL.Query(), a.today(), "dimension")
	if err != nil {
		a.fail(c, err)
		return
	}
	var dims []string
	if d := c.Query("dimension"); d != "" {
		if !slices.Contains(analytics.Dimensions, d) {
			invalid(c, "dimension", fmt.Sprintf("%q is not one of %s", d, strings.Join(analytics.Dimensions, ", ")))
			return
		}
		dims = []string{d}
	}
	r, err := analytics.EffectivenessReport(c.Request.Context(), a.Store.Pool, q, a.now(), dims)
	if err != nil {
		a.fail(c, err)
		return
	}
	answerReport(c, csv, fmt.Sprintf("effectiveness_%s_%s.csv", r.From, r.To), r.WriteCSV, r)
}

// forecast is GET /v1/reports/forecast: expected cash-in per week for 13
// weeks per currency, with the model's backtest against a naive forecast.
func (a *API) forecast(c *gin.Context) {
	csv, ok := reportFormat(c)
	if !ok {
		return
	}
	q, err := analytics.ParseForecastQuery(c.Request.URL.Query(), a.today())
	if err != nil {
		a.fail(c, err)
		return
	}
	r, err := analytics.CashForecast(c.Request.Context(), a.Store.Pool, q, a.today())
	if err != nil {
		a.fail(c, err)
		return
	}
	answerReport(c, csv, "forecast_"+r.Forecast.AsOf+".csv", r.WriteCSV, r)
}

// championChallenger is GET /v1/reports/champion-challenger?policy=…:
// the champion policy against its challenger on the cases assigned in the
// period.
func (a *API) championChallenger(c *gin.Context) {
	csv, ok := reportFormat(c)
	if !ok {
		return
	}
	q, err := analytics.ParseQuery(c.Request.URL.Query(), a.today())
	if err != nil {
		a.fail(c, err)
		return
	}
	for name, v := range map[string]string{"currency": q.Filter.Currency, "segment": q.Filter.Segment, "collector": q.Filter.Collector,
		"convert_to": c.Query("convert_to"), "rates": c.Query("rates")} {
		if v != "" {
			invalid(c, name, "is not a parameter of this report")
			return
		}
	}
	r, err := analytics.ChampionChallenger(c.Request.Context(), a.Store.Pool, q)
	if err != nil {
		a.fail(c, err)
		return
	}
	answerReport(c, csv, "champion-challenger_"+r.Experiment+"_"+r.From+"_"+r.To+".csv", r.WriteCSV, r)
}
