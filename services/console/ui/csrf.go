package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
)

// Cross-site request forgery: every form carries a token that is the
// HMAC of the session cookie (or, before sign-in, of a pre-session
// cookie) under the console's secret, so only a page the console rendered
// for this browser can post. Browsers that say a request is cross-site
// (Sec-Fetch-Site) or from another origin are refused before that.

const csrfField = "csrf"

// csrfToken is the token of the request's session (or pre-session)
// cookie; "" when it has neither.
func (c *Console) csrfToken(r *http.Request) string {
	if tok := tokenOf(r); tok != "" {
		return c.mac("session:" + tok)
	}
	if ck, err := r.Cookie(presessionCookie); err == nil && ck.Value != "" {
		return c.mac("pre:" + ck.Value)
	}
	return ""
}

func (c *Console) mac(s string) string {
	m := hmac.New(sha256.New, c.cfg.Secret)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// guard refuses a forged or cross-site post with 403.
func (c *Console) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !c.sameOrigin(r) {
			c.forbidCSRF(w, r)
			return
		}
		want := c.csrfToken(r)
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			// Reading the form here bounds it like every form of the console.
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseMultipartForm(maxForm); err != nil && err != http.ErrNotMultipart {
				c.forbidCSRF(w, r)
				return
			}
			got = r.PostFormValue(csrfField)
		}
		if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
			c.forbidCSRF(w, r)
			return
		}
		next(w, r)
	}
}

// maxForm bounds a posted form (a CSV upload is the largest).
const maxForm = 16 << 20

// sameOrigin checks what the browser says of the request's origin.
func (c *Console) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

func (c *Console) forbidCSRF(w http.ResponseWriter, r *http.Request) {
	v := c.view(w, r, "error.title")
	v.Message = v.L.T("error.csrf")
	c.render(w, r, http.StatusForbidden, "error", v)
}
