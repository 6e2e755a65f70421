package ui

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/relance/relance/services/console/apiclient"
)

// The session cookie holds the user's API session token (issued by POST
// /v1/sessions): the console keeps no session state of its own, and the
// API decides on every call whether the session still stands (expired,
// signed out, role changed, user disabled). HttpOnly keeps it from
// scripts, SameSite=Lax from other sites' posts, Secure on TLS.
const (
	sessionCookie    = "relance_session"
	presessionCookie = "relance_presession"
)

type ctxKey int

const meKey ctxKey = iota

// userOf is the signed-in user of a request behind signedIn.
func userOf(r *http.Request) *apiclient.Me {
	me, _ := r.Context().Value(meKey).(*apiclient.Me)
	return me
}

// tokenOf is the request's API session token.
func tokenOf(r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

func (c *Console) secure(r *http.Request) bool {
	return c.cfg.SecureCookies || r.TLS != nil
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
}

// signedIn admits requests of a live session and loads its user; others
// go to the sign-in page (a GET remembers where it was going, a POST keeps
// the form's data for after the sign-in).
func (c *Console) signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := tokenOf(r)
		if token == "" {
			c.toSignIn(w, r)
			return
		}
		var me apiclient.Me
		err := c.cfg.API.Call(r.Context(), token, http.MethodGet, "/v1/me", nil, &me)
		if apiclient.Status(err) == http.StatusUnauthorized {
			c.toSignIn(w, r)
			return
		}
		if err != nil {
			c.apiFailed(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), meKey, &me)))
	}
}

// toSignIn answers a request without a live session.
func (c *Console) toSignIn(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		http.Redirect(w, r, "/signin?next="+apiclient.PathEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	// A post whose session ended: sign in again, then resend what was typed.
	_ = r.ParseForm()
	v := c.view(w, r, "signin.title")
	v.Flash = v.L.T("signin.expired")
	v.Pending = pendingForm(r)
	c.render(w, r, http.StatusUnauthorized, "signin", v)
}

// newSecret makes a random cookie value.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
