package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// Sign-in rules. A session lasts a working day; five wrong passwords in a
// row lock the account for a quarter of an hour (an admin's password reset
// lifts it at once).
const (
	sessionTTL      = 12 * time.Hour
	maxSignInFails  = 5
	lockOutDuration = 15 * time.Minute
	minPassword     = 10
	// bcrypt reads at most 72 bytes: a longer password would be silently cut.
	maxPassword = 72
)

// SessionRequest signs a user in with a password.
type SessionRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Session is a signed-in user's bearer token (the console keeps it in its
// session cookie and sends it on every API call) and who it belongs to.
type Session struct {
	Token     string     `json:"token"`
	TokenID   string     `json:"token_id"`
	ExpiresAt time.Time  `json:"expires_at"`
	User      store.User `json:"user"`
}

// createSession is POST /v1/sessions: 201 with a session token, 401 for an
// unknown e-mail, a wrong password or a disabled account (one answer for
// all three), 429 while the account is locked out.
func (a *API) createSession(c *gin.Context) {
	var req SessionRequest
	if !decode(c, &req) {
		return
	}
	if strings.TrimSpace(req.Email) == "" {
		invalid(c, "email", "is required")
		return
	}
	if req.Password == "" {
		invalid(c, "password", "is required")
		return
	}
	ctx := c.Request.Context()
	u, hash, err := store.UserForSignIn(ctx, a.Store.Pool, req.Email)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(a.dummyHash, []byte(req.Password))
		a.refuseSignIn(c)
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if u.LockedUntil != nil {
		locked(c, *u.LockedUntil)
		return
	}
	if hash == "" || bcrypt.CompareHashAndPassword([]byte(hash), []byte(req.Password)) != nil {
		if hash == "" {
			_ = bcrypt.CompareHashAndPassword(a.dummyHash, []byte(req.Password))
		}
		nowLocked, err := store.RecordSignInFailure(ctx, a.Store.Pool, u.ID, maxSignInFails, lockOutDuration)
		if err != nil {
			a.fail(c, err)
			return
		}
		_ = store.Audit(ctx, a.Store.Pool, store.AuditEntry{Actor: store.Actor{ID: u.ID, Role: u.Role},
			Action: "session.refused", Entity: "user", EntityID: u.ID, After: map[string]bool{"locked": nowLocked}})
		if nowLocked {
			locked(c, a.now().Add(lockOutDuration))
			return
		}
		a.refuseSignIn(c)
		return
	}
	if u.Disabled {
		a.refuseSignIn(c)
		return
	}
	a.openSession(c, u, "password")
}

// openSession issues the session token of a user who proved who they are.
func (a *API) openSession(c *gin.Context, u store.User, method string) {
	ctx := c.Request.Context()
	var out Session
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.RecordSignInSuccess(ctx, tx, u.ID); err != nil {
			return err
		}
		tok, secret, err := store.CreateSession(ctx, tx, u, sessionTTL)
		if err != nil {
			return err
		}
		out = Session{Token: secret, TokenID: tok.ID, ExpiresAt: *tok.ExpiresAt, User: u}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: store.Actor{ID: u.ID, Role: u.Role}, Action: "session.create",
			Entity: "user", EntityID: u.ID, After: map[string]string{"token_id": tok.ID, "method": method}})
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (a *API) refuseSignIn(c *gin.Context) {
	problem(c, httpx.FieldProblem(http.StatusUnauthorized, domain.FieldError{Field: "password", Reason: "the e-mail address or the password is wrong"}))
}

func locked(c *gin.Context, until time.Time) {
	c.Header("Retry-After", fmt.Sprint(int(time.Until(until).Seconds())+1))
	problem(c, httpx.NewProblem(http.StatusTooManyRequests,
		"too many failed sign-ins: the account is locked until "+until.UTC().Format(time.RFC3339)+" (or until an admin resets the password)"))
}

