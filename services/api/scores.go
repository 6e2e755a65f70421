package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/analytics"
)

// blockBelow is the score under which the order-block signal is raised.
func (a *API) blockBelow() int {
	if a.ScoreBlockBelow > 0 {
		return a.ScoreBlockBelow
	}
	return analytics.DefaultBlockBelow
}

// debtorScore is GET /v1/debtors/:id/score: the payment-behaviour score
// with its factors, the credit exposure and the order-block signal.
func (a *API) debtorScore(c *gin.Context) {
	d, ok := a.debtorInScope(c, c.Param("id"))
	if !ok {
		return
	}
	scores, err := analytics.Scores(c.Request.Context(), a.Store.Pool, a.today(), a.blockBelow(), d.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	if len(scores) != 1 {
		notFound(c, "debtor")
		return
	}
	c.JSON(http.StatusOK, scores[0])
}

// scoresReport is GET /v1/reports/scores: every debtor's score, exposure
// and block signal (blocked=true|false keeps one side).
func (a *API) scoresReport(c *gin.Context) {
	csv, ok := reportFormat(c)
	if !ok {
		return
	}
	for name := range c.Request.URL.Query() {
		if name != "blocked" && name != "format" {
			invalid(c, name, "is not a parameter of this report")
			return
		}
	}
	var keep *bool
	if b := c.Query("blocked"); b != "" {
		v, err := strconv.ParseBool(b)
		if err != nil {
			invalid(c, "blocked", "must be true or false")
			return
		}
		keep = &v
	}
	scores, err := analytics.Scores(c.Request.Context(), a.Store.Pool, a.today(), a.blockBelow())
	if err != nil {
		a.fail(c, err)
		return
	}
	out := scores[:0]
	for _, s := range scores {
		if keep == nil || s.Blocked == *keep {
			out = append(out, s)
		}
	}
	if csv {
		writeCSV(c, "scores_"+a.today().Format("2006-01-02")+".csv", func(w io.Writer) error { return writeScoresCSV(w, out) })
		return
	}
	c.JSON(http.StatusOK, gin.H{"as_of": a.today().Format("2006-01-02"), "block_below": a.blockBelow(), "debtors": out})
}

// writeScoresCSV writes one line a debtor: its score, block signal,
// exposure and the points of each factor.
func writeScoresCSV(w io.Writer, scores []analytics.Score) error {
	cw := csv.NewWriter(w)
	header := []string{"debtor_id", "score", "blocked", "reasons", "currency", "open_cents", "overdue_cents", "credit_limit_cents", "utilisation"}
	factors := []string{"days_late", "promises", "disputes", "partial_payments", "exposure"}
	for _, f := range factors {
		header = append(header, f+"_points")
	}
	rows := [][]string{header}
	for _, s := range scores {
		e := s.Exposure
		limit, util := "", ""
		if e.CreditLimitCents != nil {
			limit = strconv.FormatInt(*e.CreditLimitCents, 10)
		}
		if e.Utilisation != nil {
			util = strconv.FormatFloat(*e.Utilisation, 'f', -1, 64)
		}
		row := []string{s.DebtorID, strconv.Itoa(s.Score), strconv.FormatBool(s.Blocked), strings.Join(s.Reasons, " "), e.Currency,
			strconv.FormatInt(e.OpenCents, 10), strconv.FormatInt(e.OverdueCents, 10), limit, util}
		points := map[string]float64{}
		for _, f := range s.Factors {
			points[f.Name] = f.Points
		}
		for _, f := range factors {
			row = append(row, strconv.FormatFloat(points[f], 'f', -1, 64))
		}
		rows = append(rows, row)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write scores CSV: %w", err)
	}
	return nil
}
