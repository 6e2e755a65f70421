package env

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/store"
)

// Postgres is the database server of a bench run: a throwaway cluster of its
// own (so the restart drill never disturbs anyone else's tests) or, when
// given a URL, an existing server on which the run only creates databases.
type Postgres struct {
	adminURL string
	// Set only for a cluster this run owns.
	bindir, data string
	port         int
	runAs        *user.User
	created      []string
}

// StartPostgres starts a cluster under dir, or uses external when set.
func StartPostgres(ctx context.Context, dir, external string) (*Postgres, error) {
	if external != "" {
		return &Postgres{adminURL: external}, nil
	}
	bindir, err := findBindir()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &Postgres{
		bindir: bindir, data: filepath.Join(dir, "pgdata"), port: port,
		adminURL: fmt.Sprintf("postgres://relance@127.0.0.1:%d/postgres?sslmode=disable", port),
	}
	if os.Getuid() == 0 {
		// Postgres refuses to run as root, like deploy/local/postgres.sh says.
		for _, name := range []string{"postgres", "nobody"} {
			if u, err := user.Lookup(name); err == nil {
				p.runAs = u
				break
			}
		}
		if p.runAs == nil {
			return nil, errors.New("running as root and neither user postgres nor nobody exists")
		}
		if err := os.MkdirAll(p.data, 0o700); err != nil {
			return nil, err
		}
		if err := p.chown(dir); err != nil {
			return nil, err
		}
	}
	if out, err := p.run(ctx, filepath.Join(bindir, "initdb"), "-D", p.data, "-U", "relance", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Postgres) chown(dir string) error {
	uid, _ := strconv.Atoi(p.runAs.Uid)
	gid, _ := strconv.Atoi(p.runAs.Gid)
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		// Parents must be traversable by the server's user.
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			_ = os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

func (p *Postgres) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if p.runAs != nil {
		cmd = exec.CommandContext(ctx, "setpriv", append([]string{
			"--reuid=" + p.runAs.Uid, "--regid=" + p.runAs.Gid, "--init-groups", "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	return cmd.CombinedOutput()
}

// Owned reports whether this run controls the server (and may restart it).
func (p *Postgres) Owned() bool { return p.data != "" }

// Start starts the owned cluster and waits until it answers. The settings are
// those of deploy/local/postgres.sh.
func (p *Postgres) Start(ctx context.Context) error {
	if !p.Owned() {
		return errors.New("postgres: not owned by this run, cannot start it")
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
		p.port, p.data)
	if out, err := p.run(ctx, filepath.Join(p.bindir, "pg_ctl"), "-D", p.data, "-l", filepath.Join(p.data, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, p.adminURL)
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not answer: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop stops the owned cluster (fast mode: clients are disconnected).
func (p *Postgres) Stop(ctx context.Context) error {
	if !p.Owned() {
		return errors.New("postgres: not owned by this run, cannot stop it")
	}
	if out, err := p.run(ctx, filepath.Join(p.bindir, "pg_ctl"), "-D", p.data, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// CreateDatabase creates a new database, applies the migrations and returns
// its URL.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	p.created = append(p.created, name)
	u, err := url.Parse(p.adminURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	dbURL := u.String()
	s, err := store.Open(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrate %s: %w", name, err)
	}
	return dbURL, nil
}

// Close stops an owned cluster, or drops the databases made on an external one.
func (p *Postgres) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if p.Owned() {
		_ = p.Stop(ctx)
		return
	}
	conn, err := pgx.Connect(ctx, p.adminURL)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	for _, name := range p.created {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
}

func findBindir() (string, error) {
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	candidates = append(candidates, globbed...)
	if p, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, d := range candidates {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install them or pass -database-url")
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&0o111 != 0
}
