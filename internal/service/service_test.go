package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestOperationalRoutes(t *testing.T) {
	down := errors.New("connection refused")
	healthy := true
	s := &Server{
		Name:   "test",
		Logger: slog.New(slog.DiscardHandler),
		Checks: []Check{
			{Name: "postgres", Fn: func(context.Context) error {
				if healthy {
					return nil
				}
				return down
			}},
			{Name: "temporal", Fn: func(context.Context) error { return nil }},
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "app") }),
	}
	h := s.Mux()
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	if rec := get("/healthz"); rec.Code != http.StatusOK {
		t.Fatalf("/healthz = %d", rec.Code)
	}
	if rec := get("/readyz"); rec.Code != http.StatusOK {
		t.Fatalf("/readyz with every check ok = %d %s", rec.Code, rec.Body)
	}
	healthy = false
	rec := get("/readyz")
	var body struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || body.Ready || body.Checks["postgres"] != down.Error() || body.Checks["temporal"] != "ok" {
		t.Fatalf("/readyz with postgres down = %d %+v", rec.Code, body)
	}
	if rec := get("/metrics"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "go_goroutines") {
		t.Fatalf("/metrics = %d", rec.Code)
	}
	if rec := get("/anything"); rec.Body.String() != "app" {
		t.Fatalf("the service's own handler is not behind the operational routes: %q", rec.Body)
	}
}

func TestServeDrainsInFlightRequestsOnCancel(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	s := &Server{
		Name:   "test",
		Logger: slog.New(slog.DiscardHandler),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "done")
		}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			answer <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-started
	cancel()
	time.Sleep(50 * time.Millisecond) // shutdown has begun and waits for the request
	close(release)
	if got := <-answer; got != "done" {
		t.Fatalf("in-flight request got %q, want it completed", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after cancel = %v, want nil", err)
	}
}
