package main

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// TokenRequest creates an API token (admin only).
type TokenRequest struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	CollectorID string `json:"collector_id"`
}

// CreatedToken is a new token with its secret, shown this once.
type CreatedToken struct {
	Token  store.APIToken `json:"token"`
	Secret string         `json:"secret"`
}

// TokenList is every token, live and revoked, without secrets.
type TokenList struct {
	Items []store.APIToken `json:"items"`
}

const maxTokenName = 200

// createToken is POST /v1/tokens: 201 with the secret, which is stored
// only as its SHA-256 and cannot be shown again.
func (a *API) createToken(c *gin.Context) {
	var req TokenRequest
	if !decode(c, &req) {
		return
	}
	req.Name, req.CollectorID = strings.TrimSpace(req.Name), strings.TrimSpace(req.CollectorID)
	switch {
	case req.Name == "" || utf8.RuneCountInString(req.Name) > maxTokenName:
		invalid(c, "name", "is required, at most 200 characters")
		return
	case !store.ValidRole(req.Role):
		invalid(c, "role", "must be collector, manager, admin or service")
		return
	case req.Role == store.RoleCollector && req.CollectorID == "":
		invalid(c, "collector_id", "is required for a collector token")
		return
	case req.Role != store.RoleCollector && req.CollectorID != "":
		invalid(c, "collector_id", "is only for a collector token")
		return
	}
	ctx := c.Request.Context()
	var out CreatedToken
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if req.CollectorID != "" {
			ok, err := store.CollectorExists(ctx, tx, req.CollectorID)
			if err != nil {
				return err
			}
			if !ok {
				return domain.FieldError{Field: "collector_id", Reason: "no such collector"}
			}
		}
		tok, secret, err := store.CreateToken(ctx, tx, req.Name, req.Role, req.CollectorID)
		if err != nil {
			return err
		}
		out = CreatedToken{Token: tok, Secret: secret}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "token.create", Entity: "api_token", EntityID: tok.ID, After: tok})
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

// listTokens is GET /v1/tokens.
func (a *API) listTokens(c *gin.Context) {
	items, err := store.ListTokens(c.Request.Context(), a.Store.Pool)
	if err != nil {
		a.fail(c, err)
		return
	}
	if items == nil {
		items = []store.APIToken{}
	}
	c.JSON(http.StatusOK, TokenList{Items: items})
}

// revokeToken is DELETE /v1/tokens/:id: 204, or 404 when no live token has
// the id. This process stops accepting the token at once; other replicas
// within tokenauth.RememberFor.
func (a *API) revokeToken(c *gin.Context) {
	id := c.Param("id")
	ctx := c.Request.Context()
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.RevokeToken(ctx, tx, id); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "token.revoke", Entity: "api_token", EntityID: id})
	})
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "live token")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if a.tokens != nil {
		a.tokens.Forget(id)
	}
	c.Status(http.StatusNoContent)
}
