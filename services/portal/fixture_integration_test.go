//go:build integration

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/caserelay"
	"github.com/relance/relance/internal/caseworker/caseworkertest"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

var dev testenv.Temporal

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	os.Exit(code)
}

// eventually polls check until it holds, failing after limit.
func eventually(t *testing.T, limit time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

const webhookSecret = "whsec_portal_test"

// portalPolicy sends an e-mail at once, then waits an hour for the
// letter: a case that was not paid keeps dunning for the whole test.
func portalPolicy() domain.Policy {
	return domain.Policy{
		Name: "portal-test", Segments: []string{"portal"},
		Steps: []domain.Step{
			{Name: "email-now", Action: domain.ActionEmail, From: domain.FromPrevious, Template: "reminder", Channels: []domain.Channel{domain.ChannelEmail}},
			{Name: "letter-later", Action: domain.ActionLetter, Offset: domain.Duration(time.Hour), From: domain.FromPrevious, Template: "reminder_letter"},
		},
		PromiseGrace: domain.Duration(time.Hour), InstallmentGrace: domain.Duration(time.Hour),
		InstallmentReminder: domain.Duration(time.Minute), DefaultTaskDeadline: domain.Duration(time.Hour),
	}
}

// fixture is the whole path: Postgres, the dev server, the real worker
// (outbox channels carrying portal links), the portal in-process.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	cases  *caseclient.Client
	queue  string
	portal *Portal
	srv    *httptest.Server
	// handler is set by serve, before the first request.
	handler http.Handler
}

func newFixture(t *testing.T, queue string) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st := testenv.Postgres(t)
	tc := dev.Client(t)
	if _, err := store.SavePolicy(ctx, st.Pool, portalPolicy(), "test"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"c-alice", "c-bob"} {
		if err := store.UpsertCollector(ctx, st.Pool, store.Collector{ID: c, Name: c, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, ctx: ctx, st: st, queue: queue}
	f.portal = &Portal{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Settings: Settings{CreditorName: "Relance Test SAS", IBAN: "FR7630006000011234567890189", BIC: "AGRIFRPPXXX", MaxAttachment: 1 << 20}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.handler.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	f.portal.Settings.BaseURL = f.srv.URL
	f.cases, _ = caseworkertest.StartWithEnv(t, tc, st, queue, map[string]string{"PORTAL_BASE_URL": f.srv.URL}, nil)
	f.portal.Cases = f.cases
	return f
}

// serve installs the portal's routes once its checkout is chosen.
func (f *fixture) serve() {
	f.t.Helper()
	if err := f.portal.Init(); err != nil {
		f.t.Fatal(err)
	}
	f.handler = f.portal.Router()
}

// debtor creates a debtor of the portal segment with open invoices
// (number → cents, all overdue) and starts their cases.
func (f *fixture) debtor(id, collector string, invoices map[string]int64) map[string]string {
	f.t.Helper()
	im := &intake.Importer{Store: f.st, Cases: f.cases}
	who := store.Actor{ID: "test", Role: "system"}
	start, end := 0, 1440
	if _, _, err := im.UpsertDebtor(f.ctx, who, intake.DebtorInput{ID: id, Name: "Boulangerie " + id, Email: id + "@example.fr",
		Phone: "+33612345678", AddressLines: []string{"12 rue des Lilas"}, PostalCode: "75011", City: "Paris",
		Segment: "portal", CollectorID: collector, ContactWindowStart: &start, ContactWindowEnd: &end}); err != nil {
		f.t.Fatal(err)
	}
	due := time.Now().AddDate(0, 0, -10).Format(intake.DateLayout)
	issued := time.Now().AddDate(0, 0, -40).Format(intake.DateLayout)
	var lines []intake.Line
	for number, cents := range invoices {
		lines = append(lines, intake.Line{Line: len(lines) + 1, Input: intake.InvoiceInput{Number: number, DebtorID: id,
			IssueDate: issued, DueDate: due, Currency: "EUR", AmountCents: cents, Description: "Fournitures " + number}})
	}
	rep, err := im.ImportInvoices(f.ctx, who, lines)
	if err != nil {
		f.t.Fatal(err)
	}
	ids := map[string]string{}
	for _, l := range rep.Lines {
		if l.Outcome == intake.Rejected || l.Case == intake.CaseStartFailed {
			f.t.Fatalf("import %s: %+v", l.Number, l)
		}
		ids[l.Number] = l.InvoiceID
	}
	return ids
}

var linkPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_-]+`)

// emailLink waits for the reminder e-mail of an invoice in the outbox and
// returns the portal link it carries.
func (f *fixture) emailLink(invoiceID string) string {
	f.t.Helper()
	var link string
	eventually(f.t, 60*time.Second, "the reminder e-mail of "+invoiceID, func() bool {
		var body string
		err := f.st.Pool.QueryRow(f.ctx, `SELECT body_text FROM interactions WHERE invoice_id = $1 AND channel = 'email'
			AND status = 'sent'`, invoiceID).Scan(&body)
		link = linkPattern.FindString(body)
		return err == nil && link != ""
	})
	return link
}

// state waits until the case of invoiceID satisfies ok.
func (f *fixture) waitCase(invoiceID, what string, ok func(domain.CaseState) bool) domain.CaseState {
	f.t.Helper()
	var st domain.CaseState
	eventually(f.t, 60*time.Second, what, func() bool {
		var err error
		st, err = f.cases.State(f.ctx, invoiceID)
		return err == nil && ok(st)
	})
	return st
}

// relay delivers the case commands (disputes) in the test, as the
// disputes and payments services do.
func (f *fixture) relay() {
	ctx, cancel := context.WithCancel(f.ctx)
	relay := &caserelay.Relay{Store: f.st, Cases: f.cases, PollInterval: 200 * time.Millisecond}
	var wg sync.WaitGroup
	wg.Go(func() { _ = relay.Run(ctx) })
	f.t.Cleanup(func() { cancel(); wg.Wait() })
}

// count returns the number of rows a query counts.
func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.st.Pool.QueryRow(f.ctx, sql, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// paymentsBinary builds services/payments once per test binary.
var paymentsBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "relance-portal-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "payments")
	out, err := exec.Command("go", "build", "-o", bin, "../payments").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build payments: %v: %s", err, out)
	}
	return bin, nil
})

// startPayments runs the real payments service on the test's database
// and task queue: its signed Stripe endpoint books the payment and its
// relay delivers it to the case. It returns the service's URL.
func (f *fixture) startPayments() string {
	f.t.Helper()
	bin, err := paymentsBinary()
	if err != nil {
		f.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+testenv.DatabaseURL(f.st), "TEMPORAL_ADDRESS="+dev.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=default", "TEMPORAL_TASK_QUEUE="+f.queue, "HTTP_ADDR="+addr,
		"PAYMENTS_STRIPE_SECRETS="+webhookSecret, "CASE_RELAY_POLL_INTERVAL=200ms", "LOG_LEVEL=warn")
	logs, err := os.Create(filepath.Join(f.t.TempDir(), "payments.log"))
	if err != nil {
		f.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if f.t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			f.t.Logf("payments log:\n%s", b)
		}
	})
	url := "http://" + addr
	eventually(f.t, 30*time.Second, "the payments service to be ready", func() bool {
		res, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return url
}
