//go:build integration

package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/caserelay"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

func init() { gin.SetMode(gin.TestMode) }

var tables = []string{"disputes", "dispute_comments", "case_events", "case_commands", "audit_log", "credit_notes"}

type fixture struct {
	t                            *testing.T
	st                           *store.Store
	h                            http.Handler
	manager, alice, bob, service string
}

// newFixture: collector alice holds debtor C-1 (invoice inv1 F-1, 1 000.00
// EUR, and inv2 F-2 paid); bob holds C-2 (inv3 F-3).
func newFixture(t *testing.T) *fixture {
	st := testenv.Postgres(t)
	ctx := context.Background()
	_, err := st.Pool.Exec(ctx, `
		INSERT INTO collectors (id, name) VALUES ('alice', 'Alice'), ('bob', 'Bob');
		INSERT INTO debtors (id, name, collector_id) VALUES ('C-1', 'ACME', 'alice'), ('C-2', 'Globex', 'bob');
		INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents, balance_cents, status) VALUES
			('inv1', 'C-1', 'F-1', '2026-01-01', '2026-02-01', 'EUR', 100000, 100000, 'open'),
			('inv2', 'C-1', 'F-2', '2026-01-01', '2026-02-01', 'EUR', 5000, 0, 'paid'),
			('inv3', 'C-2', 'F-3', '2026-01-01', '2026-02-01', 'EUR', 7000, 7000, 'open')`)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, h: (&Handlers{Store: st, Logger: slog.New(slog.DiscardHandler)}).Router()}
	for role, dst := range map[string]*string{store.RoleManager: &f.manager, store.RoleService: &f.service} {
		if _, *dst, err = store.CreateToken(ctx, st.Pool, role+"-token", role, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, f.alice, err = store.CreateToken(ctx, st.Pool, "alice", store.RoleCollector, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, f.bob, err = store.CreateToken(ctx, st.Pool, "bob", store.RoleCollector, "bob"); err != nil {
		t.Fatal(err)
	}
	return f
}

type response struct {
	Code int
	Body map[string]any
	Raw  string
}

func (f *fixture) post(token, path, body string) response {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	out := response{Code: rec.Code, Raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.Body)
	return out
}

func (f *fixture) counts() map[string]int {
	out := map[string]int{}
	for _, table := range tables {
		var n int
		if err := f.st.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			f.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func (f *fixture) wantCounts(want map[string]int) {
	f.t.Helper()
	got := f.counts()
	for _, table := range tables {
		if got[table] != want[table] {
			f.t.Errorf("%s: %d rows, want %d", table, got[table], want[table])
		}
	}
}

func disputeID(t *testing.T, r response) string {
	t.Helper()
	d, _ := r.Body["dispute"].(map[string]any)
	id, _ := d["id"].(string)
	if id == "" {
		t.Fatalf("no dispute in %s", r.Raw)
	}
	return id
}

func TestIntegrationDisputeOpenCommentResolveForDebtor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.post(f.alice, "/v1/disputes", `{"invoice_number":"F-1","amount_cents":30000,"reason":"goods damaged",
		"attachments":[{"name":"photo.jpg","ref":"dms://4711"}]}`)
	if res.Code != http.StatusCreated {
		t.Fatalf("open: %d %s", res.Code, res.Raw)
	}
	id := disputeID(t, res)
	d, err := store.GetDispute(ctx, f.st.Pool, id)
	if err != nil || d.InvoiceID != "inv1" || d.AmountCents != 30000 || d.Status != store.DisputeOpen ||
		len(d.Attachments) != 1 || d.Attachments[0].Ref != "dms://4711" || !strings.HasPrefix(d.OpenedBy, "tok_") {
		t.Fatalf("dispute %+v, %v", d, err)
	}
	cmds, _ := store.ListCaseCommands(ctx, f.st.Pool, "inv1")
	if len(cmds) != 1 || cmds[0].UpdateName != domain.UpdateOpenDispute || cmds[0].UpdateID != "dispute:"+id+":open" {
		t.Fatalf("commands %+v", cmds)
	}
	var open domain.DisputeUpdate
	if err := json.Unmarshal(cmds[0].Payload, &open); err != nil || open != (domain.DisputeUpdate{ID: id, AmountCents: 30000, Reason: "goods damaged"}) {
		t.Fatalf("open payload %+v, %v", open, err)
	}
	f.wantCounts(map[string]int{"disputes": 1, "case_events": 1, "case_commands": 1, "audit_log": 1})

	if res := f.post(f.alice, "/v1/disputes/"+id+"/comments", `{"body":"customer sent photos"}`); res.Code != http.StatusCreated {
		t.Fatalf("comment: %d %s", res.Code, res.Raw)
	}
	f.wantCounts(map[string]int{"disputes": 1, "dispute_comments": 1, "case_events": 2, "case_commands": 1, "audit_log": 2})

	// Collectors may not decide.
	if res := f.post(f.alice, "/v1/disputes/"+id+"/resolve", `{"outcome":"for_debtor"}`); res.Code != http.StatusForbidden {
		t.Fatalf("collector resolving: %d", res.Code)
	}
	if res := f.post(f.manager, "/v1/disputes/"+id+"/resolve", `{"outcome":"for_debtor","credit_cents":30001}`); res.Code != http.StatusUnprocessableEntity || res.Body["field"] != "credit_cents" {
		t.Fatalf("credit above the disputed amount: %d %s", res.Code, res.Raw)
	}
	res = f.post(f.manager, "/v1/disputes/"+id+"/resolve", `{"outcome":"for_debtor","credit_cents":20000,"note":"half the pallet"}`)
	if res.Code != http.StatusOK {
		t.Fatalf("resolve: %d %s", res.Code, res.Raw)
	}
	d, _ = store.GetDispute(ctx, f.st.Pool, id)
	if d.Status != store.DisputeResolvedForDebtor || d.CreditCents != 20000 || d.ResolvedAt == nil {
		t.Fatalf("resolved dispute %+v", d)
	}
	var balance int64
	if err := f.st.Pool.QueryRow(ctx, `SELECT balance_cents FROM invoices WHERE id = 'inv1'`).Scan(&balance); err != nil || balance != 80000 {
		t.Fatalf("balance after credit %d, %v", balance, err)
	}
	cmds, _ = store.ListCaseCommands(ctx, f.st.Pool, "inv1")
	var resolution domain.DisputeResolution
	if len(cmds) != 2 || cmds[1].UpdateID != "dispute:"+id+":resolve" || json.Unmarshal(cmds[1].Payload, &resolution) != nil ||
		resolution != (domain.DisputeResolution{ID: id, ForDebtor: true, CreditCents: 20000}) {
		t.Fatalf("resolve command %+v (%+v)", cmds, resolution)
	}
	// The same decision again changes nothing; another one is refused.
	if res := f.post(f.manager, "/v1/disputes/"+id+"/resolve", `{"outcome":"for_debtor","credit_cents":20000}`); res.Code != http.StatusOK {
		t.Fatalf("same decision again: %d %s", res.Code, res.Raw)
	}
	if res := f.post(f.manager, "/v1/disputes/"+id+"/resolve", `{"outcome":"against"}`); res.Code != http.StatusConflict {
		t.Fatalf("contrary decision: %d %s", res.Code, res.Raw)
	}
	f.wantCounts(map[string]int{"disputes": 1, "dispute_comments": 1, "case_events": 3, "case_commands": 2, "audit_log": 3, "credit_notes": 1})
	kinds, _ := store.CaseEventKinds(ctx, f.st.Pool, "inv1")
	if strings.Join(kinds, ",") != "dispute_filed,dispute_comment,dispute_decided" {
		t.Fatalf("timeline %v", kinds)
	}

	// The relay delivers open then resolve, in order, with their update IDs.
	fake := &recorder{}
	if _, err := (&caserelay.Relay{Store: f.st, Cases: fake}).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Join(fake.ids, ",") != "dispute:"+id+":open,dispute:"+id+":resolve" {
		t.Fatalf("relay delivered %v", fake.ids)
	}
}

type recorder struct{ ids []string }

func (r *recorder) Update(_ context.Context, _, _, updateID string, _ any) (domain.CaseState, error) {
	r.ids = append(r.ids, updateID)
	return domain.CaseState{}, nil
}

func (r *recorder) Reopen(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error) {
	return r.Update(ctx, invoiceID, name, updateID, arg)
}

func TestIntegrationDisputeWholeInvoiceAgainst(t *testing.T) {
	f := newFixture(t)
	res := f.post(f.service, "/v1/disputes", `{"id":"erp-77","invoice_id":"inv3","reason":"never ordered"}`)
	if res.Code != http.StatusCreated || disputeID(t, res) != "erp-77" {
		t.Fatalf("open whole: %d %s", res.Code, res.Raw)
	}
	// The client's ID makes a retry harmless.
	if res := f.post(f.service, "/v1/disputes", `{"id":"erp-77","invoice_id":"inv3","reason":"never ordered"}`); res.Code != http.StatusOK {
		t.Fatalf("retry: %d %s", res.Code, res.Raw)
	}
	// Nothing left to dispute.
	if res := f.post(f.service, "/v1/disputes", `{"invoice_id":"inv3","reason":"again"}`); res.Code != http.StatusConflict {
		t.Fatalf("fully disputed: %d %s", res.Code, res.Raw)
	}
	d, _ := store.GetDispute(context.Background(), f.st.Pool, "erp-77")
	if d.AmountCents != 7000 {
		t.Fatalf("whole dispute amount %d", d.AmountCents)
	}
	if res := f.post(f.service, "/v1/disputes/erp-77/resolve", `{"outcome":"against","credit_cents":5}`); res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("credit when against: %d", res.Code)
	}
	if res := f.post(f.service, "/v1/disputes/erp-77/resolve", `{"outcome":"against","note":"delivery note signed"}`); res.Code != http.StatusOK {
		t.Fatalf("against: %d %s", res.Code, res.Raw)
	}
	cmds, _ := store.ListCaseCommands(context.Background(), f.st.Pool, "inv3")
	var r domain.DisputeResolution
	if len(cmds) != 2 || json.Unmarshal(cmds[1].Payload, &r) != nil || r != (domain.DisputeResolution{ID: "erp-77"}) {
		t.Fatalf("commands %+v", cmds)
	}
	f.wantCounts(map[string]int{"disputes": 1, "case_events": 2, "case_commands": 2, "audit_log": 2})
}

func TestIntegrationDisputeBadRequestsWriteNothing(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, token, path, body string
		code                    int
		field                   string
	}{
		{"no token", "", "/v1/disputes", `{"invoice_id":"inv1","reason":"x"}`, http.StatusUnauthorized, ""},
		{"unknown token", "rl_nope", "/v1/disputes", `{"invoice_id":"inv1","reason":"x"}`, http.StatusUnauthorized, ""},
		// Answered as an unknown invoice: a collector learns nothing of other portfolios.
		{"other collector's debtor", f.bob, "/v1/disputes", `{"invoice_id":"inv1","reason":"x"}`, http.StatusUnprocessableEntity, "invoice_id"},
		{"malformed JSON", f.manager, "/v1/disputes", `{"invoice_id":`, http.StatusBadRequest, "body"},
		{"unknown field", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"x","amount":5}`, http.StatusBadRequest, "amount"},
		{"wrong type", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"x","amount_cents":"5"}`, http.StatusBadRequest, "amount_cents"},
		{"no invoice", f.manager, "/v1/disputes", `{"reason":"x"}`, http.StatusUnprocessableEntity, "invoice_id"},
		{"unknown invoice", f.manager, "/v1/disputes", `{"invoice_id":"nope","reason":"x"}`, http.StatusUnprocessableEntity, "invoice_id"},
		{"unknown number", f.manager, "/v1/disputes", `{"invoice_number":"F-404","reason":"x"}`, http.StatusUnprocessableEntity, "invoice_number"},
		{"no reason", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"  "}`, http.StatusUnprocessableEntity, "reason"},
		{"negative amount", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"x","amount_cents":-1}`, http.StatusUnprocessableEntity, "amount_cents"},
		{"amount above balance", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"x","amount_cents":100001}`, http.StatusUnprocessableEntity, "amount_cents"},
		{"attachment without ref", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"x","attachments":[{"name":"a.pdf"}]}`, http.StatusUnprocessableEntity, "attachments[0].ref"},
		{"paid invoice", f.manager, "/v1/disputes", `{"invoice_id":"inv2","reason":"x"}`, http.StatusConflict, "invoice_id"},
		{"bad id", f.manager, "/v1/disputes", `{"id":"a b","invoice_id":"inv1","reason":"x"}`, http.StatusUnprocessableEntity, "id"},
		{"comment on nothing", f.manager, "/v1/disputes/nope/comments", `{"body":"hi"}`, http.StatusNotFound, ""},
		{"resolve nothing", f.manager, "/v1/disputes/nope/resolve", `{"outcome":"against"}`, http.StatusNotFound, ""},
		{"bad outcome", f.manager, "/v1/disputes/nope/resolve", `{"outcome":"maybe"}`, http.StatusUnprocessableEntity, "outcome"},
		// Bodies Postgres cannot store: a 400, not the INSERT's 500.
		{"NUL in the reason", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"x\u0000"}`, http.StatusBadRequest, "body"},
		{"lone surrogate in an attachment", f.manager, "/v1/disputes", `{"invoice_id":"inv1","reason":"x","attachments":[{"ref":"\ud800"}]}`, http.StatusBadRequest, "body"},
		{"NUL in a comment", f.manager, "/v1/disputes/nope/comments", `{"body":"\u0000"}`, http.StatusBadRequest, "body"},
		{"NUL in a note", f.manager, "/v1/disputes/nope/resolve", `{"outcome":"against","note":"\u0000"}`, http.StatusBadRequest, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.post(tt.token, tt.path, tt.body)
			if res.Code != tt.code {
				t.Fatalf("code %d, want %d: %s", res.Code, tt.code, res.Raw)
			}
			if tt.field != "" && res.Body["field"] != tt.field {
				t.Fatalf("field %v, want %s: %s", res.Body["field"], tt.field, res.Raw)
			}
			f.wantCounts(map[string]int{})
		})
	}
	// An empty comment on a real dispute writes nothing either.
	id := disputeID(t, f.post(f.alice, "/v1/disputes", `{"invoice_id":"inv1","reason":"x","amount_cents":100}`))
	before := f.counts()
	if res := f.post(f.alice, "/v1/disputes/"+id+"/comments", `{"body":""}`); res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("empty comment: %d", res.Code)
	}
	if res := f.post(f.bob, "/v1/disputes/"+id+"/comments", `{"body":"not mine"}`); res.Code != http.StatusNotFound {
		t.Fatalf("bob on alice's dispute: %d, want 404 as for a dispute that does not exist", res.Code)
	}
	f.wantCounts(before)
}
