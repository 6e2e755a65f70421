package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// RateList is the late-payment rate table (Code de commerce L441-10, Code
// monétaire et financier L313-2) and whether it covers today.
type RateList struct {
	Items []domain.HalfYearRates `json:"items"`
	// CoversToday is false when the current half-year is missing: notices
	// then state the legal basis without an amount, and claiming interest
	// or filing in court is refused until it is added.
	CoversToday bool `json:"covers_today"`
}

// RatesInput is the body of PUT /v1/interest-rates/{half}.
type RatesInput struct {
	ECBRefiBP         *int   `json:"ecb_refi_bp"`
	LegalOtherBP      *int   `json:"legal_other_bp"`
	LegalIndividualBP *int   `json:"legal_individual_bp"`
	Source            string `json:"source"`
}

// listRates is GET /v1/interest-rates.
func (a *API) listRates(c *gin.Context) {
	rows, err := store.InterestRates(c.Request.Context(), a.Store.Pool)
	if err != nil {
		a.fail(c, err)
		return
	}
	table, err := domain.NewRateTable(rows)
	covers := false
	if err == nil {
		_, ferr := table.For(domain.HalfYearOf(time.Now()))
		covers = ferr == nil
	}
	if rows == nil {
		rows = []domain.HalfYearRates{}
	}
	c.JSON(http.StatusOK, RateList{Items: rows, CoversToday: covers})
}

// putRates is PUT /v1/interest-rates/{half} (admin): adds the next
// half-year or corrects a stored one; a half-year that would leave a gap
// in the table is refused (422). Audited with the previous figures.
func (a *API) putRates(c *gin.Context) {
	half, err := domain.ParseHalfYear(c.Param("half"))
	if err != nil {
		invalid(c, "half", err.Error())
		return
	}
	var in RatesInput
	if !decode(c, &in) {
		return
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"ecb_refi_bp", in.ECBRefiBP}, {"legal_other_bp", in.LegalOtherBP}, {"legal_individual_bp", in.LegalIndividualBP}} {
		if f.v == nil {
			invalid(c, f.name, "is required (basis points a year: 2.15 % is 215)")
			return
		}
	}
	r := domain.HalfYearRates{Half: half, ECBRefiBP: *in.ECBRefiBP, LegalOtherBP: *in.LegalOtherBP,
		LegalIndividualBP: *in.LegalIndividualBP, Source: strings.TrimSpace(in.Source)}
	if err := r.Validate(); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	created := false
	err = a.Store.InTx(ctx, func(tx pgx.Tx) error {
		// One writer at a time, so two additions cannot both pass the gap check.
		if _, err := tx.Exec(ctx, `LOCK TABLE interest_rates IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		before, err := store.PutInterestRates(ctx, tx, r)
		if err != nil {
			return err
		}
		created = before == nil
		var was any
		if before != nil {
			was = before
		}
		rows, err := store.InterestRates(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := domain.NewRateTable(rows); err != nil {
			return domain.FieldError{Field: "half", Reason: err.Error()}
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "interest_rates.put",
			Entity: "interest_rates", EntityID: half.String(), Before: was, After: r})
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, r)
}
