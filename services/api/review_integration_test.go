//go:build integration

package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
)

// A body Postgres cannot store (a \u0000 escape) is the caller's 400
// naming body: before, the hold reached the case and then the audit line
// failed (a write without its audit line, answered 500).
func TestIntegrationUnstorableBodiesAreRefusedBeforeAnyWrite(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	inv := hs.importInvoice(invoice("F-1", "d-alice", "2026-02-01", 100_00)).InvoiceID
	audits := hs.count(`SELECT count(*) FROM audit_log`)
	for _, c := range []struct{ who, path, body string }{
		{"alice", "/v1/cases/" + inv + "/hold", `{"reason":"a\u0000b"}`},
		{"alice", "/v1/cases/" + inv + "/notes", `{"text":"a\u0000b"}`},
		{"service", "/v1/debtors", `{"id":"d-new","name":"a\u0000b"}`},
	} {
		r := hs.do(c.who, "POST", c.path, c.body)
		if f := hs.expect(r, http.StatusBadRequest).problemField(t); f != "body" {
			t.Errorf("%s: problem names %q, want body", c.path, f)
		}
	}
	if n := hs.cases.updateCount(); n != 0 {
		t.Errorf("%d updates reached the case", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log`); n != audits {
		t.Errorf("audit lines %d -> %d", audits, n)
	}
	if n := hs.count(`SELECT count(*) FROM case_events WHERE kind = 'note'`) + hs.count(`SELECT count(*) FROM debtors WHERE id = 'd-new'`); n != 0 {
		t.Errorf("%d rows written", n)
	}
}

// An invoice description with a NUL is rejected naming description, one
// by one, in a JSON array and in a CSV file, instead of failing the whole
// import with a 500.
func TestIntegrationInvoiceDescriptionWithNULIsRejected(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	body := invoice("F-NUL", "d-alice", "2026-02-01", 100)
	body["description"] = "a\x00b"
	if f := hs.expect(hs.do("service", "POST", "/v1/invoices", body), http.StatusUnprocessableEntity).problemField(t); f != "description" {
		t.Errorf("single import: problem names %q", f)
	}
	csv := "number,debtor_id,issue_date,due_date,currency,amount_cents,description\n" +
		"F-OK,d-alice,2026-01-01,2026-02-01,EUR,100,fine\n" +
		"F-N2,d-alice,2026-01-01,2026-02-01,EUR,100,\"a\x00b\"\n"
	var rep struct {
		Created, Rejected int
		Lines             []struct{ Number, Outcome, Field string }
	}
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", csv, "Content-Type", "text/csv"), http.StatusOK).json(t, &rep)
	if rep.Created != 1 || rep.Rejected != 1 || rep.Lines[1].Field != "description" {
		t.Errorf("CSV report = %+v", rep)
	}
	if n := hs.count(`SELECT count(*) FROM invoices WHERE number IN ('F-NUL', 'F-N2')`); n != 0 {
		t.Errorf("%d invoices with a NUL stored", n)
	}
}

// A client-chosen credit note ID already used on another invoice is a 409
// before the case is asked: before, the other invoice's case was credited
// and Postgres (credit note, balance, audit) was not.
func TestIntegrationCreditNoteIDOfAnotherInvoiceNeverReachesTheCase(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	a := hs.importInvoice(invoice("F-A", "d-alice", "2026-02-01", 100_00)).InvoiceID
	b := hs.importInvoice(invoice("F-B", "d-alice", "2026-02-01", 100_00)).InvoiceID
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+a+"/credit-notes", map[string]any{"id": "AV-1", "amount_cents": 10_00}), http.StatusCreated)
	updates := hs.cases.updateCount()
	r := hs.do("service", "POST", "/v1/invoices/"+b+"/credit-notes", map[string]any{"id": "AV-1", "amount_cents": 10_00})
	if f := hs.expect(r, http.StatusConflict).problemField(t); f != "id" {
		t.Errorf("problem names %q, want id", f)
	}
	if n := hs.cases.updateCount(); n != updates {
		t.Errorf("the credit reached invoice %s's case (%d updates, want %d)", b, n, updates)
	}
	if n := hs.count(`SELECT balance_cents FROM invoices WHERE id = $1`, b); n != 100_00 {
		t.Errorf("balance of %s = %d", b, n)
	}
	// The same note sent again for its own invoice is still a harmless retry.
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+a+"/credit-notes", map[string]any{"id": "AV-1", "amount_cents": 10_00}), http.StatusCreated)
	if n := hs.count(`SELECT balance_cents FROM invoices WHERE id = $1`, a); n != 90_00 {
		t.Errorf("balance of %s after a retry = %d, want 9000", a, n)
	}
	// A note crediting the whole balance, retried, is still a retry and not
	// a credit "beyond the balance" of what is now zero.
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+a+"/credit-notes", map[string]any{"id": "AV-2", "amount_cents": 90_00}), http.StatusCreated)
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+a+"/credit-notes", map[string]any{"id": "AV-2", "amount_cents": 90_00}), http.StatusCreated)
	hs.expect(hs.do("service", "POST", "/v1/invoices/"+a+"/credit-notes", map[string]any{"id": "AV-3", "amount_cents": 1}), http.StatusUnprocessableEntity)
	if n := hs.count(`SELECT balance_cents FROM invoices WHERE id = $1`, a); n != 0 {
		t.Errorf("balance of %s after a full credit = %d, want 0", a, n)
	}
}

// Installments whose int64 sum wraps around to the balance are refused:
// before, two installments of MaxInt64 and one of balance+2 "summed" to
// the balance and the plan reached the case.
func TestIntegrationPlanInstallmentsCannotOverflowToTheBalance(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	inv := hs.importInvoice(invoice("F-1", "d-alice", "2026-02-01", 100_00)).InvoiceID
	body := `{"installments":[{"due_date":"2026-04-01","amount_cents":9223372036854775807},` +
		`{"due_date":"2026-05-01","amount_cents":9223372036854775807},{"due_date":"2026-06-01","amount_cents":10002}]}`
	r := hs.do("alice", "POST", "/v1/cases/"+inv+"/plan", body)
	if f := hs.expect(r, http.StatusUnprocessableEntity).problemField(t); f != "installments[0].amount_cents" {
		t.Errorf("problem names %q", f)
	}
	if n := hs.cases.updateCount(); n != 0 {
		t.Errorf("the plan reached the case (%d updates)", n)
	}
	if n := hs.count(`SELECT count(*) FROM payment_plans`); n != 0 {
		t.Errorf("%d plans stored", n)
	}
}

// A completed task cannot be completed again with another outcome: the
// case keeps the first outcome, so the second used to rewrite the task row
// and store a promise the case never got. The same completion retried answers 200 and writes nothing more.
func TestIntegrationCompletedTaskKeepsItsOutcome(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	inv := hs.importInvoice(invoice("F-1", "d-alice", "2026-03-01", 100_00)).InvoiceID
	hs.addTask("t-1", inv, "d-alice", "c-alice", testNow.Add(-time.Hour))
	hs.expect(hs.do("alice", "POST", "/v1/tasks/t-1/complete", map[string]any{"outcome": "no_answer"}), http.StatusOK)
	hs.expect(hs.do("alice", "POST", "/v1/tasks/t-1/complete", map[string]any{"outcome": "no_answer"}), http.StatusOK)
	r := hs.do("alice", "POST", "/v1/tasks/t-1/complete", map[string]any{
		"outcome": "promise", "promise": map[string]any{"amount_cents": 100_00, "date": "2026-03-20"}})
	hs.expect(r, http.StatusConflict)
	if n := hs.count(`SELECT count(*) FROM tasks WHERE id = 't-1' AND outcome = 'no_answer'`); n != 1 {
		t.Error("the task's outcome was rewritten")
	}
	if n := hs.count(`SELECT count(*) FROM promises WHERE invoice_id = $1`, inv); n != 0 {
		t.Errorf("%d promises stored that the case never got", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'task.complete'`); n != 1 {
		t.Errorf("%d audit lines for one completion", n)
	}
	if n := hs.cases.updateCount(); n != 2 {
		t.Errorf("%d updates, want 2 (the completion and its retry, same update ID)", n)
	}
}

// Two collectors completing one task at once with different outcomes: the
// case applies the first update that reaches it and refuses the other (its
// task is no longer open). The refused one answers 409 and writes nothing,
// though it read the task as open; the first writes the task row.
func TestIntegrationConcurrentCompletionLosingAtTheCaseWritesNothing(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	inv := hs.importInvoice(invoice("F-1", "d-alice", "2026-03-01", 100_00)).InvoiceID
	hs.addTask("t-1", inv, "d-alice", "c-alice", testNow.Add(-time.Hour))
	// The other completion got to the case first: it refuses this one.
	hs.cases.err = &caseclient.RejectedError{Field: "task_id", Reason: "is not the case's open call task"}
	r := hs.do("alice", "POST", "/v1/tasks/t-1/complete", map[string]any{
		"outcome": "promise", "promise": map[string]any{"amount_cents": 100_00, "date": "2026-03-20"}})
	hs.expect(r, http.StatusConflict)
	if n := hs.count(`SELECT count(*) FROM tasks WHERE id = 't-1' AND status = 'open' AND outcome IS NULL`); n != 1 {
		t.Error("the refused completion wrote the task row")
	}
	if n := hs.count(`SELECT count(*) FROM promises WHERE invoice_id = $1`, inv); n != 0 {
		t.Errorf("%d promises stored that the case refused", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'task.complete'`); n != 0 {
		t.Errorf("%d audit lines for a refused completion", n)
	}
	// Each outcome is its own update: the winner's retry stays deduplicated
	// by the case, the loser's cannot pass for it.
	if a, b := completionUpdateID("t-1", domain.OutcomeNoAnswer), completionUpdateID("t-1", domain.OutcomePromise); a == b {
		t.Errorf("one update ID %q for two outcomes", a)
	}
}

// An invoice number repeated inside one file is rejected on its later
// line, naming the first: before, the later line silently "updated" the
// invoice the earlier one created (here to another amount).
func TestIntegrationBulkImportRejectsANumberRepeatedInTheFile(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	csv := "\ufeffnumber;debtor_id;issue_date;due_date;currency;amount_cents\r\n" +
		"F-D1;d-alice;2026-01-01;2026-02-01;EUR;100\r\n" +
		"F-D2;d-alice;2026-01-01;2026-02-01;EUR;300\r\n" +
		"F-D1;d-alice;2026-01-01;2026-02-01;EUR;200\r\n"
	var rep struct {
		Created, Updated, Rejected int
		Lines                      []struct {
			Line                   int
			Number, Outcome, Field string
			Reason                 string
		}
	}
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", csv, "Content-Type", "text/csv"), http.StatusOK).json(t, &rep)
	last := rep.Lines[2]
	if rep.Created != 2 || rep.Updated != 0 || rep.Rejected != 1 || last.Line != 4 || last.Outcome != "rejected" ||
		last.Field != "number" || last.Reason != "repeats line 2 of this import" {
		t.Errorf("report = %+v", rep)
	}
	if n := hs.count(`SELECT amount_cents FROM invoices WHERE number = 'F-D1'`); n != 100 {
		t.Errorf("F-D1 amount = %d, want 100 (the first line's)", n)
	}
	// In a JSON array too, where lines are array positions.
	body := []any{invoice("F-J1", "d-alice", "2026-02-01", 100), invoice("F-J1", "d-alice", "2026-02-01", 100)}
	hs.expect(hs.do("service", "POST", "/v1/invoices:bulk", body), http.StatusOK).json(t, &rep)
	if rep.Created != 1 || rep.Rejected != 1 || rep.Lines[1].Reason != "repeats line 1 of this import" {
		t.Errorf("JSON report = %+v", rep)
	}
}
