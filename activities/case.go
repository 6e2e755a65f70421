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
	// Channels act on the rungs inside ActOnRung; the worker wires its
	// *ChannelActivities here. Without them ActOnRung only applies the
	// contact rules and the workflow calls the channel activities itself.
	Channels RungChannels
}

// RungChannels are the channel activities a rung's action calls.
type RungChannels interface {
	SendMessage(ctx context.Context, in domain.SendInput) (domain.SendResult, error)
	CreateCallTask(ctx context.Context, in domain.CallTaskInput) (domain.CallTaskResult, error)
	HandOffToAgency(ctx context.Context, in domain.HandoffInput) (domain.HandoffResult, error)
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
	r.RegisterActivityWithOptions(a.ActOnRung, activity.RegisterOptions{Name: domain.ActivityActOnRung})
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
	if p, err = a.assignArm(ctx, in.InvoiceID, p, policies); err != nil {
		return facts, err
	}
	facts.Policy = p
	if facts.Contact != nil {
		facts.Contact.Calendar = a.Rules.Calendar
	}
	return facts, nil
}

// RecordCase writes the case projection and its timeline entry, once per
// event key however often it is retried.
func (a *CaseActivities) RecordCase(ctx context.Context, rec domain.CaseRecord) error {
	return store.RecordCase(ctx, a.Store, temporalx.CaseWorkflowID(rec.InvoiceID), rec)
}

// CheckContact applies the contact rules to the debtor's current facts.
func (a *CaseActivities) CheckContact(ctx context.Context, in domain.ContactCheckInput) (domain.ContactDecision, error) {
	return a.decideContact(ctx, in)
}

// ActOnRung applies the contact rules to the attempt's channel and, when
// they allow it, acts through the channels and writes in.Done once the
// action is done. An attempt already begun (its interaction or task is
// recorded under its key: this is a retry) skips the rules, which would
// otherwise count its own message against the weekly cap.
func (a *CaseActivities) ActOnRung(ctx context.Context, in domain.RungActionInput) (domain.RungActionResult, error) {
	var res domain.RungActionResult
	if in.Handoff == nil {
		begun, err := a.begun(ctx, in)
		if err != nil {
			return res, err
		}
		if begun {
			res.Contact = domain.ContactDecision{Allowed: true}
		} else if res.Contact, err = a.decideContact(ctx, in.Contact); err != nil {
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || !app.NonRetryable() {
				return res, err
			}
			res.Contact = domain.ContactDecision{Skip: true, Reason: app.Message()}
		}
	} else {
		res.Contact = domain.ContactDecision{Allowed: true}
	}
	if !res.Contact.Allowed || a.Channels == nil {
		return res, nil
	}
	if err := a.act(ctx, in, &res); err != nil {
		return res, err
	}
	res.Acted = true
	if in.Done != nil && res.IsDone() {
		if err := a.RecordCase(ctx, in.DoneRecord(res)); err != nil {
			return res, err
		}
		res.Recorded = true
	}
	return res, nil
}

// act runs the attempt's action. A message the provider refused for good
// is "not sent" (the rung falls back to its next channel), not an error.
func (a *CaseActivities) act(ctx context.Context, in domain.RungActionInput, res *domain.RungActionResult) error {
	switch {
	case in.Send != nil:
		sent, err := a.Channels.SendMessage(ctx, *in.Send)
		var app *temporal.ApplicationError
		if err != nil && errors.As(err, &app) && app.NonRetryable() {
			sent, err = domain.SendResult{Sent: false, Reason: app.Message()}, nil
		}
		if err != nil {
			return err
		}
		res.Send = &sent
	case in.CallTask != nil:
		task, err := a.Channels.CreateCallTask(ctx, *in.CallTask)
		if err != nil {
			return err
		}
		res.CallTask = &task
	case in.Handoff != nil:
		h, err := a.Channels.HandOffToAgency(ctx, *in.Handoff)
		if err != nil {
			return err
		}
		res.Handoff = &h
	default:
		return nonRetryable(errors.New("act on rung: no action given"))
	}
	return nil
}

// begun reports whether the attempt's message or task is already recorded.
func (a *CaseActivities) begun(ctx context.Context, in domain.RungActionInput) (bool, error) {
	var err error
	switch {
	case in.Send != nil:
		_, err = store.GetInteractionByKey(ctx, a.Store.Pool, in.Key())
	case in.CallTask != nil:
		_, err = store.GetTaskByKey(ctx, a.Store.Pool, in.Key())
	default:
		return false, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// decideContact is the one place the contact rules are applied.
func (a *CaseActivities) decideContact(ctx context.Context, in domain.ContactCheckInput) (domain.ContactDecision, error) {
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
