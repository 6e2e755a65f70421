// Command bareworker runs the baseline workflows of bench/ on their own task
// queue, as a process of its own like services/worker, so that throughput
// and memory are compared process to process.
//
//	TEMPORAL_ADDRESS=127.0.0.1:7233 HTTP_ADDR=127.0.0.1:8090 bareworker
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/relance/relance/bench/internal/bare"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/internal/temporalx"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bareworker:", err)
		os.Exit(1)
	}
}

func run() error {
	env := config.NewEnv(os.LookupEnv)
	addr := env.String("TEMPORAL_ADDRESS", "localhost:7233")
	httpAddr := env.String("HTTP_ADDR", "127.0.0.1:8090")
	queue := env.String("TEMPORAL_TASK_QUEUE", bare.TaskQueue)
	if err := env.Err(); err != nil {
		return err
	}
	logger := service.NewLogger("bareworker", "warn")
	ctx, stop := service.SignalContext()
	defer stop()
	c, err := temporalx.NewLazyClient(config.Temporal{Address: addr, Namespace: "default"}, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	// The same options as services/worker, so only the work differs.
	w := worker.New(c, queue, worker.Options{
		MaxConcurrentWorkflowTaskExecutionSize:  50,
		MaxConcurrentActivityExecutionSize:      50,
		MaxConcurrentLocalActivityExecutionSize: 100,
		WorkerStopTimeout:                       20 * time.Second,
	})
	bare.Register(w)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	srv := service.Server{
		Name: "bareworker", Addr: httpAddr, Logger: logger,
		Checks: []service.Check{{Name: "temporal", Fn: func(ctx context.Context) error {
			_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}}},
	}
	return srv.Run(ctx)
}
