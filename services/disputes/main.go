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

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/caserelay"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
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
	logger := service.NewLogger("disputes", common.LogLevel)
	ctx, stop := service.SignalContext()
	defer stop()

	st, err := store.Open(ctx, common.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	st.MigrateInBackground(ctx, logger)
	tc, err := temporalx.NewLazyClient(common.Temporal, logger)
	if err != nil {
		return err
	}
	defer tc.Close()

	gin.SetMode(gin.ReleaseMode)
	reg := service.NewRegistry()
	h := &Handlers{Store: st, Logger: logger}
	srv := &service.Server{
		Name: "disputes", Addr: common.HTTPAddr, Logger: logger, Registry: reg, Handler: h.Router(),
		Checks: []service.Check{{Name: "postgres", Fn: st.Ready}, {Name: "temporal", Fn: temporalx.CheckHealth(tc)}},
	}
	var wg sync.WaitGroup
	if relaySettings.Enabled {
		relay := caserelay.New(st, &caseclient.Client{Temporal: tc, TaskQueue: common.Temporal.TaskQueue}, logger, relaySettings, reg, "disputes")
		wg.Go(func() { _ = relay.Run(ctx) })
	}
	err = srv.Run(ctx)
	stop()
	wg.Wait()
	return err
}
