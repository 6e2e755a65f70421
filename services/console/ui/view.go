package ui

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/relance/relance/services/console/apiclient"
)

// View is what every page gets: the user, their language, the CSRF token,
// a message, the errors of a refused form (by form and field, as the API
// named them) and the values to show again, and the page's own data.
type View struct {
	L     locale
	Me    *apiclient.Me
	CSRF  string
	Title string
	Nav   string
	Flash string
	// Message is the text of an error page.
	Message string
	// FormName is the form whose post was refused; Errors and Values are its.
	FormName string
	Errors   map[string]string
	Values   url.Values
	// Pending is a form whose post met an expired session.
	Pending    *Pending
	TemporalUI string
	Data       any
}

// Pending is a refused post to send again after signing in.
type Pending struct {
	Action string
	Fields []Field
}

// Field is one name and value of a form.
type Field struct{ Name, Value string }

// view gathers what every page needs; titleKey names its title.
func (c *Console) view(w http.ResponseWriter, r *http.Request, titleKey string) *View {
	me := userOf(r)
	lang := "fr"
	if me != nil {
		lang = me.Language
	} else if q := r.URL.Query().Get("lang"); q == "en" {
		lang = q
	}
	v := &View{L: newLocale(lang, c.cfg.Location), Me: me, CSRF: c.csrfToken(r), TemporalUI: c.cfg.TemporalUI,
		Errors: map[string]string{}}
	if v.CSRF == "" && w != nil {
		// A first visit: a pre-session cookie lets the sign-in form carry a token.
		pre := newSecret()
		c.setCookie(w, r, presessionCookie, pre, 0)
		v.CSRF = c.mac("pre:" + pre)
	}
	v.Title = v.L.T(titleKey)
	return v
}

// Err is the reason the API gave for field of form, if that form was refused.
func (v *View) Err(form, field string) string {
	if v.FormName != form {
		return ""
	}
	return v.Errors[field]
}

// FormErrors lists the refused form's errors, fields sorted.
func (v *View) FormErrors(form string) []apiclient.FieldError {
	if v.FormName != form {
		return nil
	}
	var out []apiclient.FieldError
	for f, reason := range v.Errors {
		out = append(out, apiclient.FieldError{Field: f, Reason: reason})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// Val is the value typed in field of form, shown again after a refusal.
func (v *View) Val(form, field string) string {
	if v.FormName != form {
		return ""
	}
	return v.Values.Get(field)
}

// Manager tells whether the user sees the manager's pages in the menu (the
// API decides what they may open).
func (v *View) Manager() bool {
	return v.Me != nil && (v.Me.Role == "manager" || v.Me.Role == "admin")
}

// Admin tells whether the user sees the admin pages in the menu.
func (v *View) Admin() bool { return v.Me != nil && v.Me.Role == "admin" }

// Worker tells whether the user works tasks.
func (v *View) Worker() bool { return v.Me != nil && v.Me.Role != "service" }

// render executes page inside the layout; the page is written only once
// it has rendered whole.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v *View) {
	var buf bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.cfg.Logger.Error("render page", "page", page, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// apiFailed answers a failed API read: its 401 goes to the sign-in, 403
// and 404 become the console's pages of the same status, the rest 502.
func (c *Console) apiFailed(w http.ResponseWriter, r *http.Request, err error) {
	status := apiclient.Status(err)
	if status == http.StatusUnauthorized {
		c.toSignIn(w, r)
		return
	}
	v := c.view(w, r, "error.title")
	switch status {
	case http.StatusForbidden:
		v.Message = v.L.T("error.forbidden")
	case http.StatusNotFound:
		v.Message = v.L.T("error.notfound")
	default:
		c.cfg.Logger.Error("API call failed", "path", r.URL.Path, "err", err)
		v.Message = v.L.T("error.api")
		status = http.StatusBadGateway
	}
	c.render(w, r, status, "error", v)
}

// refused reports whether err is the API refusing a form (400, 409, 422,
// 429): its fields are then shown on the form.
func refused(err error) (*apiclient.Problem, bool) {
	p, ok := apiclient.AsProblem(err)
	if !ok {
		return nil, false
	}
	switch p.Status {
	case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		return p, true
	}
	return nil, false
}

// withRefusal fills v with the errors of a refused form.
func (v *View) withRefusal(form string, r *http.Request, p *apiclient.Problem) {
	v.FormName, v.Values = form, r.PostForm
	v.Errors = p.Fields()
	if len(v.Errors) == 0 {
		v.Errors[""] = p.Detail
	}
	v.Flash = v.L.T("error.form")
}

// pendingForm keeps a post's fields (not its token) for after a sign-in.
func pendingForm(r *http.Request) *Pending {
	if !localPath(r.URL.Path) {
		return nil
	}
	p := &Pending{Action: r.URL.Path}
	names := make([]string, 0, len(r.PostForm))
	for name := range r.PostForm {
		if name != csrfField {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		for _, val := range r.PostForm[name] {
			p.Fields = append(p.Fields, Field{Name: name, Value: val})
		}
	}
	return p
}

// localPath accepts only a path of this site, so a redirect or a resent
// form never leaves it.
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") && !strings.ContainsAny(p, "\r\n")
}

// back redirects after a successful post (post/redirect/get).
func back(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		path += "?done=" + url.QueryEscape(flash)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// FieldSpec is one labelled input of a form, for the "field" template.
type FieldSpec struct {
	V                           *View
	Form, Name, Label, Type, ID string
}

// Field describes an input named as the API's field, labelled by the
// message labelKey, of type typ ("text", "date", "textarea", "amount").
func (v *View) Field(form, name, labelKey, typ string) FieldSpec {
	id := strings.NewReplacer(".", "-", "[", "-", "]", "", ":", "-", "_", "-").Replace(form + "-" + name)
	return FieldSpec{V: v, Form: form, Name: name, Label: labelKey, Type: typ, ID: id}
}
