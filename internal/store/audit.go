package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// Actor is who performs a write, recorded in the audit log.
type Actor struct {
	ID   string // token id, "system", or a service name
	Role string // collector, manager, admin, service, system
}

// AuditEntry is one write: who did what to which entity, before and after.
type AuditEntry struct {
	Actor    Actor
	Action   string // e.g. invoice.create, promise.record
	Entity   string // e.g. invoice, debtor, task
	EntityID string
	Before   any // nil when created
	After    any // nil when deleted
}

// Audit writes an entry with q (a pool or the transaction of the write it
// records, so the write and its audit line commit together).
func Audit(ctx context.Context, q Querier, e AuditEntry) error {
	before, err := jsonOrNil(e.Before)
	if err != nil {
		return fmt.Errorf("audit %s %s: before: %w", e.Action, e.EntityID, err)
	}
	after, err := jsonOrNil(e.After)
	if err != nil {
		return fmt.Errorf("audit %s %s: after: %w", e.Action, e.EntityID, err)
	}
	_, err = q.Exec(ctx,
		`INSERT INTO audit_log (actor, role, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.Actor.ID, e.Actor.Role, e.Action, e.Entity, e.EntityID, before, after)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.EntityID, err)
	}
	return nil
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}
