package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is a person who signs in to the console. The password hash is not
// part of it: only the sign-in path reads it (UserForSignIn).
type User struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	CollectorID string     `json:"collector_id,omitempty"`
	Language    string     `json:"language"`
	HasPassword bool       `json:"has_password"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ValidUserRole reports whether role is one a person can hold (service
// tokens are for programs).
func ValidUserRole(role string) bool {
	return role == RoleCollector || role == RoleManager || role == RoleAdmin
}

// ErrEmailTaken is returned when another user has the e-mail address.
var ErrEmailTaken = errors.New("another user has this e-mail address")

const userColumns = `id, email, name, role, coalesce(collector_id, ''), language, password_hash IS NOT NULL,
	CASE WHEN locked_until > now() THEN locked_until END, disabled_at IS NOT NULL, created_at, updated_at`

func scanUser(r pgx.Row, extra ...any) (User, error) {
	var u User
	dest := append([]any{&u.ID, &u.Email, &u.Name, &u.Role, &u.CollectorID, &u.Language, &u.HasPassword,
		&u.LockedUntil, &u.Disabled, &u.CreatedAt, &u.UpdatedAt}, extra...)
	err := r.Scan(dest...)
	return u, err
}

// CreateUser stores a new user with a password hash (empty: none, the
// user signs in through OpenID Connect) and returns it with its ID.
func CreateUser(ctx context.Context, q Querier, u User, passwordHash string) (User, error) {
	raw := make([]byte, 6)
	if _, err := rand.Read(raw); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if u.ID == "" {
		u.ID = "usr_" + hex.EncodeToString(raw)
	}
	row := q.QueryRow(ctx, `INSERT INTO users (id, email, name, role, collector_id, language, password_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+userColumns,
		u.ID, strings.TrimSpace(u.Email), u.Name, u.Role, nullable(u.CollectorID), u.Language, nullable(passwordHash))
	out, err := scanUser(row)
	if IsUniqueViolation(err) {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", u.Email, err)
	}
	return out, nil
}

// GetUser loads a user by ID.
func GetUser(ctx context.Context, q Querier, id string) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// UserForSignIn loads a user by e-mail (case-insensitive) with the
// password hash ("" when none).
func UserForSignIn(ctx context.Context, q Querier, email string) (User, string, error) {
	var hash *string
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE lower(email) = lower($1)`,
		strings.TrimSpace(email)), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, "", fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return User{}, "", fmt.Errorf("get user %s: %w", email, err)
	}
	if hash == nil {
		return u, "", nil
	}
	return u, *hash, nil
}

// ListUsers lists every user by name.
func ListUsers(ctx context.Context, q Querier) ([]User, error) {
	rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser saves a user's name, e-mail, role, collector, language and
// whether it is disabled.
func UpdateUser(ctx context.Context, q Querier, u User) (User, error) {
	var disabled *time.Time
	if u.Disabled {
		now := time.Now()
		disabled = &now
	}
	out, err := scanUser(q.QueryRow(ctx, `UPDATE users SET email = $2, name = $3, role = $4, collector_id = $5, language = $6,
		disabled_at = CASE WHEN $7::timestamptz IS NULL THEN NULL ELSE coalesce(disabled_at, $7) END, updated_at = now()
		WHERE id = $1 RETURNING `+userColumns,
		u.ID, strings.TrimSpace(u.Email), u.Name, u.Role, nullable(u.CollectorID), u.Language, disabled))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", u.ID, ErrNotFound)
	}
	if IsUniqueViolation(err) {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("update user %s: %w", u.ID, err)
	}
	return out, nil
}

// SetPasswordHash replaces a user's password hash and lifts any lock-out.
func SetPasswordHash(ctx context.Context, q Querier, id, hash string) error {
	tag, err := q.Exec(ctx, `UPDATE users SET password_hash = $2, failed_attempts = 0, locked_until = NULL, updated_at = now()
		WHERE id = $1`, id, hash)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	return nil
}

// RecordSignInFailure counts a failed password; the max-th consecutive one
// locks the user for lockFor. It reports whether the user is now locked.
func RecordSignInFailure(ctx context.Context, q Querier, id string, max int, lockFor time.Duration) (bool, error) {
	var locked bool
	err := q.QueryRow(ctx, `UPDATE users SET
			failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
			locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + $3 * interval '1 second' ELSE locked_until END
		WHERE id = $1 RETURNING coalesce(locked_until > now(), false)`, id, max, lockFor.Seconds()).Scan(&locked)
	if err != nil {
		return false, fmt.Errorf("record failed sign-in of %s: %w", id, err)
	}
	return locked, nil
}

// RecordSignInSuccess clears the count of failed passwords.
func RecordSignInSuccess(ctx context.Context, q Querier, id string) error {
	if _, err := q.Exec(ctx, `UPDATE users SET failed_attempts = 0 WHERE id = $1 AND failed_attempts <> 0`, id); err != nil {
		return fmt.Errorf("record sign-in of %s: %w", id, err)
	}
	return nil
}

// CreateSession issues a session token for u, valid for ttl, carrying the
// user's role and collector at this moment.
func CreateSession(ctx context.Context, q Querier, u User, ttl time.Duration) (APIToken, string, error) {
	exp := time.Now().Add(ttl)
	return insertToken(ctx, q, APIToken{Name: "session:" + u.Email, Role: u.Role, CollectorID: u.CollectorID, UserID: u.ID, ExpiresAt: &exp})
}

// RevokeUserSessions ends every live session of a user (after a change of
// role, portfolio or password, or when the user is disabled); it returns
// the revoked token IDs.
func RevokeUserSessions(ctx context.Context, q Querier, userID string) ([]string, error) {
	rows, err := q.Query(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`, userID)
	if err != nil {
		return nil, fmt.Errorf("revoke sessions of %s: %w", userID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("revoke sessions of %s: %w", userID, err)
	}
	return ids, nil
}
