//go:build integration

package tokenauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

func TestIntegrationVerifierRemembersLiveTokensOnlyForAWhile(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	addCollector(t, st)
	tok, secret, err := store.CreateToken(ctx, st.Pool, "alice", store.RoleCollector, "c-alice")
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	v := NewVerifier(st.Pool)
	v.now = func() time.Time { return clock }

	if _, err := v.Verify(ctx, "rl_unknown"); !errors.Is(err, store.ErrTokenInvalid) {
		t.Fatalf("unknown secret: %v, want ErrTokenInvalid", err)
	}
	got, err := v.Verify(ctx, secret)
	if err != nil || got.ID != tok.ID || got.CollectorID != "c-alice" {
		t.Fatalf("live token: %+v %v", got, err)
	}
	if err := store.RevokeToken(ctx, st.Pool, tok.ID); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(RememberFor - time.Millisecond)
	if _, err := v.Verify(ctx, secret); err != nil {
		t.Fatalf("within %s of its check the token is still trusted: %v", RememberFor, err)
	}
	clock = clock.Add(time.Millisecond)
	if _, err := v.Verify(ctx, secret); !errors.Is(err, store.ErrTokenInvalid) {
		t.Fatalf("revoked token %s after its check: %v, want ErrTokenInvalid", RememberFor, err)
	}
	// A token created after an unknown secret was tried works at once.
	_, fresh, err := store.CreateToken(ctx, st.Pool, "bob", store.RoleManager, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
}

func TestIntegrationRequireAnswersProblems(t *testing.T) {
	gin.SetMode(gin.TestMode)
	st := testenv.Postgres(t)
	ctx := context.Background()
	addCollector(t, st)
	_, collector, err := store.CreateToken(ctx, st.Pool, "alice", store.RoleCollector, "c-alice")
	if err != nil {
		t.Fatal(err)
	}
	_, service, err := store.CreateToken(ctx, st.Pool, "erp", store.RoleService, "")
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	reached := 0
	r.POST("/pay", Require(NewVerifier(st.Pool), store.RoleService), func(c *gin.Context) {
		reached++
		c.String(http.StatusOK, Token(c).Role)
	})
	for _, tc := range []struct {
		header string
		want   int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer ", http.StatusUnauthorized},
		{"Bearer rl_nope", http.StatusUnauthorized},
		{"Bearer " + collector, http.StatusForbidden},
		{"Bearer " + service, http.StatusOK},
	} {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/pay", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		r.ServeHTTP(w, req)
		if w.Code != tc.want {
			t.Errorf("%q: %d, want %d", tc.header, w.Code, tc.want)
		}
		if w.Code != http.StatusOK && w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%q: content type %q, want problem+json", tc.header, w.Header().Get("Content-Type"))
		}
	}
	if reached != 1 {
		t.Errorf("the handler ran %d times, want once (only the service token)", reached)
	}
}

func addCollector(t *testing.T, st *store.Store) {
	t.Helper()
	if err := store.UpsertCollector(context.Background(), st.Pool, store.Collector{ID: "c-alice", Name: "Alice", Active: true}); err != nil {
		t.Fatal(err)
	}
}
