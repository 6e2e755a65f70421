// Command api serves the collector API (debtors, invoices, cases, the
// worklist, actions, reports) under /v1.
//
//	api                                                   serve on HTTP_ADDR (:8080)
//	api token create --role manager --name x [--collector id]
//	api token revoke <token id>
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/relance/relance/internal/analytics"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/outhook"
	"github.com/relance/relance/internal/process"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/internal/store"
)

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "token" {
		err = tokenCommand(os.Args[2:], os.Stdout)
	} else {
		err = run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run() error {
	env := config.NewEnv(os.LookupEnv)
	common := config.ReadCommon(env, ":8080")
	blockBelow := env.Int("SCORE_BLOCK_BELOW", analytics.DefaultBlockBelow)
	erpURL := env.URL("ERP_WEBHOOK_URL", "")
	erpSecret := ""
	if erpURL != "" {
		erpSecret = env.Required("ERP_WEBHOOK_SECRET")
	}
	erpPoll := env.Duration("ERP_WEBHOOK_POLL", 10*time.Second)
	erpAttempts := env.Int("ERP_WEBHOOK_MAX_ATTEMPTS", 20)
	if err := env.Err(); err != nil {
		return err
	}
	ctx, stop := service.SignalContext()
	defer stop()
	bucket := documents.OpenBucket(ctx, env)
	if err := env.Err(); err != nil {
		return err
	}
	defer bucket.Close()
	p, err := process.Open(ctx, "api", common)
	if err != nil {
		return err
	}
	defer p.Close()
	p.Checks = append(p.Checks, service.Check{Name: "documents", Fn: bucket.Ready})
	cases := p.Cases()
	api := &API{
		Store:     p.Store,
		Cases:     cases,
		Intake:    &intake.Importer{Store: p.Store, Cases: cases},
		Logger:    p.Logger,
		Metrics:   NewMetrics(p.Registry),
		Documents: &documents.Archive{Bucket: bucket, DB: p.Store.Pool},

		ScoreBlockBelow: blockBelow,
	}
	if erpURL != "" {
		go api.signalLoop(ctx, &outhook.Deliverer{
			Store: p.Store, Client: &http.Client{Timeout: 10 * time.Second}, URL: erpURL, Secret: []byte(erpSecret),
			MaxAttempts: erpAttempts, Lease: time.Minute, Now: time.Now,
		}, erpPoll)
	}
	return p.Serve(ctx, api.Handler())
}

// tokenCommand creates or revokes an API token. The secret is printed
// once; only its SHA-256 is stored.
func tokenCommand(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: api token create --role R --name N [--collector ID] | api token revoke ID")
	}
	env := config.NewEnv(os.LookupEnv)
	dbURL := env.Required("DATABASE_URL")
	if err := env.Err(); err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	return tokenAction(ctx, st, args, out)
}

func tokenAction(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("token create", flag.ContinueOnError)
		role := fs.String("role", "", "collector, manager, admin or service")
		name := fs.String("name", "", "who or what uses the token")
		collector := fs.String("collector", "", "the collector whose portfolio a collector token sees")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *name == "" {
			return errors.New("token create: --name is required")
		}
		if !store.ValidRole(*role) {
			return fmt.Errorf("token create: --role must be collector, manager, admin or service, got %q", *role)
		}
		if *collector != "" {
			ok, err := store.CollectorExists(ctx, st.Pool, *collector)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("token create: unknown collector %q", *collector)
			}
		}
		tok, secret, err := store.CreateToken(ctx, st.Pool, *name, *role, *collector)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "id:     %s\nrole:   %s\nsecret: %s\n(the secret is shown once; send it as Authorization: Bearer <secret>)\n", tok.ID, tok.Role, secret)
		return nil
	case "revoke":
		if len(args) != 2 {
			return errors.New("usage: api token revoke <token id>")
		}
		if err := store.RevokeToken(ctx, st.Pool, args[1]); err != nil {
			return err
		}
		fmt.Fprintf(out, "revoked %s\n", args[1])
		return nil
	}
	return fmt.Errorf("token: unknown action %q (create or revoke)", args[0])
}
