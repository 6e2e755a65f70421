// Package store keeps Relance's state in Postgres through pgx/v5. The SQL
// migrations are embedded and applied at start-up and by `relance-migrate`.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the Postgres-backed repository of every aggregate.
type Store struct {
	Pool *pgxpool.Pool
	// migrated is set once MigrateInBackground has applied the migrations;
	// until then Ready reports the store not ready.
	migrated atomic.Bool
	// waitMigrations is set by MigrateInBackground.
	waitMigrations atomic.Bool
}

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write breaks a uniqueness rule.
var ErrConflict = errors.New("conflict")

// Open connects a pool to databaseURL. It does not wait for the database
// to be up: pgxpool dials lazily, so a service starts (and reports not
// ready) while Postgres is down, and reconnects when it returns.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	return &Store{Pool: pool}, nil
}

// Close releases the pool.
func (s *Store) Close() { s.Pool.Close() }

// Ready is the readiness check of a service: the database answers and,
// when the service migrates in the background, the migrations are applied.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Pool.Ping(ctx); err != nil {
		return err
	}
	if s.waitMigrations.Load() && !s.migrated.Load() {
		return errors.New("migrations not applied yet")
	}
	return nil
}

// MigrateInBackground applies the migrations, retrying with backoff until
// they succeed or ctx ends, so a service starts while Postgres is down
// (reporting not ready) instead of crashing, and becomes ready once the
// database is back and migrated.
func (s *Store) MigrateInBackground(ctx context.Context, logger *slog.Logger) {
	s.waitMigrations.Store(true)
	go func() {
		delay := 500 * time.Millisecond
		for {
			err := s.Migrate(ctx)
			if err == nil {
				s.migrated.Store(true)
				logger.Info("migrations applied")
				return
			}
			logger.Warn("migrations not applied, retrying", "err", err, "in", delay)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, 15*time.Second)
		}
	}()
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	db := stdlib.OpenDBFromPool(s.Pool)
	defer db.Close()
	return migrate(ctx, db)
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations folder: %w", err)
	}
	// Several services may start at once: an advisory lock makes one of
	// them migrate while the others wait.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	// Out-of-order: migrations of features developed side by side keep
	// their own number ranges, so a database that already has a later one
	// still gets an earlier one added after it.
	provider, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migration provider: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// InTx runs fn in a transaction, committing when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.Pool, fn)
}

// IsUniqueViolation reports whether err is a Postgres unique violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// Migrations returns the embedded migration files (folder "migrations").
func Migrations() fs.FS { return migrations }

// Querier is what both a pool and a transaction offer, so store functions
// can run inside a caller's transaction or on their own.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
