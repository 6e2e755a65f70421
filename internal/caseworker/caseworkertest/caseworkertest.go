// Package caseworkertest runs the real collection workflow and activities
// for end-to-end tests: one worker on its own task queue, the channels on
// their outbox in a temporary folder and documents in another, so nothing leaves the machine and
// nothing is written into the source tree.
package caseworkertest

import (
	"log/slog"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/relance/relance/activities"
	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/caseworker"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// Start runs a worker on queue until the test ends and returns a case
// client on that queue and the outbox folder the channels write to.
func Start(t testing.TB, tc client.Client, st *store.Store, queue string) (*caseclient.Client, string) {
	t.Helper()
	return StartWith(t, tc, st, queue, nil)
}

// StartWith is Start with more workflows and activities (also) registered
// on the worker by extra.
func StartWith(t testing.TB, tc client.Client, st *store.Store, queue string, extra func(worker.Registry)) (*caseclient.Client, string) {
	t.Helper()
	return StartWithEnv(t, tc, st, queue, nil, extra)
}

// StartWithEnv is StartWith with more settings for the channels (e.g.
// PORTAL_BASE_URL); OUTBOX_DIR is always the temporary folder.
func StartWithEnv(t testing.TB, tc client.Client, st *store.Store, queue string, env map[string]string, extra func(worker.Registry)) (*caseclient.Client, string) {
	t.Helper()
	outbox := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	docs, _ := testenv.Documents(t, st)
	if dir, ok := env["DOCUMENTS_DIR"]; ok {
		docs, _ = testenv.DocumentsIn(t, st, dir)
	}
	channels, err := activities.NewChannelActivities(config.NewEnv(func(name string) (string, bool) {
		if name == "OUTBOX_DIR" {
			return outbox, true
		}
		v, ok := env[name]
		return v, ok
	}), st, docs, logger)
	if err != nil {
		t.Fatalf("channels on the outbox: %v", err)
	}
	w := worker.New(tc, queue, worker.Options{})
	caseworker.Register(w, st, domain.ContactRules{}, channels, logger)
	if extra != nil {
		extra(w)
	}
	if err := w.Start(); err != nil {
		t.Fatalf("start worker on %s: %v", queue, err)
	}
	t.Cleanup(w.Stop)
	return &caseclient.Client{Temporal: tc, TaskQueue: queue}, outbox
}
