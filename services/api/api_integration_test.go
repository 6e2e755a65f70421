//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// fakeCases stands in for the workflow: a start writes the case
// projection the way the workflow's RecordCase would; updates are recorded
// and answered with err when set.
type fakeCases struct {
	st      *store.Store
	mu      sync.Mutex
	starts  []caseclient.StartRequest
	updates []fakeUpdate
	err     error
}

type fakeUpdate struct {
	InvoiceID, Name, UpdateID string
	Arg                       any
}

func (f *fakeCases) EnsureStarted(ctx context.Context, req caseclient.StartRequest) error {
	f.mu.Lock()
	f.starts = append(f.starts, req)
	f.mu.Unlock()
	_, err := f.st.Pool.Exec(ctx, `INSERT INTO cases (invoice_id, workflow_id, debtor_id, status, stage, policy_name, policy_version, balance_cents, currency)
		SELECT id, 'invoice:' || id, debtor_id, 'active', 'started', 'standard-b2b', 1, balance_cents, currency FROM invoices WHERE id = $1
		ON CONFLICT DO NOTHING`, req.InvoiceID)
	return err
}

func (f *fakeCases) Update(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return domain.CaseState{}, f.err
	}
	f.updates = append(f.updates, fakeUpdate{invoiceID, name, updateID, arg})
	return domain.CaseState{Status: domain.StatusPaused, Stage: "after-" + name, BalanceCents: 123456}, nil
}

// State answers the state the last update returned, as a case would.
func (f *fakeCases) State(ctx context.Context, invoiceID string) (domain.CaseState, error) {
	return domain.CaseState{Status: domain.StatusPaused, Stage: "after-state", BalanceCents: 123456}, nil
}

func (f *fakeCases) lastUpdate(t *testing.T) fakeUpdate {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.updates) == 0 {
		t.Fatal("no update reached the case")
	}
	return f.updates[len(f.updates)-1]
}

func (f *fakeCases) updateCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.updates)
}

// now is 10 March 2026, 10:00 in Paris.
var testNow = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	st    *store.Store
	cases *fakeCases
	h     http.Handler
	docs  *documents.Archive
	// docsDir is the documents bucket's folder.
	docsDir string
	// tokens by name: manager, service, alice (collector c-alice), bob (collector c-bob)
	tok map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st := testenv.Postgres(t)
	fc := &fakeCases{st: st}
	now := func() time.Time { return testNow }
	docs, docsDir := testenv.Documents(t, st)
	api := &API{
		Store: st, Cases: fc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now,
		Intake: &intake.Importer{Store: st, Cases: fc}, Documents: docs,
	}
	hs := &harness{t: t, st: st, cases: fc, h: api.Handler(), tok: map[string]string{}, docs: docs, docsDir: docsDir}
	ctx := context.Background()
	for _, c := range []store.Collector{{ID: "c-alice", Name: "Alice", Active: true}, {ID: "c-bob", Name: "Bob", Active: true}} {
		if err := store.UpsertCollector(ctx, st.Pool, c); err != nil {
			t.Fatal(err)
		}
	}
	for name, spec := range map[string][2]string{
		"manager": {store.RoleManager, ""}, "service": {store.RoleService, ""},
		"alice": {store.RoleCollector, "c-alice"}, "bob": {store.RoleCollector, "c-bob"},
	} {
		_, secret, err := store.CreateToken(ctx, st.Pool, name, spec[0], spec[1])
		if err != nil {
			t.Fatal(err)
		}
		hs.tok[name] = secret
	}
	return hs
}

type response struct {
	*httptest.ResponseRecorder
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", r.Body.String(), err)
	}
}

func (r response) problemField(t *testing.T) string {
	t.Helper()
	if ct := r.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want problem+json; body %s", ct, r.Body.String())
	}
	var p struct{ Field string }
	r.json(t, &p)
	return p.Field
}

// do sends a request as who ("" for none); body is JSON-encoded unless it
// is a string or []byte.
func (hs *harness) do(who, method, path string, body any, headers ...string) response {
	hs.t.Helper()
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			hs.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+hs.tok[who])
	}
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, req)
	return response{w}
}

func (hs *harness) expect(r response, code int) response {
	hs.t.Helper()
	if r.Code != code {
		hs.t.Fatalf("status %d, want %d; body %s", r.Code, code, r.Body.String())
	}
	return r
}

func (hs *harness) count(sql string, args ...any) int {
	hs.t.Helper()
	var n int
	if err := hs.st.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		hs.t.Fatal(err)
	}
	return n
}

// seedDebtors creates d-alice (Alice's portfolio, fr, business) and d-bob
// (Bob's, en, consumer, opted out of e-mail).
func (hs *harness) seedDebtors() {
	hs.t.Helper()
	hs.expect(hs.do("service", "PUT", "/v1/debtors/d-alice", map[string]any{
		"name": "Boulangerie Martin SARL", "email": "compta@martin.example", "phone": "+33612345678",
		"collector_id": "c-alice", "address_lines": []string{"12 rue des Lilas"}, "postal_code": "75011", "city": "Paris",
	}), http.StatusCreated)
	hs.expect(hs.do("service", "PUT", "/v1/debtors/d-bob", map[string]any{
		"name": "John Smith", "is_business": false, "language": "en", "email": "john@example.org",
		"collector_id": "c-bob", "consents": map[string]bool{"email": false},
	}), http.StatusCreated)
}

