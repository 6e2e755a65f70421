// Package caseworker puts the collection workflow and its activities on a
// Temporal worker, the one way the worker service and every end-to-end
// test run them.
package caseworker

import (
	"log/slog"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/activities"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
	"github.com/relance/relance/workflows"
)

// Register registers the collection workflow under its type name, the case
// activities (acting on each rung through channels, so a rung is one local
// activity) and the channel activities.
func Register(w worker.Registry, st *store.Store, rules domain.ContactRules, channels *activities.ChannelActivities, logger *slog.Logger) {
	w.RegisterWorkflowWithOptions(workflows.CollectionCase, workflow.RegisterOptions{Name: temporalx.CaseWorkflowType})
	cases := activities.NewCaseActivities(st, rules, logger)
	cases.Channels = channels
	cases.Register(w)
	channels.Register(w)
}
