package service

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serve runs s on a loopback port until the test ends and returns its address.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ln.Addr().String()
}

// A body sent a byte every 300 ms is cut off once the read timeout has
// passed: the handler's read fails and the server closes the connection,
// long before the client would have finished.
func TestSlowBodyIsCutOffByTheServer(t *testing.T) {
	readErr := make(chan error, 1)
	addr := serve(t, &Server{
		Name: "test", Logger: slog.New(slog.DiscardHandler),
		Limits: Limits{ReadTimeout: time.Second},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			readErr <- err
		}),
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "POST /v1/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes the connection
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < 100; i++ {
		select {
		case took := <-closed:
			if took > 5*time.Second {
				t.Fatalf("connection closed after %s, want about the 1 s read timeout", took)
			}
			if err := <-readErr; err == nil {
				t.Fatal("the handler read the whole slow body")
			}
			return
		case <-tick.C:
			if _, err := conn.Write([]byte("x")); err != nil {
				continue // the server has closed its side
			}
		}
	}
	t.Fatal("the server kept a slow body's connection open for 30 s")
}

// Headers beyond the limit are refused with 431.
func TestOversizeHeadersAreRefused(t *testing.T) {
	addr := serve(t, &Server{Name: "test", Logger: slog.New(slog.DiscardHandler), Limits: Limits{MaxHeaderBytes: 4 << 10},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 64<<10))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KB header: %d, want 431", resp.StatusCode)
	}
}

// Every server gets the default limits unless told otherwise.
func TestDefaultLimits(t *testing.T) {
	srv := NewHTTPServer(http.NotFoundHandler(), Limits{})
	if srv.ReadTimeout != time.Minute || srv.WriteTimeout != 2*time.Minute || srv.IdleTimeout != 2*time.Minute ||
		srv.ReadHeaderTimeout != 10*time.Second || srv.MaxHeaderBytes != 64<<10 {
		t.Fatalf("server %+v", srv)
	}
}

// A NUL byte or invalid UTF-8 in a path or query is a 400 naming it,
// before any handler runs.
func TestUnstorablePathsAndQueriesAre400(t *testing.T) {
	reached := 0
	s := &Server{Name: "test", Logger: slog.New(slog.DiscardHandler),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached++ })}
	h := s.Mux()
	for path, field := range map[string]string{
		"/v1/cases/inv%00x":          "path",
		"/v1/cases/inv%ff":           "path",
		"/v1/cases?status=act%00ive": "status",
		"/v1/cases?status=%ff":       "status",
		"/v1/cases?a%00=1":           "query",
		"/v1/cases?status=%zz":       "query",
	} {
		rec := httptestRecorder(h, path)
		if rec.code != http.StatusBadRequest || !strings.Contains(rec.body, `"field":"`+field+`"`) ||
			rec.contentType != "application/problem+json" {
			t.Errorf("%s: %d %s %s, want a 400 problem naming %s", path, rec.code, rec.contentType, rec.body, field)
		}
	}
	if reached != 0 {
		t.Fatalf("the handler ran %d times", reached)
	}
	if rec := httptestRecorder(h, "/v1/cases?status=active&q=Soci%C3%A9t%C3%A9"); rec.code != http.StatusOK || reached != 1 {
		t.Fatalf("a clean query: %d", rec.code)
	}
}

type recorded struct {
	code              int
	body, contentType string
}

func httptestRecorder(h http.Handler, target string) recorded {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return recorded{code: rec.Code, body: rec.Body.String(), contentType: rec.Header().Get("Content-Type")}
}
