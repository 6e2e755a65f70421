package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Roles a token can carry.
const (
	RoleCollector = "collector"
	RoleManager   = "manager"
	RoleAdmin     = "admin"
	RoleService   = "service"
)

// ValidRole reports whether role is one of the four token roles.
func ValidRole(role string) bool {
	switch role {
	case RoleCollector, RoleManager, RoleAdmin, RoleService:
		return true
	}
	return false
}

// APIToken is a bearer token's record; the secret itself is never stored.
type APIToken struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	CollectorID string     `json:"collector_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// UserID and ExpiresAt are set on a user's session token only.
	UserID    string     `json:"user_id,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// HashToken is the SHA-256 of a secret, the only form stored. Lookups go
// by hash, so no secret-dependent comparison happens in Go.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ErrTokenInvalid is returned for an unknown or revoked secret.
var ErrTokenInvalid = errors.New("invalid or revoked token")

// CreateToken stores a new token and returns its record and secret; the
// secret is shown once and cannot be recovered.
func CreateToken(ctx context.Context, q Querier, name, role, collectorID string) (APIToken, string, error) {
	if !ValidRole(role) {
		return APIToken{}, "", fmt.Errorf("create token: unknown role %q", role)
	}
	if role == RoleCollector && collectorID == "" {
		return APIToken{}, "", fmt.Errorf("create token: a collector token needs a collector id")
	}
	return insertToken(ctx, q, APIToken{Name: name, Role: role, CollectorID: collectorID})
}

// insertToken stores t under a fresh ID and secret.
func insertToken(ctx context.Context, q Querier, t APIToken) (APIToken, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return APIToken{}, "", fmt.Errorf("create token: %w", err)
	}
	idRaw := make([]byte, 6)
	if _, err := rand.Read(idRaw); err != nil {
		return APIToken{}, "", fmt.Errorf("create token: %w", err)
	}
	secret := "rl_" + base64.RawURLEncoding.EncodeToString(raw)
	t.ID = "tok_" + hex.EncodeToString(idRaw)
	err := q.QueryRow(ctx, `INSERT INTO api_tokens (id, name, token_hash, role, collector_id, user_id, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
		t.ID, t.Name, HashToken(secret), t.Role, nullable(t.CollectorID), nullable(t.UserID), t.ExpiresAt).Scan(&t.CreatedAt)
	if err != nil {
		return APIToken{}, "", fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return t, secret, nil
}

// nullable maps "" to SQL NULL.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// LookupToken finds the live token whose secret is given.
func LookupToken(ctx context.Context, q Querier, secret string) (APIToken, error) {
	var t APIToken
	err := q.QueryRow(ctx, `SELECT id, name, role, coalesce(collector_id, ''), created_at, coalesce(user_id, ''), expires_at FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`, HashToken(secret)).
		Scan(&t.ID, &t.Name, &t.Role, &t.CollectorID, &t.CreatedAt, &t.UserID, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return APIToken{}, ErrTokenInvalid
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("look up token: %w", err)
	}
	return t, nil
}

// RevokeToken revokes a token by ID; ErrNotFound when no live token has it.
func RevokeToken(ctx context.Context, q Querier, id string) error {
	tag, err := q.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return nil
}

// RevokeTokensNamed revokes every live token whose name starts with prefix
// (the demo loader replaces its tokens on each run).
func RevokeTokensNamed(ctx context.Context, q Querier, prefix string) error {
	if _, err := q.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE starts_with(name, $1) AND revoked_at IS NULL`, prefix); err != nil {
		return fmt.Errorf("revoke tokens %s*: %w", prefix, err)
	}
	return nil
}

// ListTokens lists every API token, live and revoked, newest first
// (users' session tokens are not listed); secrets are not stored, so none
// is listed.
func ListTokens(ctx context.Context, q Querier) ([]APIToken, error) {
	rows, err := q.Query(ctx, `SELECT id, name, role, coalesce(collector_id, ''), created_at, revoked_at
		FROM api_tokens WHERE user_id IS NULL ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) {
		var t APIToken
		err := r.Scan(&t.ID, &t.Name, &t.Role, &t.CollectorID, &t.CreatedAt, &t.RevokedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}
