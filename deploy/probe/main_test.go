package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckAcceptsOnly2xx(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()

	if err := check(t.Context(), srv.Client(), srv.URL+"/readyz"); err != nil {
		t.Fatalf("ready service: %v", err)
	}
	status = http.StatusServiceUnavailable
	err := check(t.Context(), srv.Client(), srv.URL+"/readyz")
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("unready service: got %v, want an error naming 503", err)
	}
	if err := check(t.Context(), srv.Client(), srv.URL+"/nowhere"); err == nil {
		t.Fatal("404 accepted as healthy")
	}
	srv.Close()
	if err := check(t.Context(), srv.Client(), srv.URL+"/readyz"); err == nil {
		t.Fatal("closed server accepted as healthy")
	}
}
