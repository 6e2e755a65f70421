// Command disputes opens, comments and resolves disputes on invoices. Each
// change is stored with its case timeline entry and, for an opening or a
// decision, a case command in the same transaction; the relay running in
// this process delivers the command to the case as a workflow update.
//
// Settings: the common DATABASE_URL, HTTP_ADDR (:8082), LOG_LEVEL and
// TEMPORAL_*, and CASE_RELAY_ENABLED, CASE_RELAY_WORKERS,
// CASE_RELAY_POLL_INTERVAL (see caserelay.Settings).
package main

import (
	"fmt"
	"os"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/caserelay"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/process"
	"github.com/relance/relance/internal/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "disputes:", err)
		os.Exit(1)
	}
}

func run() error {
	env := config.NewEnv(os.LookupEnv)
	common := config.ReadCommon(env, ":8082")
	relaySettings := caserelay.ReadSettings(env)
	if err := env.Err(); err != nil {
		return err
	}
	ctx, stop := service.SignalContext()
	defer stop()
	p, err := process.Open(ctx, "disputes", common)
	if err != nil {
		return err
	}
	defer p.Close()

	gin.SetMode(gin.ReleaseMode)
	h := &Handlers{Store: p.Store, Logger: p.Logger}
	var wg sync.WaitGroup
	if relaySettings.Enabled {
		relay := caserelay.New(p.Store, p.Cases(), p.Logger, relaySettings, p.Registry, "disputes")
		wg.Go(func() { _ = relay.Run(ctx) })
	}
	err = p.Serve(ctx, h.Router())
	stop()
	wg.Wait()
	return err
}
