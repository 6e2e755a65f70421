// Package env starts what a bench run measures against: the Temporal dev
// server from bin/temporal with the project's dev settings (SQLite file,
// WAL, synchronous=off, search attributes registered) and a throwaway
// Postgres. Nothing is shared with `make dev` or the tests.
package env

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/relance/relance/bench/internal/proc"
	"github.com/relance/relance/internal/temporalx"
)

// Options of a bench environment.
type Options struct {
	// DatabaseURL points at an existing Postgres server; empty starts a
	// cluster of this run's own (needed by the Postgres restart drill).
	DatabaseURL string
	// Log receives the dev server's output.
	Log io.Writer
}

// Env is one run's Temporal server and Postgres.
type Env struct {
	Root         string // the repository root (holds go.work)
	Dir          string // this run's scratch folder
	Temporal     client.Client
	TemporalAddr string
	PG           *Postgres
	server       *testsuite.DevServer
}

// Start starts both servers; Close stops them and removes the scratch folder.
func Start(ctx context.Context, opts Options) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "relance-bench-")
	if err != nil {
		return nil, err
	}
	e := &Env{Root: root, Dir: dir}
	if e.PG, err = StartPostgres(ctx, filepath.Join(dir, "pg"), opts.DatabaseURL); err != nil {
		e.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := e.startTemporal(ctx, opts.Log); err != nil {
		e.Close()
		return nil, fmt.Errorf("temporal dev server: %w", err)
	}
	return e, nil
}

func (e *Env) startTemporal(ctx context.Context, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	bin := filepath.Join(e.Root, "bin", "temporal")
	if p := os.Getenv("RELANCE_TEMPORAL_BIN"); p != "" {
		bin = p
	}
	if !isExec(bin) {
		return fmt.Errorf("%s is missing: build it with `make bin/temporal`", bin)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:     bin,
		DBFilename:       filepath.Join(e.Dir, "temporal.db"),
		SearchAttributes: temporalx.SearchAttributes(),
		LogLevel:         "error",
		Stdout:           log,
		Stderr:           log,
		ExtraArgs: []string{
			"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=off",
			"--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true",
			"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
			"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
		},
		ClientOptions: &client.Options{HostPort: addr, Namespace: "default"},
	})
	if err != nil {
		return err
	}
	e.server, e.Temporal, e.TemporalAddr = srv, srv.Client(), srv.FrontendHostPort()
	return nil
}

// Close stops both servers and removes the scratch folder.
func (e *Env) Close() {
	if e.server != nil {
		_ = e.server.Stop()
	}
	if e.PG != nil {
		e.PG.Close()
	}
	if e.Dir != "" && os.Getenv("RELANCE_BENCH_KEEP") == "" {
		_ = os.RemoveAll(e.Dir)
	}
}

// RepoRoot is the nearest parent of the working directory holding go.work.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above the working directory: run from the repository")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr() (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}

// TemporalPID finds the dev server's process (its SQLite file is in Dir).
func (e *Env) TemporalPID() (int, error) {
	return proc.FindPID(filepath.Join(e.Dir, "temporal.db"))
}
