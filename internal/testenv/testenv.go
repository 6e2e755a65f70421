// Package testenv gives integration tests the real components: a fresh
// Postgres database per test (cloned from a migrated template) and a
// Temporal dev server per test binary, started from bin/temporal.
package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/relance/relance/internal/blobstore"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
)

// AdminURL is the Postgres URL used to create test databases:
// RELANCE_TEST_DATABASE_URL, else DATABASE_URL.
func AdminURL(t testing.TB) string {
	for _, name := range []string{"RELANCE_TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	t.Fatal("integration tests need Postgres: run them with `make test`, or set RELANCE_TEST_DATABASE_URL")
	return ""
}

// withDatabase returns the URL admin with its database name replaced.
func withDatabase(t testing.TB, admin, db string) string {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("test database URL must be a postgres:// URL, got %q", admin)
	}
	u.Path = "/" + db
	return u.String()
}

// templateName depends on the migrations, so a schema change makes a new template.
func templateName(t testing.TB) string {
	h := sha256.New()
	err := fs.WalkDir(store.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(store.Migrations(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatalf("hash migrations: %v", err)
	}
	return "relance_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12]
}

// Postgres returns a store on a new, migrated database of its own, dropped
// when the test ends, so tests never see each other's data.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	admin := AdminURL(t)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to test Postgres: %v", err)
	}
	defer conn.Close(ctx)
	// Cloning a template fails while anyone else is connected to it, so
	// creation and cloning are serialised across test binaries.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		t.Fatalf("lock: %v", err)
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(727274)")
	tmpl := templateName(t)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
		t.Fatalf("look for template: %v", err)
	}
	if !exists {
		building := tmpl + "_building"
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
			t.Fatalf("create template: %v", err)
		}
		s, err := store.Open(ctx, withDatabase(t, admin, building))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate template: %v", err)
		}
		s.Close()
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+tmpl); err != nil {
			t.Fatalf("publish template: %v", err)
		}
	}
	name := fmt.Sprintf("relance_t_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	s, err := store.Open(ctx, withDatabase(t, admin, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return s
}

// DatabaseURL returns the URL of the database behind s (for code that
// opens its own pool, like a service main under test).
func DatabaseURL(s *store.Store) string { return s.Pool.Config().ConnString() }

// TemporalBinary locates bin/temporal: RELANCE_TEMPORAL_BIN, else bin/temporal
// in the nearest parent folder holding go.work. It is never downloaded.
func TemporalBinary(t testing.TB) string {
	if p := os.Getenv("RELANCE_TEMPORAL_BIN"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			p := filepath.Join(dir, "bin", "temporal")
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("%s is missing: build it with `make bin/temporal`", p)
			}
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("bin/temporal not found: run the tests with `make test`")
		}
		dir = parent
	}
}

// Temporal is a dev server shared by the tests of one binary.
type Temporal struct {
	once   sync.Once
	server *testsuite.DevServer
	err    error
}

// Client returns a client of the dev server, starting it on first use with
// every search attribute registered. Stop it from TestMain.
func (d *Temporal) Client(t testing.TB) client.Client {
	t.Helper()
	d.once.Do(func() {
		d.server, d.err = testsuite.StartDevServer(context.Background(), testsuite.DevServerOptions{
			ExistingPath:     TemporalBinary(t),
			SearchAttributes: temporalx.SearchAttributes(),
			LogLevel:         "error",
			ExtraArgs: []string{
				"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=off",
				"--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true",
			},
			ClientOptions: &client.Options{Namespace: "default"},
		})
	})
	if d.err != nil {
		t.Fatalf("start Temporal dev server: %v", d.err)
	}
	return d.server.Client()
}

// FrontendHostPort is the address of the started server.
func (d *Temporal) FrontendHostPort() string { return d.server.FrontendHostPort() }

// Stop stops the server if it was started.
func (d *Temporal) Stop() {
	if d.server != nil {
		_ = d.server.Stop()
	}
}

// Documents returns a document archive on st whose bucket is a folder of
// the test, and that folder.
func Documents(t testing.TB, st *store.Store) (*documents.Archive, string) {
	t.Helper()
	return DocumentsIn(t, st, t.TempDir())
}

// DocumentsIn is Documents on a given folder, for a test whose worker and
// API process must read the same documents.
func DocumentsIn(t testing.TB, st *store.Store, dir string) (*documents.Archive, string) {
	t.Helper()
	b, err := blobstore.Open(context.Background(), "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatalf("documents bucket: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return &documents.Archive{Bucket: b, DB: st.Pool}, dir
}
