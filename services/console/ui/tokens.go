package ui

import (
	"net/http"
	"strings"

	"github.com/relance/relance/services/console/apiclient"
)

// TokensPage lists the API tokens; Secret is a new token's, shown once.
type TokensPage struct {
	Items  []apiclient.Token
	Secret string
	Roles  []string
}

// tokensShow is GET /admin/tokens.
func (c *Console) tokensShow(w http.ResponseWriter, r *http.Request) {
	c.renderTokens(w, r, http.StatusOK, c.view(w, r, "tokens.title"), "")
}

func (c *Console) renderTokens(w http.ResponseWriter, r *http.Request, status int, v *View, secret string) {
	var list struct {
		Items []apiclient.Token `json:"items"`
	}
	if err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodGet, "/v1/tokens", nil, &list); err != nil {
		c.apiFailed(w, r, err)
		return
	}
	v.Nav, v.Data = "tokens", TokensPage{Items: list.Items, Secret: secret, Roles: []string{"service", "collector", "manager", "admin"}}
	c.render(w, r, status, "tokens", v)
}

// tokenCreate is POST /admin/tokens: the page that answers shows the
// secret this once (it is not redirected, so it is never in a URL).
func (c *Console) tokenCreate(w http.ResponseWriter, r *http.Request) {
	var out struct {
		Secret string `json:"secret"`
	}
	err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodPost, "/v1/tokens", map[string]string{
		"name": strings.TrimSpace(r.PostFormValue("name")), "role": r.PostFormValue("role"),
		"collector_id": strings.TrimSpace(r.PostFormValue("collector_id")),
	}, &out)
	v := c.view(w, r, "tokens.title")
	if p, ok := refused(err); ok {
		v.withRefusal("token", r, p)
		c.renderTokens(w, r, p.Status, v, "")
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.renderTokens(w, r, http.StatusCreated, v, out.Secret)
}

// tokenRevoke is POST /admin/tokens/{id}/revoke.
func (c *Console) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	err := c.cfg.API.Call(r.Context(), tokenOf(r), http.MethodDelete, "/v1/tokens/"+apiclient.PathEscape(r.PathValue("id")), nil, nil)
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/tokens", http.StatusSeeOther)
}
