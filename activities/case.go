// Package activities holds the Temporal activities of the collection
// workflow: all its I/O. Activities are methods on structs holding their
// dependencies, registered under the names of domain/activities.go.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
)

// CaseActivities load a case, write its projection, apply the contact
// rules and close its tasks.
type CaseActivities struct {
	Store  *store.Store
	Rules  domain.ContactRules
	Logger *slog.Logger
}

// NewCaseActivities returns the case activities on st.
func NewCaseActivities(st *store.Store, rules domain.ContactRules, logger *slog.Logger) *CaseActivities {
	return &CaseActivities{Store: st, Rules: rules, Logger: logger}
}

// Register registers the activities under their domain names.
func (a *CaseActivities) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(a.LoadCase, activity.RegisterOptions{Name: domain.ActivityLoadCase})
	r.RegisterActivityWithOptions(a.RecordCase, activity.RegisterOptions{Name: domain.ActivityRecordCase})
	r.RegisterActivityWithOptions(a.CheckContact, activity.RegisterOptions{Name: domain.ActivityCheckContact})
	r.RegisterActivityWithOptions(a.CloseTasks, activity.RegisterOptions{Name: domain.ActivityCloseTasks})
}

// nonRetryable marks an error no retry can fix.
func nonRetryable(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), domain.ErrTypePermanent, err)
}

// LoadCase returns the invoice's facts and the snapshot of the policy that
// fits its debtor: the latest active version of each policy, the most
// specific match by segment and risk. A fresh installation gets the
// default and demo policies.
func (a *CaseActivities) LoadCase(ctx context.Context, in domain.LoadCaseInput) (domain.CaseFacts, error) {
	facts, err := store.CaseFactsOf(ctx, a.Store.Pool, in.InvoiceID)
	if errors.Is(err, store.ErrNotFound) {
		return facts, nonRetryable(err)
	}
	if err != nil {
		return facts, err
	}
	if err := store.SeedPolicies(ctx, a.Store.Pool, domain.DefaultPolicy(), domain.DemoPolicy()); err != nil {
		return facts, err
	}
	policies, err := store.ActivePolicies(ctx, a.Store.Pool)
	if err != nil {
		return facts, err
	}
	p, ok := domain.SelectPolicy(policies, facts.Segment, facts.RiskRating)
	if !ok {
		return facts, nonRetryable(fmt.Errorf("no active policy matches segment %q and risk %q", facts.Segment, facts.RiskRating))
	}
	facts.Policy = p
	return facts, nil
}

// RecordCase writes the case projection and its timeline entry, once per
// event key however often it is retried.
func (a *CaseActivities) RecordCase(ctx context.Context, rec domain.CaseRecord) error {
	return store.RecordCase(ctx, a.Store, temporalx.CaseWorkflowID(rec.InvoiceID), rec)
}

// CheckContact applies the contact rules to the debtor's current facts.
func (a *CaseActivities) CheckContact(ctx context.Context, in domain.ContactCheckInput) (domain.ContactDecision, error) {
	facts, err := store.ContactFactsOf(ctx, a.Store.Pool, in.DebtorID, in.Channel, in.At)
	if errors.Is(err, store.ErrNotFound) {
		return domain.ContactDecision{}, nonRetryable(err)
	}
	if err != nil {
		return domain.ContactDecision{}, err
	}
	return domain.DecideContact(a.Rules, facts), nil
}

// CloseTasks closes the case's open call tasks.
func (a *CaseActivities) CloseTasks(ctx context.Context, in domain.CloseTasksInput) error {
	n, err := store.CloseOpenTasks(ctx, a.Store.Pool, in.InvoiceID, in.Reason)
	if err != nil {
		return err
	}
	if n > 0 && a.Logger != nil {
		a.Logger.Info("call tasks closed", "invoice_id", in.InvoiceID, "count", n, "reason", in.Reason)
	}
	return nil
}
