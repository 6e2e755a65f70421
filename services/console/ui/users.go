package ui

import (
	"net/http"
	"strings"

	"github.com/relance/relance/services/console/apiclient"
)

// UsersPage lists the users with a form for a new one.
type UsersPage struct {
	Items []apiclient.User
	Roles []string
}

// usersShow is GET /admin/users (the API answers 403 to anyone but an admin).
func (c *Console) usersShow(w http.ResponseWriter, r *http.Request) {
	c.renderUsers(w, r, http.StatusOK, c.view(w, r, "users.title"))
}

func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, status int, v *View) {
	var list struct {
		Items []apiclient.User `json:"items"`
	}
	if err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodGet, "/v1/users", nil, &list); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	if done := r.URL.Query().Get("done"); done != "" && v.Flash == "" {
		v.Flash = v.L.T(done)
	}
	v.Nav, v.Data = "users", UsersPage{Items: list.Items, Roles: []string{"collector", "manager", "admin"}}
	c.render(w, r, status, "users", v)
}

func userBody(r *http.Request) map[string]any {
	return map[string]any{
		"email": strings.TrimSpace(r.PostFormValue("email")), "name": strings.TrimSpace(r.PostFormValue("name")),
		"role": r.PostFormValue("role"), "collector_id": strings.TrimSpace(r.PostFormValue("collector_id")),
		"language": r.PostFormValue("language"),
	}
}

// userCreate is POST /admin/users.
func (c *Console) userCreate(w http.ResponseWriter, r *http.Request) {
	body := userBody(r)
	if pw := r.PostFormValue("password"); pw != "" {
		body["password"] = pw
	}
	c.userPost(w, r, "user:new", http.MethodPost, "/v1/users", body, "users.saved")
}

// userSave is POST /admin/users/{id}: role, language, disabling.
func (c *Console) userSave(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body := userBody(r)
	body["disabled"] = r.PostFormValue("disabled") == "on"
	c.userPost(w, r, "user:"+id, http.MethodPut, "/v1/users/"+apiclient.PathEscape(id), body, "users.saved")
}

// userPassword is POST /admin/users/{id}/password: an admin resets it.
func (c *Console) userPassword(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c.userPost(w, r, "password:"+id, http.MethodPost, "/v1/users/"+apiclient.PathEscape(id)+"/password",
		map[string]string{"password": r.PostFormValue("password")}, "users.pwset")
}

func (c *Console) userPost(w http.ResponseWriter, r *http.Request, formName, method, path string, body any, done string) {
	err := c.cfg.API.Call(r.Context(), tokenOf(r), method, path, body, nil)
	if p, ok := refused(err); ok {
		v := c.view(w, r, "users.title")
		v.withRefusal(formName, r, p)
		v.Values.Del("password")
		c.renderUsers(w, r, p.Status, v)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	back(w, r, "/admin/users", done)
}
