// Package tokenauth checks bearer tokens against the api_tokens table for
// the gin services that are not the collector API (payments, disputes):
// a live token whose role is among those a route allows.
package tokenauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/store"
)

const tokenKey = "relance.token"

// Require admits requests bearing a live token with one of roles, and
// answers 401 (no or unknown token) or 403 (role not allowed) otherwise.
func Require(q store.Querier, roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		secret, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			c.Header("WWW-Authenticate", `Bearer realm="relance"`)
			abort(c, httpx.NewProblem(http.StatusUnauthorized, "a bearer token is required"))
			return
		}
		tok, err := store.LookupToken(c.Request.Context(), q, strings.TrimSpace(secret))
		if errors.Is(err, store.ErrTokenInvalid) {
			c.Header("WWW-Authenticate", `Bearer realm="relance", error="invalid_token"`)
			abort(c, httpx.NewProblem(http.StatusUnauthorized, "unknown or revoked token"))
			return
		}
		if err != nil {
			_ = c.Error(err)
			abort(c, httpx.NewProblem(http.StatusServiceUnavailable, "cannot check the token now"))
			return
		}
		if !slices.Contains(roles, tok.Role) {
			abort(c, httpx.NewProblem(http.StatusForbidden, "role "+tok.Role+" may not do this"))
			return
		}
		c.Set(tokenKey, tok)
		c.Next()
	}
}

// Token returns the token Require admitted.
func Token(c *gin.Context) store.APIToken {
	v, _ := c.Get(tokenKey)
	tok, _ := v.(store.APIToken)
	return tok
}

// Actor is who the audit log records for the request: the token.
func Actor(c *gin.Context) store.Actor {
	tok := Token(c)
	return store.Actor{ID: tok.ID, Role: tok.Role}
}

func abort(c *gin.Context, p httpx.Problem) {
	httpx.Write(c.Writer, p)
	c.Abort()
}
