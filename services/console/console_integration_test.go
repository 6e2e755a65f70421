//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/relance/relance/internal/browsertest"
	"github.com/relance/relance/internal/caseworker/caseworkertest"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
	"github.com/relance/relance/services/console/apiclient"
	"github.com/relance/relance/services/console/ui"
)

var (
	dev      testenv.Temporal
	buildDir string
	apiOnce  sync.Once
	apiBin   string
	apiErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	dev.Stop()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// eventually polls check until it returns true, failing after limit.
func eventually(t *testing.T, limit time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// apiBinary builds the real API once per test binary: the console talks
// to it over HTTP exactly as in production.
func apiBinary(t *testing.T) string {
	t.Helper()
	apiOnce.Do(func() {
		buildDir, apiErr = os.MkdirTemp("", "relance-console-test-")
		if apiErr != nil {
			return
		}
		apiBin = filepath.Join(buildDir, "api")
		out, err := exec.Command("go", "build", "-o", apiBin, "github.com/relance/relance/services/api").CombinedOutput()
		if err != nil {
			apiErr = fmt.Errorf("build the API: %v\n%s", err, out)
		}
	})
	if apiErr != nil {
		t.Fatal(apiErr)
	}
	return apiBin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// stack is Postgres, the Temporal dev server with the real worker, the API
// process and the console, with people to sign in as.
type stack struct {
	st      *store.Store
	api     *apiclient.Client
	console string
	manager string // a manager API token, to look at what the console did
}

const password = "mot de passe solide"

func startStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	st := testenv.Postgres(t)
	tc := dev.Client(t)
	queue := "console-" + strings.ToLower(t.Name())
	// The worker stores the letters the API serves: one folder for both.
	docsDir := t.TempDir()
	caseworkertest.StartWithEnv(t, tc, st, queue, map[string]string{"DOCUMENTS_DIR": docsDir}, nil)

	addr := freeAddr(t)
	cmd := exec.Command(apiBinary(t))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+testenv.DatabaseURL(st), "TEMPORAL_ADDRESS="+dev.FrontendHostPort(),
		"TEMPORAL_TASK_QUEUE="+queue, "HTTP_ADDR="+addr, "LOG_LEVEL=warn",
		"DOCUMENTS_URL=file://"+filepath.ToSlash(docsDir))
	logs, err := os.Create(filepath.Join(t.TempDir(), "api.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("API log:\n%s", b)
		}
	})
	apiURL := "http://" + addr
	eventually(t, 30*time.Second, "the API to answer", func() bool {
		res, err := http.Get(apiURL + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})

	for _, c := range []store.Collector{{ID: "c-alice", Name: "Alice Moreau", Active: true}, {ID: "c-bob", Name: "Bob Durand", Active: true}} {
		if err := store.UpsertCollector(ctx, st.Pool, c); err != nil {
			t.Fatal(err)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.User{
		{Email: "alice@relance.example", Name: "Alice Moreau", Role: "collector", CollectorID: "c-alice", Language: "fr"},
		{Email: "marc@relance.example", Name: "Marc Manager", Role: "manager", Language: "fr"},
		{Email: "agnes@relance.example", Name: "Agnès Admin", Role: "admin", Language: "en"},
	} {
		if _, err := store.CreateUser(ctx, st.Pool, u, string(hash)); err != nil {
			t.Fatal(err)
		}
	}
	_, manager, err := store.CreateToken(ctx, st.Pool, "test-manager", store.RoleManager, "")
	if err != nil {
		t.Fatal(err)
	}
	api := apiclient.New(apiURL)
	paris, _ := time.LoadLocation("Europe/Paris")
	c, err := ui.New(ui.Config{API: api, Secret: []byte(strings.Repeat("s", 32)), TemporalUI: "http://localhost:8233",
		Namespace: "default", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return &stack{st: st, api: api, console: srv.URL, manager: manager}
}

// importInvoice creates a debtor of Alice's (reachable at any hour) in
// segment ("demo": the ladder walks in seconds; "": the standard ladder, a
// call task on D+1 that stays open two days) and one invoice three days
// overdue; it returns the invoice ID.
func (s *stack) importInvoice(t *testing.T, segment, debtorID, debtorName, number string, cents int64) string {
	t.Helper()
	ctx := context.Background()
	_, service, err := store.CreateToken(ctx, s.st.Pool, "intake-"+number, store.RoleService, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.api.Call(ctx, service, http.MethodPut, "/v1/debtors/"+debtorID, map[string]any{
		"name": debtorName, "email": "compta@" + debtorID + ".example", "phone": "+33612345678",
		"address_lines": []string{"12 rue des Lilas"}, "postal_code": "75011", "city": "Paris",
		"segment": segment, "collector_id": "c-alice", "contact_window_start": 0, "contact_window_end": 1440,
	}, nil); err != nil {
		t.Fatal(err)
	}
	due := time.Now().AddDate(0, 0, -3).Format("2006-01-02")
	var rep apiclient.ImportReport
	if err := s.api.Call(ctx, service, http.MethodPost, "/v1/invoices:bulk", []map[string]any{{
		"number": number, "debtor_id": debtorID, "issue_date": time.Now().AddDate(0, 0, -33).Format("2006-01-02"),
		"due_date": due, "currency": "EUR", "amount_cents": cents, "description": "Maintenance fours",
	}}, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Lines) != 1 || rep.Lines[0].InvoiceID == "" {
		t.Fatalf("import report %+v", rep)
	}
	return rep.Lines[0].InvoiceID
}

// callTask waits for the invoice's call task.
func (s *stack) callTask(t *testing.T, invoiceID string) string {
	t.Helper()
	var id string
	eventually(t, 60*time.Second, "the call task of "+invoiceID, func() bool {
		var wl apiclient.Worklist
		if err := s.api.Call(context.Background(), s.manager, http.MethodGet, "/v1/worklist", nil, &wl); err != nil {
			t.Fatal(err)
		}
		for _, it := range wl.Items {
			if it.InvoiceID == invoiceID && it.Kind == "call" {
				id = it.TaskID
				return true
			}
		}
		return false
	})
	return id
}

func act(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		// The page as it was when the step gave up, for the reader of the failure.
		if html, herr := chromedp.Run(ctx, chromedp.Evaluate[string](`document.location.href + "\n" + document.body.innerText`)); herr == nil {
			t.Logf("page at the failure:\n%s", html)
		}
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("read %s: %v", css, err)
	}
	return s
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func signIn(t *testing.T, ctx context.Context, console, email string) {
	t.Helper()
	act(t, ctx, "sign in as "+email,
		chromedp.Navigate(console+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.SetValue(chromedp.CSS("#email"), email),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#me")),
	)
}

// checkAccessibility runs axe-core (vendored under testdata/) on the page
// and fails on any serious or critical violation.
func checkAccessibility(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	src, err := os.ReadFile("testdata/axe-core-4.14.1/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";true")); err != nil {
		t.Fatalf("load axe-core on %s: %v", page, err)
	}
	out := eval[string](t, ctx, `axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))))`)
	var found []any
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		t.Fatalf("axe on %s: %v", page, err)
	}
	if len(found) > 0 {
		t.Errorf("axe-core on %s: serious or critical violations %s", page, out)
	}
}

// screenshotPath is where the README's screenshots are kept.
func screenshotPath(name string) string {
	return filepath.Join("..", "..", "docs", "screenshots", name)
}

// A collector signs in, works a call task to a promise (a refused amount
// first, named as the API names it), sees the case paused in the API,
// writes a note with HTML in it, opens a letter, is refused the manager's
// dashboard and a forged post, and signs out.
func TestIntegrationConsoleCollector(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	inv := s.importInvoice(t, "", "d-martin", "Boulangerie <b>Martin</b>", "F-2026-001", 1_234_56)
	letterInv := s.importInvoice(t, "demo", "d-garage", "Garage du Centre", "F-2026-002", 480_00)
	task := s.callTask(t, inv)

	b := browsertest.New(t, browsertest.Options{Timeout: 8 * time.Minute})
	// Without a session every page goes to the sign-in.
	act(t, b, "open the worklist", chromedp.Navigate(s.console+"/worklist"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	checkAccessibility(t, b, "sign-in")
	// A wrong password is refused on the password field.
	act(t, b, "wrong password",
		chromedp.SetValue(chromedp.CSS("#email"), "alice@relance.example"),
		chromedp.SetValue(chromedp.CSS("#password"), "pas le bon"),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#password-error")))
	signIn(t, b, s.console, "alice@relance.example")

	act(t, b, "worklist", chromedp.Navigate(s.console+"/worklist"), chromedp.WaitVisible(chromedp.CSS("#task-"+task)))
	card := text(t, b, "#task-"+task)
	if !strings.Contains(card, "Boulangerie <b>Martin</b>") || !strings.Contains(card, "1\u00a0234,56\u00a0€") {
		t.Errorf("worklist card = %q: want the name as typed (escaped, not bold) and 1 234,56 €", card)
	}
	if n := eval[int](t, b, `document.querySelectorAll('#tasks b').length`); n != 0 {
		t.Errorf("the debtor's name was rendered as HTML (%d <b> elements)", n)
	}
	checkAccessibility(t, b, "worklist")
	browsertest.Screenshot(t, b, screenshotPath("worklist.png"))

	// An amount the console cannot read names the API's field.
	tomorrow := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
	act(t, b, "refused promise",
		chromedp.SetValue(chromedp.CSS("#promise-amount-"+task), "douze"),
		chromedp.SetValue(chromedp.CSS("#promise-date-"+task), tomorrow),
		chromedp.Click(chromedp.CSS("#promise-"+task)),
		chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if e := text(t, b, ".field-error"); !strings.Contains(e, "promise.amount_cents") {
		t.Errorf("field error %q does not name promise.amount_cents", e)
	}
	// A date in the past: the API refuses it, naming promise.date.
	act(t, b, "promise in the past",
		chromedp.SetValue(chromedp.CSS("#promise-amount-"+task), "1 234,56"),
		chromedp.SetValue(chromedp.CSS("#promise-date-"+task), "2020-01-01"),
		chromedp.Click(chromedp.CSS("#promise-"+task)),
		chromedp.WaitVisible(chromedp.CSS("#promise-date-"+task+"[aria-invalid]")))
	if e := text(t, b, ".field-error"); !strings.Contains(e, "promise.date") || !strings.Contains(e, "past") {
		t.Errorf("field error %q: want the API's promise.date reason", e)
	}
	act(t, b, "promise",
		chromedp.SetValue(chromedp.CSS("#promise-amount-"+task), "1 234,56"),
		chromedp.SetValue(chromedp.CSS("#promise-date-"+task), tomorrow),
		chromedp.Click(chromedp.CSS("#promise-"+task)),
		chromedp.WaitVisible(chromedp.CSS("#case-status")))
	if st := text(t, b, "#case-status"); st != "en pause" {
		t.Errorf("case status on the page = %q, want en pause", st)
	}
	var detail apiclient.CaseDetail
	if err := s.api.Call(ctx, s.manager, http.MethodGet, "/v1/cases/"+inv, nil, &detail); err != nil {
		t.Fatal(err)
	}
	if detail.Case.Status != "paused" || !strings.HasPrefix(detail.Case.PauseReason, "promise") {
		t.Errorf("the API shows the case %s/%s, want paused on the promise", detail.Case.Status, detail.Case.PauseReason)
	}
	if p := text(t, b, "#promises"); !strings.Contains(p, "1\u00a0234,56\u00a0€") || !strings.Contains(p, time.Now().AddDate(0, 0, 2).Format("02/01/2006")) {
		t.Errorf("promises on the page = %q", p)
	}

	// A note with HTML in it is shown as text.
	act(t, b, "note",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('flash').remove()`),
		chromedp.SetValue(chromedp.CSS("#notes-text"), `<img src=x onerror="document.title='pwned'">rappeler mardi`),
		chromedp.Click(chromedp.CSS("#form-notes button")),
		chromedp.WaitVisible(chromedp.CSS("#flash")))
	if tl := text(t, b, "#timeline"); !strings.Contains(tl, `<img src=x onerror="document.title='pwned'">rappeler mardi`) {
		t.Errorf("timeline %q lacks the note as typed", tl)
	}
	if n := eval[int](t, b, `document.querySelectorAll('#timeline img').length`); n != 0 {
		t.Error("the note's HTML was rendered")
	}
	checkAccessibility(t, b, "case")
	browsertest.Screenshot(t, b, screenshotPath("case.png"))

	// A forged post (no CSRF token) is refused and changes nothing.
	if code := eval[int](t, b, `fetch('/cases/`+inv+`/notes', {method: 'POST', body: new URLSearchParams({text: 'forged', csrf: 'x'})}).then(r => r.status)`); code != http.StatusForbidden {
		t.Errorf("forged post = %d, want 403", code)
	}
	var n int
	if err := s.st.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE kind = 'note' AND message = 'forged'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("forged note written (%d, %v)", n, err)
	}

	// A letter of the other case opens inline as a PDF.
	var letter string
	eventually(t, 90*time.Second, "a letter of "+letterInv, func() bool {
		err := s.st.Pool.QueryRow(ctx, `SELECT id FROM interactions WHERE invoice_id = $1 AND coalesce(file_path, '') <> '' ORDER BY created_at LIMIT 1`, letterInv).Scan(&letter)
		return err == nil
	})
	act(t, b, "case with a letter", chromedp.Navigate(s.console+"/cases/"+letterInv), chromedp.WaitReady(chromedp.CSS("#doc-"+letter)))
	got := eval[string](t, b, `fetch(document.querySelector('#doc-`+letter+` .document-link').href).then(async r => r.status + ' ' + r.headers.get('content-type') + ' ' + (await r.text()).slice(0, 5))`)
	if got != "200 application/pdf %PDF-" {
		t.Errorf("opening the letter gave %q, want a PDF", got)
	}

	// A collector is refused the manager's dashboard.
	act(t, b, "dashboard as a collector", chromedp.Navigate(s.console+"/dashboard"), chromedp.WaitVisible(chromedp.CSS("#error-message")))
	if e := text(t, b, "#error-message"); !strings.Contains(e, "pas accessible") {
		t.Errorf("dashboard as a collector says %q", e)
	}

	// Sign-out ends the API session.
	act(t, b, "sign out", chromedp.Navigate(s.console+"/worklist"), chromedp.WaitVisible(chromedp.CSS("#signout")),
		chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	if err := s.st.Pool.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE user_id IS NOT NULL AND revoked_at IS NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d live sessions after sign-out (%v)", n, err)
	}
	act(t, b, "worklist after sign-out", chromedp.Navigate(s.console+"/worklist"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
}

// A manager sees the dashboard and the case list with Temporal UI links;
// an admin (in English) imports a CSV with a bad line and reads its error,
// and creates a user whose refused e-mail is named.
func TestIntegrationConsoleManagerAndAdmin(t *testing.T) {
	s := startStack(t)
	inv := s.importInvoice(t, "", "d-martin", "Boulangerie Martin", "F-2026-010", 2_500_00)
	s.callTask(t, inv)

	b := browsertest.New(t, browsertest.Options{Timeout: 8 * time.Minute})
	signIn(t, b, s.console, "marc@relance.example")
	act(t, b, "dashboard", chromedp.Navigate(s.console+"/dashboard"), chromedp.WaitVisible(chromedp.CSS("#kpi-outstanding")))
	if o := text(t, b, "#kpi-outstanding"); o != "2\u00a0500,00\u00a0€" {
		t.Errorf("outstanding = %q, want 2 500,00 €", o)
	}
	if n := eval[int](t, b, `document.querySelectorAll('svg.chart rect.bar').length`); n < 3 {
		t.Errorf("%d bars on the dashboard's charts", n)
	}
	checkAccessibility(t, b, "dashboard")
	browsertest.Screenshot(t, b, screenshotPath("dashboard.png"))

	act(t, b, "case list", chromedp.Navigate(s.console+"/cases"), chromedp.WaitVisible(chromedp.CSS("#cases .temporal-link")))
	href := eval[string](t, b, `document.querySelector('#cases .temporal-link').href`)
	if href != "http://localhost:8233/namespaces/default/workflows/invoice:"+inv {
		t.Errorf("Temporal UI link = %q", href)
	}
	checkAccessibility(t, b, "cases")
	act(t, b, "sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#signin-form")))

	// The admin works in English.
	signIn(t, b, s.console, "agnes@relance.example")
	csv := filepath.Join(t.TempDir(), "factures.csv")
	due := time.Now().AddDate(0, 0, -5).Format("2006-01-02")
	body := "number,debtor_id,issue_date,due_date,currency,amount_cents\n" +
		"F-CSV-1,d-martin,2026-01-01," + due + ",EUR,10000\n" +
		"F-CSV-2,d-martin,2026-01-01," + due + ",EUR,-5\n"
	if err := os.WriteFile(csv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	act(t, b, "import", chromedp.Navigate(s.console+"/admin/import"), chromedp.WaitVisible(chromedp.CSS("#form-import")))
	checkAccessibility(t, b, "import")
	act(t, b, "upload",
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{csv}),
		chromedp.Click(chromedp.CSS("#import-submit")),
		chromedp.WaitVisible(chromedp.CSS("#import-report")))
	if sum := text(t, b, "#import-summary"); !strings.Contains(sum, "1 created") || !strings.Contains(sum, "1 rejected") {
		t.Errorf("import summary %q", sum)
	}
	if row := text(t, b, "#import-report tr.line-rejected"); !strings.Contains(row, "amount_cents") || !strings.Contains(row, "F-CSV-2") {
		t.Errorf("rejected line = %q, want F-CSV-2 naming amount_cents", row)
	}

	act(t, b, "users", chromedp.Navigate(s.console+"/admin/users"), chromedp.WaitVisible(chromedp.CSS("#form-user")),
		chromedp.SetValue(chromedp.CSS("#user-new-name"), "Zoé Leroy"),
		chromedp.SetValue(chromedp.CSS("#user-new-email"), "marc@relance.example"),
		chromedp.SetValue(chromedp.CSS("#new-role"), "manager"),
		chromedp.Click(chromedp.CSS("#create-user")),
		chromedp.WaitVisible(chromedp.CSS("#user-new-email-error")))
	if e := text(t, b, "#user-new-email-error"); !strings.HasPrefix(e, "email") || !strings.Contains(e, "another user") {
		t.Errorf("refused e-mail says %q, want the API's reason on the email field", e)
	}
	checkAccessibility(t, b, "users")
	// A collector refused an admin page, through the API's own answer.
	if err := s.api.Call(context.Background(), s.manager, http.MethodGet, "/v1/users", nil, nil); apiclient.Status(err) != http.StatusForbidden {
		t.Errorf("a manager listing users: %v, want 403", err)
	}
}
