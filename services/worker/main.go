// Command worker runs the Temporal worker of Relance: the collection
// workflow and its activities, with /healthz, /readyz and /metrics on
// HTTP_ADDR (default :8084).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/relance/relance/activities"
	"github.com/relance/relance/internal/caseworker"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/process"
	"github.com/relance/relance/internal/reconcile"
	"github.com/relance/relance/internal/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

// settings are the worker's own settings beyond the common ones.
type settings struct {
	common config.Common
	rules  domain.ContactRules
	// Concurrency: workflow tasks are short (local activities run inside
	// them), activities and local activities are mostly Postgres and HTTP.
	workflowTasks, activities, localActivities int
	// cachedCases bounds the sticky workflow cache.
	cachedCases int
}

func readSettings(env *config.Env) settings {
	return settings{
		common: config.ReadCommon(env, ":8084"),
		rules: domain.ContactRules{
			WeeklyCap: env.Int("CONTACT_WEEKLY_CAP", domain.DefaultContactRules().WeeklyCap),
			Calendar:  env.Bool("CONTACT_CALENDAR", true),
		},
		workflowTasks:   env.Int("WORKER_WORKFLOW_TASKS", 50),
		activities:      env.Int("WORKER_ACTIVITIES", 50),
		localActivities: env.Int("WORKER_LOCAL_ACTIVITIES", 100),
		cachedCases:     env.Int("WORKER_CACHED_CASES", 1000),
	}
}

func run() error {
	env := config.NewEnv(os.LookupEnv)
	s := readSettings(env)
	if err := env.Err(); err != nil {
		return err
	}
	// Most cases sleep for days on a timer: keeping every one of them in
	// the sticky cache costs memory for nothing (about 75 KB each), while
	// replaying an evicted case's short history on wake-up is cheap.
	worker.SetStickyWorkflowCacheSize(s.cachedCases)
	ctx, stop := service.SignalContext()
	defer stop()
	p, err := process.Open(ctx, "worker", s.common)
	if err != nil {
		return err
	}
	defer p.Close()
	logger := p.Logger
	bucket := documents.OpenBucket(ctx, env)
	if err := env.Err(); err != nil {
		return err
	}
	defer bucket.Close()
	p.Checks = append(p.Checks, service.Check{Name: "documents", Fn: bucket.Ready})
	docs := &documents.Archive{Bucket: bucket, DB: p.Store.Pool}
	channels, err := activities.NewChannelActivities(env, p.Store, docs, logger)
	if err != nil {
		return err
	}
	if err := env.Err(); err != nil {
		return err
	}

	rec, err := reconcile.New(p.Store, p.Temporal, s.common.Temporal.TaskQueue, p.Registry, logger)
	if err != nil {
		return err
	}
	register := func(w worker.Worker) {
		caseworker.Register(w, p.Store, s.rules, channels, logger)
		rec.Register(w)
	}
	go ensureSchedule(ctx, logger, func(ctx context.Context) error {
		return reconcile.EnsureSchedule(ctx, p.Temporal, reconcile.ScheduleID, s.common.Temporal.TaskQueue)
	})
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		runWorker(ctx, logger, func() worker.Worker {
			w := worker.New(p.Temporal, s.common.Temporal.TaskQueue, worker.Options{
				MaxConcurrentWorkflowTaskExecutionSize:  s.workflowTasks,
				MaxConcurrentActivityExecutionSize:      s.activities,
				MaxConcurrentLocalActivityExecutionSize: s.localActivities,
				WorkerStopTimeout:                       20 * time.Second,
			})
			register(w)
			return w
		})
	}()

	err = p.Serve(ctx, nil)
	stop()
	<-workerDone
	return err
}

// ensureSchedule creates the daily reconciliation schedule, retrying
// while Temporal is unreachable.
func ensureSchedule(ctx context.Context, logger *slog.Logger, ensure func(context.Context) error) {
	for {
		err := ensure(ctx)
		if err == nil {
			logger.Info("reconciliation schedule in place")
			return
		}
		logger.Warn("reconciliation schedule not created, retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
}

// runWorker starts a worker, retrying while Temporal is unreachable, and
// stops it when ctx ends, letting running tasks finish.
func runWorker(ctx context.Context, logger *slog.Logger, newWorker func() worker.Worker) {
	for {
		w := newWorker()
		if err := w.Start(); err != nil {
			logger.Warn("worker not started, retrying", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(3 * time.Second):
				continue
			}
		}
		logger.Info("worker started")
		<-ctx.Done()
		w.Stop()
		logger.Info("worker stopped")
		return
	}
}
