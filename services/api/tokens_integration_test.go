//go:build integration

package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/relance/relance/internal/store"
)

// An admin creates, lists and revokes tokens over HTTP; the new token works
// at once and stops working at once when revoked through the same API.
func TestIntegrationAdminManagesTokens(t *testing.T) {
	hs := newHarness(t)
	_, secret, err := store.CreateToken(context.Background(), hs.st.Pool, "root", store.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	hs.tok["admin"] = secret

	var created CreatedToken
	hs.expect(hs.do("admin", "POST", "/v1/tokens", map[string]any{"name": "Carla (mobile)", "role": "collector", "collector_id": "c-alice"}),
		http.StatusCreated).json(t, &created)
	if created.Secret == "" || created.Token.Role != "collector" || created.Token.CollectorID != "c-alice" {
		t.Fatalf("created = %+v", created)
	}
	hs.tok["carla"] = created.Secret
	hs.expect(hs.do("carla", "GET", "/v1/worklist", nil), http.StatusOK)

	var list TokenList
	hs.expect(hs.do("admin", "GET", "/v1/tokens", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 6 || list.Items[0].ID != created.Token.ID {
		t.Fatalf("list = %+v, want 6 tokens, the new one first", list.Items)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'token.create' AND entity_id = $1`, created.Token.ID); n != 1 {
		t.Errorf("%d audit lines for the creation", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE after::text LIKE '%' || $1 || '%'`, created.Secret); n != 0 {
		t.Error("the secret reached the audit log")
	}

	hs.expect(hs.do("admin", "DELETE", "/v1/tokens/"+created.Token.ID, nil), http.StatusNoContent)
	hs.expect(hs.do("carla", "GET", "/v1/worklist", nil), http.StatusUnauthorized)
	hs.expect(hs.do("admin", "DELETE", "/v1/tokens/"+created.Token.ID, nil), http.StatusNotFound)
	hs.expect(hs.do("admin", "GET", "/v1/tokens", nil), http.StatusOK).json(t, &list)
	if list.Items[0].RevokedAt == nil {
		t.Error("the revoked token is listed as live")
	}
}

func TestIntegrationTokenRequestsRefusedWriteNothing(t *testing.T) {
	hs := newHarness(t)
	_, secret, err := store.CreateToken(context.Background(), hs.st.Pool, "root", store.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	hs.tok["admin"] = secret
	for _, c := range []struct {
		name, who string
		body      map[string]any
		code      int
		field     string
	}{
		{"a manager", "manager", map[string]any{"name": "x", "role": "manager"}, http.StatusForbidden, ""},
		{"a collector", "alice", map[string]any{"name": "x", "role": "admin"}, http.StatusForbidden, ""},
		{"no name", "admin", map[string]any{"name": " ", "role": "manager"}, http.StatusUnprocessableEntity, "name"},
		{"unknown role", "admin", map[string]any{"name": "x", "role": "root"}, http.StatusUnprocessableEntity, "role"},
		{"collector without its id", "admin", map[string]any{"name": "x", "role": "collector"}, http.StatusUnprocessableEntity, "collector_id"},
		{"unknown collector", "admin", map[string]any{"name": "x", "role": "collector", "collector_id": "c-nobody"}, http.StatusUnprocessableEntity, "collector_id"},
		{"collector id on a manager", "admin", map[string]any{"name": "x", "role": "manager", "collector_id": "c-alice"}, http.StatusUnprocessableEntity, "collector_id"},
		{"unknown field", "admin", map[string]any{"name": "x", "role": "manager", "scopes": "all"}, http.StatusUnprocessableEntity, "scopes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := hs.count(`SELECT count(*) FROM api_tokens`)
			r := hs.expect(hs.do(c.who, "POST", "/v1/tokens", c.body), c.code)
			if c.field != "" {
				if f := r.problemField(t); f != c.field {
					t.Errorf("field %q, want %q", f, c.field)
				}
			}
			if after := hs.count(`SELECT count(*) FROM api_tokens`); after != before {
				t.Errorf("%d tokens stored", after-before)
			}
		})
	}
	hs.expect(hs.do("manager", "GET", "/v1/tokens", nil), http.StatusForbidden)
	hs.expect(hs.do("manager", "DELETE", "/v1/tokens/whatever", nil), http.StatusForbidden)
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'token.%'`); n != 0 {
		t.Errorf("%d audit lines for refused requests", n)
	}
}
