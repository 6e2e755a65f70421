//go:build integration

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/caseworker/caseworkertest"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/temporalx"
	"github.com/relance/relance/internal/testenv"
)

var dev testenv.Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

// waitFor polls Postgres until query returns a row (the case runs on its
// own clock); it fails after a generous deadline, never asserts on speed.
func waitFor(t *testing.T, st *store.Store, what, query string, args []any, dest ...any) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := st.Pool.QueryRow(context.Background(), query, args...).Scan(dest...)
		if err == nil {
			return
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("%s: %v", what, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestIntegrationBounceReachesTheRunningCase runs the real path: a case on
// the real dev server with the real worker sends its first e-mail through
// the outbox; SendGrid's signed bounce for it comes to the events service,
// which records it and signals the case through the real case client; the
// case notes the failed delivery on its timeline.
func TestIntegrationBounceReachesTheRunningCase(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	tc := dev.Client(t)
	cases, _ := caseworkertest.Start(t, tc, st, "events-e2e")

	_, err := st.Pool.Exec(ctx, `
		INSERT INTO debtors (id, name, email, phone, address_lines, postal_code, city, segment, contact_window_start, contact_window_end)
			VALUES ('d-e2e', 'Boulangerie Léa', 'compta@lea.fr', '+33611223344', '{"3 place du Marché"}', '69001', 'Lyon', 'demo', 0, 1440);
		INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents)
			VALUES ('inv-e2e', 'd-e2e', 'F-E2E', current_date - 40, current_date - 10, 'EUR', 123456, 123456);`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpCase(t, st, "inv-e2e")
		}
	})
	if _, err := cases.Start(ctx, "inv-e2e", "F-E2E events e2e"); err != nil {
		t.Fatalf("start case: %v", err)
	}
	defer tc.TerminateWorkflow(context.Background(), temporalx.CaseWorkflowID("inv-e2e"), "", "test over")

	var interactionID string
	waitFor(t, st, "the case's first e-mail", `SELECT id FROM interactions WHERE invoice_id = 'inv-e2e'
		AND channel = 'email' AND status = 'sent' ORDER BY created_at LIMIT 1`, nil, &interactionID)

	priv, pub := sendGridKeys(t)
	h := &Handlers{Store: st, Cases: caseSignaler{cases}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SendGridKey: mustKey(t, pub)}
	now := time.Now()
	body := fmt.Sprintf(`[{"email":"compta@lea.fr","timestamp":%d,"event":"bounce","type":"bounce","reason":"550 5.1.1 unknown",
		"sg_event_id":"e2e-bounce-1","interaction_id":%q,"invoice_id":"inv-e2e"}]`, now.Unix(), interactionID)
	ts := fmt.Sprint(now.Unix())
	f := &fixture{t: t, st: st, h: h}
	if rec := f.post("/v1/webhooks/sendgrid", []byte(body), map[string]string{
		SendGridSignatureHeader: signSendGrid(t, priv, []byte(body), ts), SendGridTimestampHeader: ts}); rec.Code != http.StatusOK {
		t.Fatalf("bounce: %d %s", rec.Code, rec.Body)
	}

	var message string
	waitFor(t, st, "the case noting the bounce", `SELECT message FROM case_events WHERE invoice_id = 'inv-e2e'
		AND kind = 'delivery_failed' AND data->>'interaction_id' = $1`, []any{interactionID}, &message)
	if message == "" {
		t.Error("empty timeline message")
	}
	row, err := store.GetInteraction(ctx, st.Pool, interactionID)
	if err != nil || row.Status != store.InteractionBounced {
		t.Errorf("interaction after the bounce: %s (%v)", row.Status, err)
	}
	d, err := store.GetDebtor(ctx, st.Pool, "d-e2e")
	if err != nil || d.EmailStatus != "bounced" {
		t.Errorf("debtor e-mail status %q (%v), want bounced: the contact rules skip it from now on", d.EmailStatus, err)
	}
}

// dumpCase logs what the case did, to read a failure.
func dumpCase(t *testing.T, st *store.Store, invoiceID string) {
	rows, err := st.Pool.Query(context.Background(), `SELECT occurred_at::text, kind, message FROM case_events
		WHERE invoice_id = $1 UNION ALL SELECT created_at::text, 'interaction ' || channel || ' ' || rung, status || ' ' || error
		FROM interactions WHERE invoice_id = $1 ORDER BY 1`, invoiceID)
	if err != nil {
		t.Log(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var at, kind, msg string
		if rows.Scan(&at, &kind, &msg) == nil {
			t.Logf("%s %s: %s", at, kind, msg)
		}
	}
}
