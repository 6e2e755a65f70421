// Package process opens what every long-running Relance service stands
// on: its logger, the store (migrated in the background, so the service
// starts while Postgres is down), a lazy Temporal client, a metrics
// registry, and the HTTP server whose /readyz checks Postgres and Temporal.
package process

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
)

// Process is one running service's shared dependencies.
type Process struct {
	Name     string
	Common   config.Common
	Logger   *slog.Logger
	Store    *store.Store
	Temporal client.Client
	Registry *prometheus.Registry
	// Checks are readiness checks of the service's own dependencies (its
	// documents bucket), beside Postgres and Temporal.
	Checks []service.Check
}

// Open connects the store and the Temporal client; neither waits for its
// server. The caller has read and checked its settings already; Close
// releases everything.
func Open(ctx context.Context, name string, common config.Common) (*Process, error) {
	logger := service.NewLogger(name, common.LogLevel)
	st, err := store.Open(ctx, common.DatabaseURL)
	if err != nil {
		return nil, err
	}
	tc, err := temporalx.NewLazyClient(common.Temporal, logger)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Process{
		Name: name, Common: common, Logger: logger, Store: st, Temporal: tc,
		Registry: service.NewRegistry(),
	}, nil
}

// Close releases the Temporal client and the store.
func (p *Process) Close() {
	p.Temporal.Close()
	p.Store.Close()
}

// Cases is the typed client of the collection workflow.
func (p *Process) Cases() *caseclient.Client {
	return &caseclient.Client{Temporal: p.Temporal, TaskQueue: p.Common.Temporal.TaskQueue}
}

// Serve applies the migrations in the background and serves handler (nil
// for none) behind /healthz, /readyz (Postgres reachable and migrated,
// Temporal answering) and /metrics until ctx ends.
func (p *Process) Serve(ctx context.Context, handler http.Handler) error {
	p.Store.MigrateInBackground(ctx, p.Logger)
	srv := &service.Server{
		Name: p.Name, Addr: p.Common.HTTPAddr, Logger: p.Logger, Registry: p.Registry, Handler: handler,
		Checks: append([]service.Check{
			{Name: "postgres", Fn: p.Store.Ready},
			{Name: "temporal", Fn: temporalx.CheckHealth(p.Temporal)},
		}, p.Checks...),
	}
	return srv.Run(ctx)
}
