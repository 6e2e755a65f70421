//go:build integration

package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/relance/relance/internal/store"
)

// An admin creates a collector user; the user signs in with the password,
// acts within the portfolio under their own name in the audit log, and
// signs out; five wrong passwords lock the account until an admin resets it.
func TestIntegrationUsersSessionsAndLockOut(t *testing.T) {
	hs := newHarness(t)
	_, secret, err := store.CreateToken(context.Background(), hs.st.Pool, "root", store.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	hs.tok["admin"] = secret

	// Field errors name the field.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"email": "not-an-address", "name": "Zoé", "role": "collector", "collector_id": "c-alice"}, "email"},
		{map[string]any{"email": "zoe@example.com", "name": "Zoé", "role": "collector"}, "collector_id"},
		{map[string]any{"email": "zoe@example.com", "name": "Zoé", "role": "service"}, "role"},
		{map[string]any{"email": "zoe@example.com", "name": "Zoé", "role": "manager", "language": "de"}, "language"},
		{map[string]any{"email": "zoe@example.com", "name": "Zoé", "role": "manager", "password": "short"}, "password"},
		{map[string]any{"email": "zoe@example.com", "name": "Zoé", "role": "collector", "collector_id": "c-nobody"}, "collector_id"},
	} {
		if f := hs.expect(hs.do("admin", "POST", "/v1/users", c.body), http.StatusUnprocessableEntity).problemField(t); f != c.field {
			t.Errorf("POST /v1/users %v: field %q, want %q", c.body, f, c.field)
		}
	}
	hs.expect(hs.do("manager", "POST", "/v1/users", map[string]any{"email": "x@example.com", "name": "X", "role": "admin"}), http.StatusForbidden)

	var zoe store.User
	hs.expect(hs.do("admin", "POST", "/v1/users", map[string]any{"email": "Zoe@Example.com", "name": "Zoé Leroy", "role": "collector",
		"collector_id": "c-alice", "language": "en", "password": "correct horse battery"}), http.StatusCreated).json(t, &zoe)
	if zoe.ID == "" || !zoe.HasPassword || zoe.Language != "en" {
		t.Fatalf("created user = %+v", zoe)
	}
	if n := hs.count(`SELECT count(*) FROM users WHERE password_hash LIKE '$2%' AND password_hash NOT LIKE '%horse%'`); n != 1 {
		t.Errorf("password not stored as a bcrypt hash")
	}
	if f := hs.expect(hs.do("admin", "POST", "/v1/users", map[string]any{"email": "zoe@example.com", "name": "Other", "role": "manager"}),
		http.StatusConflict).problemField(t); f != "email" {
		t.Errorf("duplicate e-mail names %q", f)
	}

	// Sign in (the e-mail in any case), then the session acts as Zoé.
	var sess Session
	hs.expect(hs.do("", "POST", "/v1/sessions", map[string]any{"email": "zoe@example.com", "password": "correct horse battery"}), http.StatusCreated).json(t, &sess)
	if sess.Token == "" || sess.User.ID != zoe.ID {
		t.Fatalf("session = %+v", sess)
	}
	hs.tok["zoe"] = sess.Token
	var me Me
	hs.expect(hs.do("zoe", "GET", "/v1/me", nil), http.StatusOK).json(t, &me)
	if me.UserID != zoe.ID || me.Role != "collector" || me.CollectorID != "c-alice" || me.Language != "en" || me.Name != "Zoé Leroy" {
		t.Errorf("me = %+v", me)
	}
	hs.seedDebtors()
	hs.expect(hs.do("zoe", "GET", "/v1/debtors/d-alice", nil), http.StatusOK)
	hs.expect(hs.do("zoe", "GET", "/v1/debtors/d-bob", nil), http.StatusNotFound)
	hs.expect(hs.do("zoe", "GET", "/v1/users", nil), http.StatusForbidden)
	hs.expect(hs.do("zoe", "GET", "/v1/reports/kpis", nil), http.StatusForbidden)
	hs.expect(hs.do("zoe", "POST", "/v1/invoices/nope/cancel", nil), http.StatusForbidden)
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'session.create' AND actor = $1`, zoe.ID); n != 1 {
		t.Errorf("%d audit lines for the sign-in under the user's id", n)
	}

	// Sign-out revokes the session at once.
	hs.expect(hs.do("zoe", "DELETE", "/v1/sessions/current", nil), http.StatusNoContent)
	hs.expect(hs.do("zoe", "GET", "/v1/me", nil), http.StatusUnauthorized)

	// Wrong passwords: the same 401 as an unknown address, naming the password; the fifth locks.
	if f := hs.expect(hs.do("", "POST", "/v1/sessions", map[string]any{"email": "nobody@example.com", "password": "whatever123"}),
		http.StatusUnauthorized).problemField(t); f != "password" {
		t.Errorf("unknown e-mail names %q", f)
	}
	for i := range 4 {
		hs.expect(hs.do("", "POST", "/v1/sessions", map[string]any{"email": "zoe@example.com", "password": "wrong password " + string(rune('a'+i))}), http.StatusUnauthorized)
	}
	r := hs.expect(hs.do("", "POST", "/v1/sessions", map[string]any{"email": "zoe@example.com", "password": "wrong again"}), http.StatusTooManyRequests)
	if r.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After on lock-out")
	}
	// Locked: even the right password is refused.
	hs.expect(hs.do("", "POST", "/v1/sessions", map[string]any{"email": "zoe@example.com", "password": "correct horse battery"}), http.StatusTooManyRequests)
	// An admin's reset lifts the lock.
	hs.expect(hs.do("admin", "POST", "/v1/users/"+zoe.ID+"/password", map[string]any{"password": "a new long password"}), http.StatusNoContent)
	hs.expect(hs.do("", "POST", "/v1/sessions", map[string]any{"email": "zoe@example.com", "password": "a new long password"}), http.StatusCreated).json(t, &sess)
	hs.tok["zoe"] = sess.Token

	// Making Zoé a manager ends her collector session; disabling refuses sign-in.
	var updated store.User
	hs.expect(hs.do("admin", "PUT", "/v1/users/"+zoe.ID, map[string]any{"email": "zoe@example.com", "name": "Zoé Leroy", "role": "manager", "language": "fr"}),
		http.StatusOK).json(t, &updated)
	if updated.Role != "manager" || updated.CollectorID != "" {
		t.Errorf("updated = %+v", updated)
	}
	hs.expect(hs.do("zoe", "GET", "/v1/me", nil), http.StatusUnauthorized)
	hs.expect(hs.do("admin", "PUT", "/v1/users/"+zoe.ID, map[string]any{"email": "zoe@example.com", "name": "Zoé Leroy", "role": "manager", "disabled": true}), http.StatusOK)
	hs.expect(hs.do("", "POST", "/v1/sessions", map[string]any{"email": "zoe@example.com", "password": "a new long password"}), http.StatusUnauthorized)

	var list UserList
	hs.expect(hs.do("admin", "GET", "/v1/users", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 1 || !list.Items[0].Disabled {
		t.Errorf("users = %+v", list.Items)
	}
	// API tokens list does not show sessions.
	var toks TokenList
	hs.expect(hs.do("admin", "GET", "/v1/tokens", nil), http.StatusOK).json(t, &toks)
	for _, tk := range toks.Items {
		if tk.UserID != "" {
			t.Errorf("session token %s listed among API tokens", tk.ID)
		}
	}
}
