// Command console serves the web console for collectors, managers and
// admins on HTTP_ADDR (:8085). It holds no business rule and no database
// connection: people sign in through the collector API (API_URL), which
// answers a session token, and every page reads and writes through the API
// with that token.
package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/service"
	"github.com/relance/relance/services/console/apiclient"
	"github.com/relance/relance/services/console/ui"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "console:", err)
		os.Exit(1)
	}
}

func run() error {
	env := config.NewEnv(os.LookupEnv)
	addr := env.String("HTTP_ADDR", ":8085")
	level := env.OneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error")
	apiURL := env.URL("API_URL", "http://127.0.0.1:8080")
	secret := env.String("CONSOLE_SECRET", "")
	dev := env.Bool("RELANCE_DEV", false)
	temporalUI := env.URL("TEMPORAL_UI_URL", "")
	namespace := env.String("TEMPORAL_NAMESPACE", "default")
	secure := env.Bool("CONSOLE_SECURE_COOKIES", false)
	if err := env.Err(); err != nil {
		return err
	}
	if secret == "" {
		if !dev {
			return fmt.Errorf("config: CONSOLE_SECRET is required (32 characters or more; every replica shares it)")
		}
		// Development only: a fixed key, so forms survive a restart.
		secret = "relance-dev-console-secret-not-for-production"
	}
	key := sha256.Sum256([]byte(secret))
	if len(secret) < 32 {
		return fmt.Errorf("config: CONSOLE_SECRET must hold 32 characters or more")
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return fmt.Errorf("load Europe/Paris: %w", err)
	}
	logger := service.NewLogger("console", level)
	api := apiclient.New(apiURL)
	console, err := ui.New(ui.Config{API: api, Secret: key[:], TemporalUI: temporalUI, Namespace: namespace,
		SecureCookies: secure, Logger: logger, Location: paris})
	if err != nil {
		return err
	}
	ctx, stop := service.SignalContext()
	defer stop()
	srv := &service.Server{Name: "console", Addr: addr, Logger: logger, Registry: service.NewRegistry(), Handler: console,
		Checks: []service.Check{{Name: "api", Fn: apiReady(api)}}}
	return srv.Run(ctx)
}

// apiReady checks that the API answers its health check.
func apiReady(api *apiclient.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.BaseURL+"/healthz", nil)
		if err != nil {
			return err
		}
		res, err := api.HTTP.Do(req)
		if err != nil {
			return fmt.Errorf("API: %w", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("API /healthz answered %d", res.StatusCode)
		}
		return nil
	}
}
