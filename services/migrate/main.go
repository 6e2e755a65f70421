// Command migrate applies the embedded database migrations and exits.
// With -demo it also loads the demo data and starts its cases; with
// -print-search-attributes it prints the custom search attributes for the
// Temporal CLI and exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
)

func main() {
	printSA := flag.Bool("print-search-attributes", false, "print `name type` of each custom search attribute and exit")
	demo := flag.Bool("demo", false, "after migrating, load the demo data, start its cases and write demo API tokens")
	tokens := flag.String("demo-tokens", ".dev/demo-tokens.txt", "where -demo writes the demo API tokens")
	flag.Parse()
	if *printSA {
		attrs := temporalx.SearchAttributeTypes()
		names := make([]string, 0, len(attrs))
		for n := range attrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Println(n, attrs[n])
		}
		return
	}
	if err := run(*demo, *tokens); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func run(demo bool, tokensPath string) error {
	env := config.NewEnv(os.LookupEnv)
	common := config.ReadCommon(env, "")
	dbURL := common.DatabaseURL
	logger := service.NewLogger("migrate", common.LogLevel)
	if err := env.Err(); err != nil {
		return err
	}
	ctx, stop := service.SignalContext()
	defer stop()
	s, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	logger.Info("migrations applied")
	if !demo {
		return nil
	}
	tc, err := temporalx.NewLazyClient(common.Temporal, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	return loadDemo(ctx, s, &caseclient.Client{Temporal: tc, TaskQueue: common.Temporal.TaskQueue}, tokensPath, logger)
}