// deleteSession is DELETE /v1/sessions/current: sign-out, the caller's
// session token is revoked (at once in this process).
func (a *API) deleteSession(c *gin.Context) {
	tok := tokenauth.Token(c)
	if tok.UserID == "" {
		problem(c, httpx.NewProblem(http.StatusUnprocessableEntity, "this is an API token, not a session: revoke it with DELETE /v1/tokens/{id}"))
		return
	}
	ctx := c.Request.Context()
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.RevokeToken(ctx, tx, tok.ID); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "session.delete", Entity: "user", EntityID: tok.UserID,
			After: map[string]string{"token_id": tok.ID}})
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.fail(c, err)
		return
	}
	a.tokens.Forget(tok.ID)
	c.Status(http.StatusNoContent)
}

// Me is who the caller is: a user signed in, or a program's token.
type Me struct {
	UserID      string     `json:"user_id,omitempty"`
	Name        string     `json:"name"`
	Email       string     `json:"email,omitempty"`
	Role        string     `json:"role"`
	CollectorID string     `json:"collector_id,omitempty"`
	Language    string     `json:"language"`
	TokenID     string     `json:"token_id"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// me is GET /v1/me.
func (a *API) me(c *gin.Context) {
	tok := tokenauth.Token(c)
	out := Me{Name: tok.Name, Role: tok.Role, CollectorID: tok.CollectorID, Language: "fr", TokenID: tok.ID, ExpiresAt: tok.ExpiresAt}
	if tok.UserID != "" {
		u, err := store.GetUser(c.Request.Context(), a.Store.Pool, tok.UserID)
		if err != nil {
			a.fail(c, err)
			return
		}
		out.UserID, out.Name, out.Email, out.Language = u.ID, u.Name, u.Email, u.Language
	}
	c.JSON(http.StatusOK, out)
}

// --- users (admin) ---

// UserRequest creates or replaces a user. Password is only read on
// creation (empty: the user signs in through OpenID Connect).
type UserRequest struct {
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	CollectorID string `json:"collector_id"`
	Language    string `json:"language"`
	Password    string `json:"password,omitempty"`
	Disabled    bool   `json:"disabled,omitempty"`
}

// PasswordRequest sets a user's password.
type PasswordRequest struct {
	Password string `json:"password"`
}

// UserList is every user.
type UserList struct {
	Items []store.User `json:"items"`
}

// checkUser validates a user request into the user it describes.
func (a *API) checkUser(c *gin.Context, req UserRequest) (store.User, bool) {
	u := store.User{Email: strings.TrimSpace(req.Email), Name: strings.TrimSpace(req.Name), Role: req.Role,
		CollectorID: strings.TrimSpace(req.CollectorID), Language: req.Language, Disabled: req.Disabled}
	if u.Language == "" {
		u.Language = "fr"
	}
	addr, err := mail.ParseAddress(u.Email)
	switch {
	case u.Email == "" || len(u.Email) > 254 || err != nil || addr.Address != u.Email:
		invalid(c, "email", "must be an e-mail address such as alice@example.com")
	case u.Name == "" || utf8.RuneCountInString(u.Name) > 200:
		invalid(c, "name", "is required, at most 200 characters")
	case !store.ValidUserRole(u.Role):
		invalid(c, "role", "must be collector, manager or admin")
	case u.Role == store.RoleCollector && u.CollectorID == "":
		invalid(c, "collector_id", "is required for a collector")
	case u.Role != store.RoleCollector && u.CollectorID != "":
		invalid(c, "collector_id", "is only for a collector")
	case u.Language != "fr" && u.Language != "en":
		invalid(c, "language", "must be fr or en")
	default:
		if u.CollectorID != "" {
			ok, err := store.CollectorExists(c.Request.Context(), a.Store.Pool, u.CollectorID)
			if err != nil {
				a.fail(c, err)
				return u, false
			}
			if !ok {
				invalid(c, "collector_id", fmt.Sprintf("unknown collector %q", u.CollectorID))
				return u, false
			}
		}
		return u, true
	}
	return u, false
}

func checkPassword(c *gin.Context, pw string) bool {
	switch {
	case utf8.RuneCountInString(pw) < minPassword:
		invalid(c, "password", fmt.Sprintf("must hold at least %d characters", minPassword))
		return false
	case len(pw) > maxPassword:
		invalid(c, "password", fmt.Sprintf("must hold at most %d bytes", maxPassword))
		return false
	}
	return true
}

// createUser is POST /v1/users.
func (a *API) createUser(c *gin.Context) {
	var req UserRequest
	if !decode(c, &req) {
		return
	}
	u, ok := a.checkUser(c, req)
	if !ok {
		return
	}
	var hash []byte
	if req.Password != "" {
		if !checkPassword(c, req.Password) {
			return
		}
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(req.Password), bcrypt.DefaultCost); err != nil {
			a.fail(c, fmt.Errorf("hash password: %w", err))
			return
		}
	}
	ctx := c.Request.Context()
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if u, err = store.CreateUser(ctx, tx, u, string(hash)); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "user.create", Entity: "user", EntityID: u.ID, After: u})
	})
	if errors.Is(err, store.ErrEmailTaken) {
		fieldProblem(c, http.StatusConflict, "email", "another user has this e-mail address")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

// listUsers is GET /v1/users.
func (a *API) listUsers(c *gin.Context) {
	items, err := store.ListUsers(c.Request.Context(), a.Store.Pool)
	if err != nil {
		a.fail(c, err)
		return
	}
	if items == nil {
		items = []store.User{}
	}
	c.JSON(http.StatusOK, UserList{Items: items})
}

// getUser is GET /v1/users/:id.
func (a *API) getUser(c *gin.Context) {
	u, err := store.GetUser(c.Request.Context(), a.Store.Pool, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "user")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

// putUser is PUT /v1/users/:id: a change of role, portfolio or e-mail, or
// disabling the user, ends their sessions.
func (a *API) putUser(c *gin.Context) {
	var req UserRequest
	if !decode(c, &req) {
		return
	}
	if req.Password != "" {
		invalid(c, "password", "is set with POST /v1/users/{id}/password")
		return
	}
	u, ok := a.checkUser(c, req)
	if !ok {
		return
	}
	u.ID = c.Param("id")
	ctx := c.Request.Context()
	var revoked []string
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		before, err := store.GetUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if u, err = store.UpdateUser(ctx, tx, u); err != nil {
			return err
		}
		if before.Role != u.Role || before.CollectorID != u.CollectorID || before.Email != u.Email || u.Disabled {
			if revoked, err = store.RevokeUserSessions(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "user.update", Entity: "user", EntityID: u.ID, Before: before, After: u})
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		notFound(c, "user")
		return
	case errors.Is(err, store.ErrEmailTaken):
		fieldProblem(c, http.StatusConflict, "email", "another user has this e-mail address")
		return
	case err != nil:
		a.fail(c, err)
		return
	}
	for _, id := range revoked {
		a.tokens.Forget(id)
	}
	c.JSON(http.StatusOK, u)
}

// setPassword is POST /v1/users/:id/password (an admin resets it): it
// lifts any lock-out and ends the user's sessions.
func (a *API) setPassword(c *gin.Context) {
	var req PasswordRequest
	if !decode(c, &req) {
		return
	}
	if !checkPassword(c, req.Password) {
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), bcrypt.DefaultCost)
	if err != nil {
		a.fail(c, fmt.Errorf("hash password: %w", err))
		return
	}
	id := c.Param("id")
	ctx := c.Request.Context()
	var revoked []string
	err = a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.SetPasswordHash(ctx, tx, id, string(hash)); err != nil {
			return err
		}
		var err error
		if revoked, err = store.RevokeUserSessions(ctx, tx, id); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "user.password", Entity: "user", EntityID: id})
	})
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "user")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	for _, tid := range revoked {
		a.tokens.Forget(tid)
	}
	c.Status(http.StatusNoContent)
}
