//go:build integration

// Package services_test checks what every long-running service promises
// its operators, on the real binaries: a bad setting stops it at start
// with one line naming the variable; a database that is down makes /readyz
// fail, not the process crash, and it becomes ready once the database is
// back; SIGTERM stops it cleanly.
package services_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/relance/relance/internal/testenv"
)

var dev testenv.Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

var longRunning = []string{"api", "payments", "disputes", "events", "worker"}

func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + "/"}
	for _, s := range longRunning {
		args = append(args, "./"+s)
	}
	cmd := exec.Command("go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

func TestIntegrationBadSettingStopsWithOneLine(t *testing.T) {
	bin := build(t)
	for _, svc := range longRunning {
		t.Run(svc, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, svc))
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LOG_LEVEL=loud", "DATABASE_URL=postgres://x@127.0.0.1:1/x"}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("%s with a bad LOG_LEVEL: %v, want a non-zero exit", svc, err)
			}
			msg := strings.TrimSpace(stderr.String())
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "LOG_LEVEL") {
				t.Fatalf("%s stderr = %q, want one line naming LOG_LEVEL", svc, msg)
			}
		})
	}
}

// switchableProxy forwards TCP to target while up; while down it closes
// every connection at once, like a database that is not there.
type switchableProxy struct {
	ln     net.Listener
	target string
	up     atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *switchableProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchableProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setUp(false) })
	return p
}

func (p *switchableProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.up.Load() {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

// setUp switches the proxy; going down also cuts open connections.
func (p *switchableProxy) setUp(up bool) {
	p.up.Store(up)
	if up {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func status(url string) int {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := 0
	for time.Now().Before(deadline) {
		if last = status(url); last == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("GET %s answered %d for %s, want %d", url, last, within, want)
}

func TestIntegrationReadinessFollowsTheDatabaseAndSIGTERMStops(t *testing.T) {
	bin := build(t)
	st := testenv.Postgres(t)
	dbURL, err := url.Parse(testenv.DatabaseURL(st))
	if err != nil {
		t.Fatal(err)
	}
	dev.Client(t)
	for _, svc := range longRunning {
		t.Run(svc, func(t *testing.T) {
			proxy := newProxy(t, dbURL.Host)
			viaProxy := *dbURL
			viaProxy.Host = proxy.ln.Addr().String()
			addr := freeAddr(t)
			cmd := exec.Command(filepath.Join(bin, svc))
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"DATABASE_URL=" + viaProxy.String(),
				"TEMPORAL_ADDRESS=" + dev.FrontendHostPort(),
				"HTTP_ADDR=" + addr,
				"OUTBOX_DIR=" + t.TempDir(),
				"DOCUMENTS_URL=file://" + filepath.ToSlash(t.TempDir()),
			}
			var logs bytes.Buffer
			cmd.Stderr = &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() { cmd.Process.Kill() })
			base := "http://" + addr

			// Database down: alive and healthy, not ready.
			waitStatus(t, base+"/healthz", http.StatusOK, 20*time.Second)
			if got := status(base + "/readyz"); got != http.StatusServiceUnavailable {
				t.Fatalf("/readyz with the database down = %d, want 503", got)
			}
			select {
			case err := <-exited:
				t.Fatalf("%s exited while the database was down: %v\n%s", svc, err, logs.String())
			default:
			}
			// Database back: migrated and ready without a restart.
			proxy.setUp(true)
			waitStatus(t, base+"/readyz", http.StatusOK, 40*time.Second)
			if got := status(base + "/metrics"); got != http.StatusOK {
				t.Fatalf("/metrics = %d", got)
			}
			// Down again, then back: red, then green.
			proxy.setUp(false)
			waitStatus(t, base+"/readyz", http.StatusServiceUnavailable, 20*time.Second)
			proxy.setUp(true)
			waitStatus(t, base+"/readyz", http.StatusOK, 20*time.Second)

			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("%s after SIGTERM: %v\n%s", svc, err, logs.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%s still running 30 s after SIGTERM", svc)
			}
			if !strings.Contains(logs.String(), "stopped") {
				t.Errorf("%s logs do not say it stopped:\n%s", svc, tail(logs.String()))
			}
		})
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}
