package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
)

// ActivePolicies returns the latest active version of each named policy,
// by name, so domain.SelectPolicy's tie-break is stable.
func ActivePolicies(ctx context.Context, q Querier) ([]domain.Policy, error) {
	rows, err := q.Query(ctx, `
		SELECT DISTINCT ON (name) name, version, definition FROM policies
		WHERE active ORDER BY name, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("active policies: %w", err)
	}
	var out []domain.Policy
	var name string
	var version int
	var def []byte
	_, err = pgx.ForEachRow(rows, []any{&name, &version, &def}, func() error {
		var p domain.Policy
		if err := json.Unmarshal(def, &p); err != nil {
			return fmt.Errorf("policy %s v%d: %w", name, version, err)
		}
		p.Name, p.Version = name, version
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("active policies: %w", err)
	}
	return out, nil
}

// SavePolicy stores p as the next version of its name and returns it with
// that version. Running cases keep the snapshot they started with.
func SavePolicy(ctx context.Context, q Querier, p domain.Policy, createdBy string) (domain.Policy, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) + 1 FROM policies WHERE name = $1`, p.Name).Scan(&p.Version)
	if err != nil {
		return p, fmt.Errorf("next version of policy %s: %w", p.Name, err)
	}
	def, err := json.Marshal(p)
	if err != nil {
		return p, fmt.Errorf("encode policy %s: %w", p.Name, err)
	}
	_, err = q.Exec(ctx, `INSERT INTO policies (name, version, definition, created_by) VALUES ($1, $2, $3, $4)`,
		p.Name, p.Version, def, createdBy)
	if IsUniqueViolation(err) {
		return p, fmt.Errorf("save policy %s v%d: %w", p.Name, p.Version, ErrConflict)
	}
	if err != nil {
		return p, fmt.Errorf("save policy %s v%d: %w", p.Name, p.Version, err)
	}
	return p, nil
}

// SeedPolicies stores ps when the table is empty (a fresh installation);
// concurrent seeders insert each row once.
func SeedPolicies(ctx context.Context, q Querier, ps ...domain.Policy) error {
	var seeded bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM policies)`).Scan(&seeded); err != nil {
		return fmt.Errorf("seed policies: %w", err)
	}
	if seeded {
		return nil
	}
	for _, p := range ps {
		def, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode policy %s: %w", p.Name, err)
		}
		_, err = q.Exec(ctx, `INSERT INTO policies (name, version, definition, created_by) VALUES ($1, $2, $3, 'seed')
			ON CONFLICT (name, version) DO NOTHING`, p.Name, p.Version, def)
		if err != nil {
			return fmt.Errorf("seed policy %s: %w", p.Name, err)
		}
	}
	return nil
}
