//go:build integration

package outhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/relance/relance/internal/testenv"
	"github.com/relance/relance/internal/webhook"
)

// receiver is an ERP endpoint answering the codes given in turn (the
// last one from then on), checking each request's signature.
type receiver struct {
	mu       sync.Mutex
	codes    []int
	verifier webhook.HMAC
	now      func() time.Time
	eventIDs []string
	bodies   []string
	sigErrs  []error
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eventIDs = append(r.eventIDs, req.Header.Get("X-Event-Id"))
	r.bodies = append(r.bodies, string(body))
	r.sigErrs = append(r.sigErrs, r.verifier.Verify(req.Header, body, r.now()))
	code := r.codes[0]
	if len(r.codes) > 1 {
		r.codes = r.codes[1:]
	}
	w.WriteHeader(code)
}

func TestIntegrationDeliveryIsSignedRetriedAndLogged(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	clock := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	secret := []byte("whsec_erp")
	rec := &receiver{codes: []int{500, 502, 204}, verifier: webhook.HMAC{Secrets: [][]byte{secret}, Tolerance: 5 * time.Minute}, now: now}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d := &Deliverer{Store: st, Client: srv.Client(), URL: srv.URL, Secret: secret, MaxAttempts: 5, Lease: time.Minute, Now: now}

	if err := Enqueue(ctx, st.Pool, Event{ID: "evt_1", Type: "debtor.blocked", CreatedAt: clock, Data: map[string]any{"debtor_id": "d1"}}); err != nil {
		t.Fatal(err)
	}
	attempt := func(wantAttempted int) {
		t.Helper()
		n, err := d.DeliverDue(ctx)
		if err != nil || n != wantAttempted {
			t.Fatalf("at %s: attempted %d (%v), want %d", clock.Format(time.TimeOnly), n, err, wantAttempted)
		}
	}
	attempt(1) // 500: retried 30 s later
	attempt(0) // not due yet
	clock = clock.Add(29 * time.Second)
	attempt(0)
	clock = clock.Add(time.Second)
	attempt(1) // 502: retried 1 minute later
	clock = clock.Add(time.Minute)
	attempt(1) // 204: delivered
	clock = clock.Add(time.Hour)
	attempt(0) // nothing left

	if len(rec.eventIDs) != 3 {
		t.Fatalf("%d requests, want 3", len(rec.eventIDs))
	}
	for i := range rec.eventIDs {
		if rec.eventIDs[i] != "evt_1" || rec.sigErrs[i] != nil || rec.bodies[i] != rec.bodies[0] {
			t.Errorf("request %d: event %q, signature %v, body %s", i+1, rec.eventIDs[i], rec.sigErrs[i], rec.bodies[i])
		}
	}
	// A wrong secret does not verify: the signature covers the body.
	bad := webhook.HMAC{Secrets: [][]byte{[]byte("other")}, Tolerance: 5 * time.Minute}
	h := http.Header{}
	Sign(h, secret, clock, []byte(rec.bodies[0]))
	if bad.Verify(h, []byte(rec.bodies[0]), clock) == nil || rec.verifier.Verify(h, []byte(rec.bodies[0]+" "), clock) == nil {
		t.Error("a wrong secret or an altered body verified")
	}

	log, err := List(ctx, st.Pool, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Status != "delivered" || log[0].Attempts != 3 || len(log[0].Log) != 3 {
		t.Fatalf("log = %+v", log)
	}
	for i, want := range []int{500, 502, 204} {
		if a := log[0].Log[i]; a.Attempt != i+1 || a.StatusCode == nil || *a.StatusCode != want {
			t.Errorf("attempt %d = %+v, want status %d", i+1, a, want)
		}
	}
}

func TestIntegrationDeliveryGivesUpAfterMaxAttempts(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	clock := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	rec := &receiver{codes: []int{503}, verifier: webhook.HMAC{Secrets: [][]byte{[]byte("s")}, Tolerance: time.Minute}, now: now}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	d := &Deliverer{Store: st, Client: srv.Client(), URL: srv.URL, Secret: []byte("s"), MaxAttempts: 2, Lease: time.Minute, Now: now}
	if err := Enqueue(ctx, st.Pool, Event{ID: "evt_2", Type: "debtor.unblocked", CreatedAt: clock, Data: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour)
	}
	log, err := List(ctx, st.Pool, "failed", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Attempts != 2 || len(log[0].Log) != 2 || len(rec.eventIDs) != 2 {
		t.Fatalf("log = %+v after %d requests, want failed after 2 attempts", log, len(rec.eventIDs))
	}
	// A receiver that is down: no status code, the error logged.
	srv.Close()
	if err := Enqueue(ctx, st.Pool, Event{ID: "evt_3", Type: "debtor.blocked", CreatedAt: clock, Data: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	log, err = List(ctx, st.Pool, "pending", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Log[0].StatusCode != nil || log[0].Log[0].Error == "" {
		t.Errorf("down receiver: %+v", log)
	}
}