func invoice(number, debtor, due string, cents int64) map[string]any {
	return map[string]any{"number": number, "debtor_id": debtor, "issue_date": "2026-01-01", "due_date": due,
		"currency": "EUR", "amount_cents": cents}
}

func (hs *harness) importInvoice(body map[string]any) intake.LineResult {
	hs.t.Helper()
	var res InvoiceImport
	r := hs.do("service", "POST", "/v1/invoices", body)
	if r.Code != http.StatusCreated && r.Code != http.StatusOK {
		hs.t.Fatalf("import %v: %d %s", body["number"], r.Code, r.Body.String())
	}
	r.json(hs.t, &res)
	return res.LineResult
}

func TestIntegrationAuthRolesAndPortfolio(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	a := hs.importInvoice(invoice("F-A1", "d-alice", "2026-02-01", 100_00))
	b := hs.importInvoice(invoice("F-B1", "d-bob", "2026-02-01", 200_00))

	hs.expect(hs.do("", "GET", "/v1/cases", nil), http.StatusUnauthorized)
	r := hs.do("", "GET", "/v1/cases", nil, "Authorization", "Bearer rl_not-a-token")
	hs.expect(r, http.StatusUnauthorized)

	// A collector cannot import; the service cannot act on cases or write off.
	hs.expect(hs.do("alice", "POST", "/v1/invoices", invoice("F-X", "d-alice", "2026-02-01", 1)), http.StatusForbidden)
	hs.expect(hs.do("service", "POST", "/v1/cases/"+a.InvoiceID+"/notes", map[string]string{"text": "hi"}), http.StatusForbidden)
	hs.expect(hs.do("alice", "POST", "/v1/cases/"+a.InvoiceID+"/write-off", map[string]string{"reason": "x"}), http.StatusForbidden)

	// Alice sees her debtor and case only; Bob's look like they do not exist.
	hs.expect(hs.do("alice", "GET", "/v1/debtors/d-alice", nil), http.StatusOK)
	hs.expect(hs.do("alice", "GET", "/v1/debtors/d-bob", nil), http.StatusNotFound)
	hs.expect(hs.do("alice", "GET", "/v1/debtors/d-bob/360", nil), http.StatusNotFound)
	hs.expect(hs.do("alice", "GET", "/v1/cases/"+b.InvoiceID, nil), http.StatusNotFound)
	hs.expect(hs.do("alice", "POST", "/v1/cases/"+b.InvoiceID+"/notes", map[string]string{"text": "hi"}), http.StatusNotFound)
	var list CaseList
	hs.expect(hs.do("alice", "GET", "/v1/cases", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].InvoiceID != a.InvoiceID {
		t.Fatalf("alice's cases = %+v, want only %s", list.Items, a.InvoiceID)
	}
	hs.expect(hs.do("manager", "GET", "/v1/cases", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("manager sees %d cases, want 2", len(list.Items))
	}

	// A revoked token stops working at once.
	var id string
	if err := hs.st.Pool.QueryRow(context.Background(), `SELECT id FROM api_tokens WHERE name = 'bob'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tokenAction(context.Background(), hs.st, []string{"revoke", id}, &out); err != nil {
		t.Fatal(err)
	}
	hs.expect(hs.do("bob", "GET", "/v1/cases", nil), http.StatusUnauthorized)

	// The token command prints a secret once and stores only its hash.
	out.Reset()
	if err := tokenAction(context.Background(), hs.st, []string{"create", "--role", "collector", "--name", "carol", "--collector", "c-alice"}, &out); err != nil {
		t.Fatal(err)
	}
	_, secret, ok := strings.Cut(out.String(), "secret: ")
	secret, _, _ = strings.Cut(secret, "\n")
	if !ok || hs.count(`SELECT count(*) FROM api_tokens WHERE token_hash = $1`, store.HashToken(secret)) != 1 ||
		hs.count(`SELECT count(*) FROM api_tokens WHERE position($1 in encode(token_hash, 'escape')) > 0`, secret) != 0 {
		t.Fatalf("token create output %q: secret not stored as its hash only", out.String())
	}
	if err := tokenAction(context.Background(), hs.st, []string{"create", "--role", "collector", "--name", "x"}, io.Discard); err == nil {
		t.Error("a collector token without a collector was created")
	}
}

func TestIntegrationInvoiceIntakeJSON(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()

	first := hs.importInvoice(invoice("F-2026-0042", "d-alice", "2026-02-01", 1_234_56))
	if first.Outcome != intake.Created || first.Case != intake.CaseStarted {
		t.Fatalf("first import = %+v", first)
	}
	if got := hs.cases.starts[0]; got.Summary != "F-2026-0042 · 1\u00a0234,56\u00a0€ · standard-b2b" ||
		got.Attributes.CustomerID != "d-alice" || got.Attributes.Collector != "c-alice" {
		t.Errorf("start request = %+v", got)
	}
	again := hs.importInvoice(invoice("F-2026-0042", "d-alice", "2026-02-01", 1_234_56))
	if again.Outcome != intake.Unchanged || again.InvoiceID != first.InvoiceID || again.Case != intake.CaseRunning {
		t.Fatalf("second import = %+v", again)
	}
	changed := invoice("F-2026-0042", "d-alice", "2026-02-01", 1_234_56)
	changed["description"] = "Prestations de février"
	if res := hs.importInvoice(changed); res.Outcome != intake.Updated || len(res.Changed) != 1 || res.Changed[0] != "description" {
		t.Fatalf("description change = %+v", res)
	}
	// Once the case runs, a lower amount is a credit note's job: 409 naming the field.
	lower := invoice("F-2026-0042", "d-alice", "2026-02-01", 1_000_00)
	if f := hs.expect(hs.do("service", "POST", "/v1/invoices", lower), http.StatusConflict).problemField(t); f != "amount_cents" {
		t.Errorf("amount lowered after start: field %q", f)
	}
	moved := invoice("F-2026-0042", "d-bob", "2026-02-01", 1_234_56)
	if f := hs.expect(hs.do("service", "POST", "/v1/invoices", moved), http.StatusConflict).problemField(t); f != "debtor_id" {
		t.Errorf("debtor change: field %q", f)
	}
	// An invoice not yet due has its case from import, asleep until its first rung.
	later := hs.importInvoice(invoice("F-LATER", "d-alice", "2026-06-30", 50_00))
	if later.Case != intake.CaseStarted {
		t.Errorf("future invoice case = %q, want started", later.Case)
	}
	// The ERP corrects its due date and raises its amount: the running case gets both.
	corrected := invoice("F-LATER", "d-alice", "2026-07-31", 60_00)
	res := hs.importInvoice(corrected)
	if res.Outcome != intake.Updated || res.Case != intake.CaseUpdated || !slices.Equal(res.Changed, []string{"due_date", "amount_cents"}) {
		t.Errorf("correction of a running case = %+v", res)
	}
	up := hs.cases.lastUpdate(t)
	terms, ok := up.Arg.(domain.TermsUpdate)
	if up.Name != domain.UpdateTerms || up.InvoiceID != later.InvoiceID || !ok ||
		terms.AmountCents != 60_00 || terms.DueDate.Format("2006-01-02") != "2026-07-31" || up.UpdateID != terms.ID {
		t.Errorf("terms update = %+v", up)
	}
	if n := hs.count(`SELECT balance_cents FROM invoices WHERE number = 'F-LATER'`); n != 60_00 {
		t.Errorf("balance after amount change = %d", n)
	}
	// Importing the same line again changes nothing and sends nothing.
	updates := hs.cases.updateCount()
	if again := hs.importInvoice(corrected); again.Outcome != intake.Unchanged || hs.cases.updateCount() != updates {
		t.Errorf("same correction again = %+v, %d updates", again, hs.cases.updateCount()-updates)
	}
	// Validation: 422 naming the field, nothing written.
	before := hs.count(`SELECT count(*) FROM invoices`)
	for field, body := range map[string]map[string]any{
		"amount_cents": invoice("F-BAD", "d-alice", "2026-02-01", 0),
		"due_date":     invoice("F-BAD", "d-alice", "2025-12-01", 10),
		"debtor_id":    invoice("F-BAD", "d-nobody", "2026-02-01", 10),
	} {
		if f := hs.expect(hs.do("service", "POST", "/v1/invoices", body), http.StatusUnprocessableEntity).problemField(t); f != field {
			t.Errorf("bad %s: problem names %q", field, f)
		}
	}
	hs.expect(hs.do("service", "POST", "/v1/invoices", `{"number": "F-1",`), http.StatusBadRequest)
	if after := hs.count(`SELECT count(*) FROM invoices`); after != before {
		t.Errorf("rejected invoices wrote rows: %d -> %d", before, after)
	}
	// Every write has its audit line.
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE entity = 'invoice' AND action IN ('invoice.create', 'invoice.update')`); n != 4 {
		t.Errorf("%d invoice audit lines, want 4 (2 creates, 2 updates)", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'debtor.create' AND role = 'service'`); n != 2 {
		t.Errorf("%d debtor audit lines, want 2", n)
	}
	// Debtor validation and consents.
	if f := hs.expect(hs.do("service", "PUT", "/v1/debtors/d-x", map[string]any{"name": "X", "language": "de"}), http.StatusUnprocessableEntity).problemField(t); f != "language" {
		t.Errorf("bad language: field %q", f)
	}
	if f := hs.expect(hs.do("service", "PUT", "/v1/debtors/d-x", map[string]any{"name": "X", "collector_id": "nobody"}), http.StatusUnprocessableEntity).problemField(t); f != "collector_id" {
		t.Errorf("unknown collector: field %q", f)
	}
	// Addresses print whole (NF Z10-011, 6 lines of 38 characters): a
	// 60-character line is wrapped onto a free line, or refused naming it
	// when there is none — never cut.
	long := "Résidence «Les Cœurs de l'Üetliberg», bâtiment Ç, escalier 12"
	hs.expect(hs.do("service", "PUT", "/v1/debtors/d-wrap", map[string]any{"name": "Copropriété Üetliberg",
		"address_lines": []string{long, "3 rue du Lac"}, "postal_code": "74000", "city": "Annecy"}), http.StatusCreated)
	if f := hs.expect(hs.do("service", "PUT", "/v1/debtors/d-full", map[string]any{"name": "Copropriété Üetliberg",
		"address_lines": []string{long, "Service comptabilité", "Bâtiment A", "3 rue du Lac"}, "postal_code": "74000", "city": "Annecy"}),
		http.StatusUnprocessableEntity).problemField(t); f != "address_lines[0]" {
		t.Errorf("60-character line without a free line: field %q", f)
	}
	if n := hs.count(`SELECT count(*) FROM debtors WHERE id = 'd-full'`); n != 0 {
		t.Error("the refused debtor was written")
	}
	var d DebtorResponse
	hs.expect(hs.do("manager", "GET", "/v1/debtors/d-bob", nil), http.StatusOK).json(t, &d)
	if d.Consents["email"] || d.IsBusiness || d.Language != "en" {
		t.Errorf("d-bob = %+v", d)
	}
}

func TestIntegrationBulkImport(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	hs.importInvoice(invoice("F-1", "d-alice", "2026-02-01", 100_00))

	// JSON array: per-line outcomes, nothing dropped.
	var rep intake.Report
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", []any{
		invoice("F-1", "d-alice", "2026-02-01", 100_00),
		invoice("F-2", "d-alice", "2026-02-15", 300_00),
		invoice("F-3", "d-ghost", "2026-02-15", 300_00),
		map[string]any{"number": "F-4", "amount_cents": "lots"},
	}), http.StatusOK).json(t, &rep)
	want := []intake.Outcome{intake.Unchanged, intake.Created, intake.Rejected, intake.Rejected}
	if len(rep.Lines) != 4 || rep.Created != 1 || rep.Unchanged != 1 || rep.Rejected != 2 {
		t.Fatalf("report = %+v", rep)
	}
	for i, l := range rep.Lines {
		if l.Outcome != want[i] || l.Line != i+1 {
			t.Errorf("line %d = %+v, want %s", i+1, l, want[i])
		}
	}
	if rep.Lines[2].Field != "debtor_id" || rep.Lines[3].Field != "amount_cents" {
		t.Errorf("rejections name %q and %q", rep.Lines[2].Field, rep.Lines[3].Field)
	}

	// CSV body with semicolons, and a CSV file upload.
	csvBody := "number;debtor_id;issue_date;due_date;currency;amount_cents;description\n" +
		"F-5;d-bob;2026-01-10;2026-02-10;EUR;4200;Abonnement\n" +
		"F-6;d-bob;2026-01-10;2026-02-10;EURO;4200;\n"
	r := hs.do("service", "POST", "/v1/invoices:bulk", csvBody, "Content-Type", "text/csv")
	hs.expect(r, http.StatusOK).json(t, &rep)
	if rep.Created != 1 || rep.Rejected != 1 || rep.Lines[1].Field != "currency" || rep.Lines[1].Line != 3 {
		t.Fatalf("CSV report = %+v", rep)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "export.csv")
	fmt.Fprint(fw, "number,debtor_id,issue_date,due_date,currency,amount_cents\nF-7,d-alice,2026-01-01,2026-01-31,EUR,999\n")
	mw.Close()
	r = hs.do("service", "POST", "/v1/invoices:bulk", form.Bytes(), "Content-Type", mw.FormDataContentType())
	hs.expect(r, http.StatusOK).json(t, &rep)
	if rep.Created != 1 || rep.Lines[0].Case != intake.CaseStarted {
		t.Fatalf("upload report = %+v", rep)
	}

	// Malformed files: 400 problem, nothing written (not even the good lines).
	invoices, audits := hs.count(`SELECT count(*) FROM invoices`), hs.count(`SELECT count(*) FROM audit_log`)
	for name, body := range map[string]string{
		"ragged":  "number,debtor_id,issue_date,due_date,currency,amount_cents\nF-8,d-alice,2026-01-01,2026-01-31,EUR,1\nF-9,d-alice\n",
		"header":  "numero,client\nF-8,d-alice\n",
		"quoting": "number,debtor_id,issue_date,due_date,currency,amount_cents\nF-8,d-alice,2026-01-01,2026-01-31,EUR,1\n\"F-9,d-alice,2026-01-01,2026-01-31,EUR,1\n",
	} {
		r := hs.do("service", "POST", "/v1/invoices:bulk", body, "Content-Type", "text/csv")
		if r.Code != http.StatusBadRequest || r.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", name, r.Code, r.Body.String())
		}
	}
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", `{"not": "an array"}`), http.StatusBadRequest)
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", "x", "Content-Type", "application/xml"), http.StatusUnsupportedMediaType)
	if i, a := hs.count(`SELECT count(*) FROM invoices`), hs.count(`SELECT count(*) FROM audit_log`); i != invoices || a != audits {
		t.Errorf("malformed files wrote: invoices %d -> %d, audit %d -> %d", invoices, i, audits, a)
	}
}

func TestIntegrationCaseListFiltersAndPages(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	ids := map[string]string{}
	for i, due := range []string{"2026-01-05", "2026-01-20", "2026-02-01", "2026-02-20", "2026-03-01"} {
		n := fmt.Sprintf("F-%d", i+1)
		debtor := "d-alice"
		if i%2 == 1 {
			debtor = "d-bob"
		}
		ids[n] = hs.importInvoice(invoice(n, debtor, due, int64(i+1)*100_00)).InvoiceID
	}
	if _, err := hs.st.Pool.Exec(context.Background(), `UPDATE cases SET status = 'paused' WHERE invoice_id = $1`, ids["F-3"]); err != nil {
		t.Fatal(err)
	}
	// Pages of two, in due-date order, with no gap or repeat.
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		var l CaseList
		hs.expect(hs.do("manager", "GET", "/v1/cases?limit=2&cursor="+cursor, nil), http.StatusOK).json(t, &l)
		for _, c := range l.Items {
			seen = append(seen, c.InvoiceNumber)
		}
		if l.NextCursor == "" {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = l.NextCursor
	}
	if strings.Join(seen, ",") != "F-1,F-2,F-3,F-4,F-5" {
		t.Fatalf("pages gave %v", seen)
	}
	check := func(query string, want ...string) {
		t.Helper()
		var l CaseList
		hs.expect(hs.do("manager", "GET", "/v1/cases?"+query, nil), http.StatusOK).json(t, &l)
		var got []string
		for _, c := range l.Items {
			got = append(got, c.InvoiceNumber)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("?%s = %v, want %v", query, got, want)
		}
	}
	check("status=paused", "F-3")
	check("collector=c-bob", "F-2", "F-4")
	check("min_amount=20000&max_amount=40000", "F-2", "F-3", "F-4")
	check("min_days_overdue=40", "F-1", "F-2") // today is 2026-03-10
	check("segment=standard&status=active&min_amount=50000", "F-5")
	if f := hs.expect(hs.do("manager", "GET", "/v1/cases?cursor=garbage", nil), http.StatusUnprocessableEntity).problemField(t); f != "cursor" {
		t.Errorf("bad cursor field %q", f)
	}
	if f := hs.expect(hs.do("manager", "GET", "/v1/cases?min_amount=-1", nil), http.StatusUnprocessableEntity).problemField(t); f != "min_amount" {
		t.Errorf("bad min_amount field %q", f)
	}
	var detail CaseDetail
	hs.expect(hs.do("alice", "GET", "/v1/cases/"+ids["F-1"], nil), http.StatusOK).json(t, &detail)
	if detail.Case.InvoiceNumber != "F-1" || detail.Case.DaysOverdue != 64 || detail.Invoice.ID != ids["F-1"] {
		t.Errorf("case detail = %+v", detail.Case)
	}
}

func TestIntegrationDebtor360(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	inv := hs.importInvoice(invoice("F-1", "d-alice", "2026-02-01", 500_00)).InvoiceID
	hs.importInvoice(invoice("F-2", "d-alice", "2026-05-01", 100_00))
	ctx := context.Background()
	letter, err := hs.docs.Save(ctx, documents.New{Key: "letters/int-letter.pdf", Kind: store.DocLetter,
		ContentType: "application/pdf", Filename: "reminder-F-1.pdf", DebtorID: "d-alice", InvoiceID: inv},
		[]byte("%PDF-1.4 lettre de relance"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, status, subject, body_text, sent_at)
			VALUES ('int-mail', 'k1', '` + inv + `', 'd-alice', 'email', 'delivered', 'Relance F-1', 'Bonjour', '2026-02-05T09:00:00Z')`,
		`INSERT INTO interactions (id, idempotency_key, invoice_id, debtor_id, channel, status, document_id, sent_at)
			VALUES ('int-letter', 'k2', '` + inv + `', 'd-alice', 'letter', 'sent', '` + letter.ID + `', '2026-02-12T09:00:00Z')`,
		`INSERT INTO case_events (event_key, invoice_id, debtor_id, kind, message, occurred_at)
			VALUES ('e1', '` + inv + `', 'd-alice', 'step_done', 'call task created', '2026-02-02T09:00:00Z')`,
		`INSERT INTO payments (id, debtor_id, provider, amount_cents, currency, received_at) VALUES ('pay1', 'd-alice', 'manual', 10000, 'EUR', '2026-02-20T10:00:00Z')`,
		`INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ('pay1', '` + inv + `', 10000)`,
		`UPDATE invoices SET balance_cents = 40000 WHERE id = '` + inv + `'`,
		`INSERT INTO disputes (id, invoice_id, amount_cents, reason) VALUES ('dp1', '` + inv + `', 5000, 'livraison incomplète')`,
	} {
		if _, err := hs.st.Pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var v Debtor360
	hs.expect(hs.do("alice", "GET", "/v1/debtors/d-alice/360", nil), http.StatusOK).json(t, &v)
	// Both invoices have their case, the one not yet due too.
	if len(v.Invoices) != 2 || v.Invoices[0].Case == nil || v.Invoices[1].Case == nil {
		t.Errorf("invoices = %+v", v.Invoices)
	}
	if len(v.Balances) != 1 || v.Balances[0].OutstandingCents != 500_00 || v.Balances[0].OverdueCents != 400_00 {
		t.Errorf("balances = %+v", v.Balances)
	}
	if len(v.Payments) != 1 || len(v.Payments[0].Allocations) != 1 || len(v.Disputes) != 1 {
		t.Errorf("payments %+v disputes %+v", v.Payments, v.Disputes)
	}
	if len(v.Timeline) != 3 || v.Timeline[0].Type != "event" || v.Timeline[1].Interaction.Subject != "Relance F-1" ||
		v.Timeline[2].Interaction.FileURL != "/v1/documents/"+letter.ID {
		t.Fatalf("timeline = %+v", v.Timeline)
	}
	r := hs.expect(hs.do("alice", "GET", v.Timeline[2].Interaction.FileURL, nil), http.StatusOK)
	if !strings.HasPrefix(r.Body.String(), "%PDF") {
		t.Errorf("file body %q", r.Body.String())
	}
	r = hs.expect(hs.do("alice", "GET", "/v1/interactions/int-letter/file", nil), http.StatusOK)
	if r.Body.String() != "%PDF-1.4 lettre de relance" {
		t.Errorf("interaction file body %q", r.Body.String())
	}
	hs.expect(hs.do("bob", "GET", "/v1/interactions/int-letter/file", nil), http.StatusNotFound)
	hs.expect(hs.do("alice", "GET", "/v1/interactions/int-mail/file", nil), http.StatusNotFound)
}

// addTask inserts a call task as the channels' CreateCallTask would.
func (hs *harness) addTask(id, invoiceID, debtorID, collector string, dueAt time.Time) {
	hs.t.Helper()
	_, err := hs.st.Pool.Exec(context.Background(), `INSERT INTO tasks (id, idempotency_key, invoice_id, debtor_id, collector_id, due_at, deadline_at)
		VALUES ($1, $1, $2, $3, $4, $5, $5::timestamptz + interval '2 days')`, id, invoiceID, debtorID, collector, dueAt)
	if err != nil {
		hs.t.Fatal(err)
	}
}

func TestIntegrationWorklistAndTaskCompletion(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	small := hs.importInvoice(invoice("F-SMALL", "d-alice", "2026-03-01", 100_00)).InvoiceID
	big := hs.importInvoice(invoice("F-BIG", "d-alice", "2026-03-01", 5_000_00)).InvoiceID
	oldInvoice := invoice("F-OLD", "d-alice", "2025-12-10", 100_00)
	oldInvoice["issue_date"] = "2025-11-10"
	old := hs.importInvoice(oldInvoice).InvoiceID
	broken := hs.importInvoice(invoice("F-BROKEN", "d-alice", "2026-03-01", 100_00)).InvoiceID
	bobs := hs.importInvoice(invoice("F-BOB", "d-bob", "2026-03-01", 9_000_00)).InvoiceID
	if _, err := hs.st.Pool.Exec(context.Background(), `INSERT INTO promises (id, invoice_id, amount_cents, currency, promised_date, status)
		VALUES ('p1', $1, 100, 'EUR', '2026-03-05', 'broken'), ('p2', $1, 100, 'EUR', '2026-03-07', 'broken')`, broken); err != nil {
		t.Fatal(err)
	}
	due := testNow.Add(-time.Hour)
	hs.addTask("t-small", small, "d-alice", "c-alice", due)
	hs.addTask("t-big", big, "d-alice", "c-alice", due)
	hs.addTask("t-old", old, "d-alice", "c-alice", due)
	hs.addTask("t-broken", broken, "d-alice", "c-alice", due)
	hs.addTask("t-later", small, "d-alice", "c-alice", testNow.Add(time.Hour))
	hs.addTask("t-bob", bobs, "d-bob", "c-bob", due)

	var wl Worklist
	hs.expect(hs.do("alice", "GET", "/v1/worklist", nil), http.StatusOK).json(t, &wl)
	var order []string
	for _, it := range wl.Items {
		order = append(order, it.TaskID)
	}
	// big: 5000×39/30 = 6500; old: 100×120/30 = 400; broken: 100×39/30×3 = 390; small: 130.
	if strings.Join(order, ",") != "t-big,t-old,t-broken,t-small" {
		t.Fatalf("worklist order = %v", order)
	}

	// Bob cannot touch Alice's task; Alice claims it; Bob's claim would conflict.
	hs.expect(hs.do("bob", "POST", "/v1/tasks/t-big/claim", nil), http.StatusNotFound)
	hs.expect(hs.do("alice", "POST", "/v1/tasks/t-big/claim", nil), http.StatusOK)
	hs.expect(hs.do("manager", "POST", "/v1/tasks/t-big/claim", nil), http.StatusConflict)

	// Invalid completions change nothing and never reach the case.
	for field, body := range map[string]map[string]any{
		"outcome":              {"outcome": "shouted"},
		"promise":              {"outcome": "promise"},
		"promise.amount_cents": {"outcome": "promise", "promise": map[string]any{"amount_cents": 0, "date": "2026-03-20"}},
		"promise.date":         {"outcome": "promise", "promise": map[string]any{"amount_cents": 100, "date": "2026-03-01"}},
		"callback_at":          {"outcome": "callback", "callback_at": "2026-03-09T10:00:00Z"},
		"dispute.reason":       {"outcome": "dispute"},
	} {
		if f := hs.expect(hs.do("alice", "POST", "/v1/tasks/t-big/complete", body), http.StatusUnprocessableEntity).problemField(t); f != field {
			t.Errorf("invalid %s: problem names %q", field, f)
		}
	}
	if hs.cases.updateCount() != 0 {
		t.Fatal("an invalid completion reached the case")
	}

	// A promise: the case gets the update "task:<id>:promise", the task row is done.
	var done CompleteResponse
	hs.expect(hs.do("alice", "POST", "/v1/tasks/t-big/complete", map[string]any{
		"outcome": "promise", "note": "paiera le 20", "promise": map[string]any{"amount_cents": 5_000_00, "date": "2026-03-20"},
	}), http.StatusOK).json(t, &done)
	u := hs.cases.lastUpdate(t)
	tc, ok := u.Arg.(domain.TaskCompletion)
	if u.Name != domain.UpdateCompleteTask || u.UpdateID != "task:t-big:promise" || !ok || tc.Promise == nil || tc.Promise.AmountCents != 5_000_00 {
		t.Fatalf("update = %+v", u)
	}
	if done.Task.Status != "done" || done.Task.Outcome != "promise" || done.Case.Stage != "after-complete-task" {
		t.Errorf("response = %+v", done)
	}
	// The note, free text about a person, stays in Postgres, not in the workflow history.
	if tc.Note != "" || done.Task.Note != "paiera le 20" {
		t.Errorf("note sent to the case %q, kept on the task %q", tc.Note, done.Task.Note)
	}
	if n := hs.count(`SELECT count(*) FROM promises WHERE invoice_id = $1 AND promised_date = '2026-03-20'`, big); n != 1 {
		t.Errorf("%d promise rows", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'task.complete' AND entity_id = 't-big'`); n != 1 {
		t.Errorf("%d audit lines for the completion", n)
	}

	// The case's refusals map to 422 (field), 409 (closed), 404 (no case).
	for _, c := range []struct {
		err  error
		code int
	}{
		{&caseclient.RejectedError{Field: "promise.date", Reason: "after the plan"}, http.StatusUnprocessableEntity},
		{&caseclient.RejectedError{Reason: caseclient.ErrCaseClosed.Error()}, http.StatusConflict},
		{fmt.Errorf("update: %w", caseclient.ErrCaseNotFound), http.StatusNotFound},
		{errors.New("boom"), http.StatusInternalServerError},
	} {
		hs.cases.err = c.err
		r := hs.do("alice", "POST", "/v1/tasks/t-small/complete", map[string]any{"outcome": "no_answer"})
		hs.expect(r, c.code)
	}
	hs.cases.err = nil
	if n := hs.count(`SELECT count(*) FROM tasks WHERE id = 't-small' AND status = 'open'`); n != 1 {
		t.Error("a refused completion changed the task")
	}

	// Reschedule: future and before the deadline only.
	hs.expect(hs.do("alice", "POST", "/v1/tasks/t-old/reschedule", map[string]any{"due_at": "2026-03-09T10:00:00Z"}), http.StatusUnprocessableEntity)
	hs.expect(hs.do("alice", "POST", "/v1/tasks/t-old/reschedule", map[string]any{"due_at": "2026-03-30T10:00:00Z"}), http.StatusUnprocessableEntity)
	hs.expect(hs.do("alice", "POST", "/v1/tasks/t-old/reschedule", map[string]any{"due_at": "2026-03-10T15:00:00Z"}), http.StatusOK)
	hs.expect(hs.do("alice", "GET", "/v1/worklist", nil), http.StatusOK).json(t, &wl)
	if len(wl.Items) != 2 || wl.Items[0].TaskID != "t-broken" {
		t.Errorf("worklist after completing and rescheduling = %+v", wl.Items)
	}
}

func TestIntegrationCaseActions(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	inv := hs.importInvoice(invoice("F-1", "d-alice", "2026-02-01", 300_00)).InvoiceID
	path := "/v1/cases/" + inv

	// Validation failures: 422 naming the field, the case never asked.
	for _, c := range []struct {
		action, field string
		body          any
	}{
		{"promise", "amount_cents", map[string]any{"amount_cents": -5, "date": "2026-04-01"}},
		{"promise", "date", map[string]any{"amount_cents": 5, "date": "2026-03-01"}},
		{"promise", "date", map[string]any{"amount_cents": 5, "date": "soon"}},
		{"plan", "installments", map[string]any{"installments": []any{
			map[string]any{"due_date": "2026-04-01", "amount_cents": 100_00}, map[string]any{"due_date": "2026-05-01", "amount_cents": 100_00}}}},
		{"plan", "installments[1].due_date", map[string]any{"installments": []any{
			map[string]any{"due_date": "2026-04-01", "amount_cents": 150_00}, map[string]any{"due_date": "2026-03-15", "amount_cents": 150_00}}}},
		{"plan", "installments[0].amount_cents", map[string]any{"installments": []any{
			map[string]any{"due_date": "2026-04-01", "amount_cents": 0}, map[string]any{"due_date": "2026-05-01", "amount_cents": 300_00}}}},
		{"hold", "until", map[string]any{"reason": "litige", "until": "2026-01-01"}},
		{"hold", "reason", map[string]any{}},
		{"notes", "text", map[string]any{"text": " "}},
		{"promise", "colour", map[string]any{"colour": "red"}},
		{"promise", "amount_cents", `{"amount_cents": "ten"}`},
	} {
		r := hs.do("alice", "POST", path+"/"+c.action, c.body)
		if f := hs.expect(r, http.StatusUnprocessableEntity).problemField(t); f != c.field {
			t.Errorf("%s %v: field %q, want %q", c.action, c.body, f, c.field)
		}
	}
	hs.expect(hs.do("manager", "POST", path+"/reassign", map[string]any{"collector_id": "nobody"}), http.StatusUnprocessableEntity)
	hs.expect(hs.do("alice", "POST", path+"/promise", `{"amount_cents": 5`), http.StatusBadRequest)
	hs.expect(hs.do("alice", "POST", "/v1/cases/inv_nope/promise", map[string]any{"amount_cents": 5, "date": "2026-04-01"}), http.StatusNotFound)
	if hs.cases.updateCount() != 0 {
		t.Fatal("an invalid action reached the case")
	}

	// A promise: update ID from the Idempotency-Key, promise row and audit line.
	var st domain.CaseState
	hs.expect(hs.do("alice", "POST", path+"/promise", map[string]any{"amount_cents": 300_00, "date": "2026-04-01"}, "Idempotency-Key", "k-1"), http.StatusOK).json(t, &st)
	u := hs.cases.lastUpdate(t)
	if u.Name != domain.UpdatePromise || u.UpdateID != "promise:"+inv+":k-1" || st.Status != domain.StatusPaused {
		t.Fatalf("promise update = %+v, state %+v", u, st)
	}
	hs.expect(hs.do("alice", "POST", path+"/promise", map[string]any{"amount_cents": 300_00, "date": "2026-04-01"}, "Idempotency-Key", "k-1"), http.StatusOK)
	if u2 := hs.cases.lastUpdate(t); u2.UpdateID != u.UpdateID || u2.Arg.(domain.PromiseUpdate).ID != u.Arg.(domain.PromiseUpdate).ID {
		t.Errorf("a retry changed the update: %+v vs %+v", u2, u)
	}
	if n := hs.count(`SELECT count(*) FROM promises WHERE invoice_id = $1`, inv); n != 1 {
		t.Errorf("%d promise rows after a retried promise, want 1", n)
	}
	// A plan that sums to the balance.
	hs.expect(hs.do("alice", "POST", path+"/plan", map[string]any{"installments": []any{
		map[string]any{"due_date": "2026-04-01", "amount_cents": 150_00}, map[string]any{"due_date": "2026-05-01", "amount_cents": 150_00}}}), http.StatusOK)
	if n := hs.count(`SELECT count(*) FROM plan_installments`); n != 2 {
		t.Errorf("%d installments stored", n)
	}
	hs.expect(hs.do("alice", "POST", path+"/hold", map[string]any{"reason": "client en redressement", "until": "2026-04-15"}), http.StatusOK)
	hs.expect(hs.do("alice", "POST", path+"/resume", map[string]any{"reason": "accord"}), http.StatusOK)
	hs.expect(hs.do("manager", "POST", path+"/reassign", map[string]any{"collector_id": "c-bob"}), http.StatusOK)
	if u := hs.cases.lastUpdate(t); u.Arg.(domain.ReassignUpdate).CollectorID != "c-bob" {
		t.Errorf("reassign update = %+v", u)
	}
	// Notes: timeline only, once per key.
	hs.expect(hs.do("alice", "POST", path+"/notes", map[string]any{"text": "rappeler lundi"}, "Idempotency-Key", "n-1"), http.StatusCreated)
	hs.expect(hs.do("alice", "POST", path+"/notes", map[string]any{"text": "rappeler lundi"}, "Idempotency-Key", "n-1"), http.StatusOK)
	if n := hs.count(`SELECT count(*) FROM case_events WHERE invoice_id = $1 AND kind = 'note'`, inv); n != 1 {
		t.Errorf("%d notes, want 1", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE entity = 'case' AND entity_id = $1`, inv); n != 7 {
		t.Errorf("%d case audit lines, want 7 (2 promises, plan, hold, resume, reassign, note)", n)
	}
	// A closed case: 409 and nothing recorded.
	hs.cases.err = &caseclient.RejectedError{Reason: caseclient.ErrCaseClosed.Error()}
	audits := hs.count(`SELECT count(*) FROM audit_log`)
	hs.expect(hs.do("manager", "POST", path+"/write-off", map[string]any{"reason": "irrécouvrable"}), http.StatusConflict)
	if hs.count(`SELECT count(*) FROM audit_log`) != audits {
		t.Error("a refused write-off wrote an audit line")
	}
	hs.cases.err = nil
	hs.expect(hs.do("manager", "POST", path+"/write-off", map[string]any{"reason": "irrécouvrable"}), http.StatusOK)

	// Credit notes and cancellation reach the case.
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+inv+"/credit-notes", map[string]any{"amount_cents": 999_00}), http.StatusUnprocessableEntity)
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+inv+"/credit-notes", map[string]any{"id": "AV-1", "amount_cents": 50_00, "reason": "remise"}), http.StatusCreated)
	if u := hs.cases.lastUpdate(t); u.Name != domain.UpdateCredit || u.UpdateID != "credit:AV-1" {
		t.Errorf("credit update = %+v", u)
	}
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+inv+"/credit-notes", map[string]any{"id": "AV-1", "amount_cents": 50_00, "reason": "remise"}), http.StatusCreated)
	if n := hs.count(`SELECT balance_cents FROM invoices WHERE id = $1`, inv); n != 250_00 {
		t.Errorf("balance after a credit note sent twice = %d, want 25000", n)
	}
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+inv+"/cancel", map[string]any{"reason": "facture en double"}), http.StatusOK)
	if u := hs.cases.lastUpdate(t); u.Name != domain.UpdateCancel {
		t.Errorf("cancel update = %+v", u)
	}
	if n := hs.count(`SELECT count(*) FROM invoices WHERE id = $1 AND status = 'cancelled'`, inv); n != 1 {
		t.Error("invoice not cancelled")
	}
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+inv+"/credit-notes", map[string]any{"amount_cents": 1_00}), http.StatusConflict)
}

func TestIntegrationReconciliationReport(t *testing.T) {
	hs := newHarness(t)
	hs.expect(hs.do("manager", "GET", "/v1/reconciliation", nil), http.StatusNotFound)
	if _, err := store.RecordReconciliation(context.Background(), hs.st.Pool, store.ReconciliationRun{
		StartedAt: testNow, OpenInvoices: 3, RunningCases: 3,
		Restarted: []store.ReconciliationFinding{{InvoiceID: "inv-a"}},
		Orphans:   []store.ReconciliationFinding{{InvoiceID: "inv-b", Status: "paid"}},
	}); err != nil {
		t.Fatal(err)
	}
	var run store.ReconciliationRun
	hs.expect(hs.do("manager", "GET", "/v1/reconciliation", nil), http.StatusOK).json(t, &run)
	if run.OpenInvoices != 3 || len(run.Restarted) != 1 || len(run.Orphans) != 1 || run.Orphans[0].Status != "paid" || run.Failed == nil {
		t.Fatalf("run = %+v", run)
	}
	hs.expect(hs.do("alice", "GET", "/v1/reconciliation", nil), http.StatusForbidden)
}
