// Package tokenauth checks bearer tokens against the api_tokens table for
// every gin service: a live token, and for a route that says so, one whose
// role is among those it allows.
package tokenauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/store"
)

const tokenKey = "relance.token"

// RememberFor is how long a verified token is trusted without asking
// Postgres again, so a revoked token keeps working this long at most in a
// running service. A worklist read then costs one query instead of two.
const RememberFor = 5 * time.Second

// maxRemembered bounds the memory of remembered tokens; past it the
// memory starts afresh (there are a few dozen tokens in practice).
const maxRemembered = 10_000

// Verifier looks bearer secrets up in api_tokens and remembers the live
// ones for RememberFor. Unknown and revoked secrets are never remembered:
// a token created a moment ago works at once. Safe for concurrent use.
type Verifier struct {
	q   store.Querier
	now func() time.Time

	mu    sync.Mutex
	known map[string]remembered // by the secret's SHA-256
}

type remembered struct {
	token store.APIToken
	until time.Time
}

// NewVerifier returns a Verifier reading tokens through q.
func NewVerifier(q store.Querier) *Verifier {
	return &Verifier{q: q, now: time.Now, known: map[string]remembered{}}
}

// Verify returns the live token of secret, store.ErrTokenInvalid when
// there is none, or the error of the lookup.
func (v *Verifier) Verify(ctx context.Context, secret string) (store.APIToken, error) {
	key := string(store.HashToken(secret))
	now := v.now()
	v.mu.Lock()
	r, ok := v.known[key]
	v.mu.Unlock()
	if ok && now.Before(r.until) {
		return r.token, nil
	}
	tok, err := store.LookupToken(ctx, v.q, secret)
	if err != nil {
		return store.APIToken{}, err
	}
	v.mu.Lock()
	if len(v.known) >= maxRemembered {
		clear(v.known)
	}
	v.known[key] = remembered{token: tok, until: now.Add(RememberFor)}
	v.mu.Unlock()
	return tok, nil
}

// Forget drops what v remembers of the token id, so a revocation made
// through this process takes effect in it at once.
func (v *Verifier) Forget(id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for key, r := range v.known {
		if r.token.ID == id {
			delete(v.known, key)
		}
	}
}

// Authenticate admits requests bearing a live token and answers 401 (no or
// unknown token) or 503 (the lookup failed) otherwise.
func Authenticate(v *Verifier) gin.HandlerFunc {
	return func(c *gin.Context) { v.admit(c) }
}

// Require is Authenticate, then 403 unless the token's role is one of roles.
func Require(v *Verifier, roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !v.admit(c) {
			return
		}
		if tok := Token(c); !slices.Contains(roles, tok.Role) {
			abort(c, httpx.NewProblem(http.StatusForbidden, "the "+tok.Role+" role may not do this"))
		}
	}
}

// admit stores the request's live token for Token, or answers and aborts.
func (v *Verifier) admit(c *gin.Context) bool {
	secret, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		c.Header("WWW-Authenticate", `Bearer realm="relance"`)
		abort(c, httpx.NewProblem(http.StatusUnauthorized, "send Authorization: Bearer <token>"))
		return false
	}
	tok, err := v.Verify(c.Request.Context(), strings.TrimSpace(secret))
	if errors.Is(err, store.ErrTokenInvalid) {
		c.Header("WWW-Authenticate", `Bearer realm="relance", error="invalid_token"`)
		abort(c, httpx.NewProblem(http.StatusUnauthorized, "unknown or revoked token"))
		return false
	}
	if err != nil {
		_ = c.Error(err)
		abort(c, httpx.NewProblem(http.StatusServiceUnavailable, "cannot check the token now"))
		return false
	}
	c.Set(tokenKey, tok)
	return true
}

// Token returns the token Authenticate admitted.
func Token(c *gin.Context) store.APIToken {
	v, _ := c.Get(tokenKey)
	tok, _ := v.(store.APIToken)
	return tok
}

// Actor is who the audit log records for the request: the signed-in user
// of a session token, else the token.
func Actor(c *gin.Context) store.Actor {
	tok := Token(c)
	if tok.UserID != "" {
		return store.Actor{ID: tok.UserID, Role: tok.Role}
	}
	return store.Actor{ID: tok.ID, Role: tok.Role}
}

func abort(c *gin.Context, p httpx.Problem) {
	httpx.Write(c.Writer, p)
	c.Abort()
}
