package ui

import (
	"net/http"
	"strings"

	"github.com/relance/relance/services/console/apiclient"
)

// signinShow is GET /signin.
func (c *Console) signinShow(w http.ResponseWriter, r *http.Request) {
	v := c.view(w, r, "signin.title")
	v.Values = r.URL.Query()
	v.FormName = "signin"
	c.render(w, r, http.StatusOK, "signin", v)
}

// signinSubmit is POST /signin: the API checks the password (and counts
// failures); its session token becomes the session cookie. A form kept
// from an expired session is shown again to be resent.
func (c *Console) signinSubmit(w http.ResponseWriter, r *http.Request) {
	var sess apiclient.Session
	err := c.cfg.API.Call(r.Context(), "", http.MethodPost, "/v1/sessions", map[string]string{
		"email": strings.TrimSpace(r.PostFormValue("email")), "password": r.PostFormValue("password"),
	}, &sess)
	if err != nil {
		p, ok := apiclient.AsProblem(err)
		if !ok || (p.Status != http.StatusUnauthorized && p.Status != http.StatusTooManyRequests && p.Status != http.StatusUnprocessableEntity) {
			c.apiFailed(w, r, err)
			return
		}
		v := c.view(w, r, "signin.title")
		v.FormName, v.Values = "signin", r.PostForm
		v.Values.Del("password")
		v.Errors = p.Fields()
		if p.Status == http.StatusTooManyRequests {
			v.Errors["password"] = v.L.T("signin.locked")
		}
		v.Pending = keptPending(r)
		c.render(w, r, p.Status, "signin", v)
		return
	}
	c.startSession(w, r, sess)
	if pending := keptPending(r); pending != nil {
		// The form's token was the old session's: render it again with the new one.
		v := c.view(nil, r, "resubmit.title")
		v.CSRF = c.mac("session:" + sess.Token)
		v.L = newLocale(sess.User.Language, c.cfg.Location)
		v.Title = v.L.T("resubmit.title")
		v.Pending = pending
		c.render(w, r, http.StatusOK, "resubmit", v)
		return
	}
	next := r.PostFormValue("next")
	if !localPath(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// startSession sets the session cookie and drops the pre-session one.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, sess apiclient.Session) {
	c.setCookie(w, r, sessionCookie, sess.Token, 0)
	c.setCookie(w, r, presessionCookie, "", -1)
}

// keptPending reads a form kept by the sign-in page (fields named "_p:<name>").
func keptPending(r *http.Request) *Pending {
	action := r.PostFormValue("_pending_action")
	if action == "" || !localPath(action) {
		return nil
	}
	p := &Pending{Action: action}
	for name, vals := range r.PostForm {
		if field, ok := strings.CutPrefix(name, "_p:"); ok {
			for _, val := range vals {
				p.Fields = append(p.Fields, Field{Name: field, Value: val})
			}
		}
	}
	return p
}

// signout is POST /signout: the API revokes the session token.
func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodDelete, "/v1/sessions/current", nil, nil)
	if err != nil && apiclient.Status(err) != http.StatusUnauthorized {
		c.apiFailed(w, r, err)
		return
	}
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
