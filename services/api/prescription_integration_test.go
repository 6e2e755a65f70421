//go:build integration

package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/relance/relance/internal/store"
)

// A consumer claim due on 1 April 2024 prescribes on 1 April 2026 (C.
// consom. L218-2): on 10 March 2026 it is in the 30-day report, its case
// shows the date, and an acknowledgement of 1 March 2026 (C. civ. 2240)
// moves it to 1 March 2028 and out of the report. A business claim is
// given 5 years (C. com. L110-4).
func TestIntegrationPrescriptionClockAndReport(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	ctx := context.Background()
	old := hs.importInvoice(map[string]any{"number": "F-OLD", "debtor_id": "d-bob", "issue_date": "2024-03-01",
		"due_date": "2024-04-01", "currency": "EUR", "amount_cents": 300_00})
	biz := hs.importInvoice(invoice("F-BIZ", "d-alice", "2026-02-01", 100_00))
	for _, id := range []string{old.InvoiceID, biz.InvoiceID} {
		// As every projection write of the workflow does (store.RecordCase).
		if _, err := store.RefreshPrescription(ctx, hs.st.Pool, id); err != nil {
			t.Fatal(err)
		}
	}

	var row store.CaseRow
	hs.expect(hs.do("manager", "GET", "/v1/cases/"+biz.InvoiceID, nil), http.StatusOK)
	rows, err := store.GetCaseRow(ctx, hs.st.Pool, biz.InvoiceID, testNow)
	if err != nil || rows.PrescriptionAt != "2031-02-01" {
		t.Errorf("business case prescription = %q, %v; want 2031-02-01", rows.PrescriptionAt, err)
	}
	row, err = store.GetCaseRow(ctx, hs.st.Pool, old.InvoiceID, testNow)
	if err != nil || row.PrescriptionAt != "2026-04-01" {
		t.Fatalf("consumer case prescription = %q, %v; want 2026-04-01", row.PrescriptionAt, err)
	}

	var rep PrescriptionReport
	hs.expect(hs.do("manager", "GET", "/v1/reports/prescription?within=90", nil), http.StatusOK).json(t, &rep)
	if len(rep.Items) != 1 || rep.Items[0].InvoiceID != old.InvoiceID || rep.Items[0].DaysLeft != 22 || rep.Within30 != 1 {
		t.Fatalf("report = %+v", rep)
	}
	// Alice's portfolio holds no such claim; Bob's does.
	hs.expect(hs.do("alice", "GET", "/v1/reports/prescription", nil), http.StatusOK).json(t, &rep)
	if len(rep.Items) != 0 {
		t.Errorf("alice sees %+v", rep.Items)
	}
	hs.expect(hs.do("manager", "GET", "/v1/reports/prescription?within=-1", nil), http.StatusUnprocessableEntity)

	path := "/v1/invoices/" + old.InvoiceID + "/interruptions"
	hs.expect(hs.do("alice", "POST", path, map[string]any{"kind": "acknowledgement", "on": "2026-03-01"}), http.StatusNotFound)
	if f := hs.expect(hs.do("bob", "POST", path, map[string]any{"kind": "part_payment", "on": "2026-03-01"}),
		http.StatusUnprocessableEntity).problemField(t); f != "kind" {
		t.Errorf("a part payment recorded as an interruption: field %q", f)
	}
	if f := hs.expect(hs.do("bob", "POST", path, map[string]any{"kind": "acknowledgement", "on": "2026-03-11"}),
		http.StatusUnprocessableEntity).problemField(t); f != "on" {
		t.Errorf("an acknowledgement in the future: field %q", f)
	}
	var ans PrescriptionAnswer
	hs.expect(hs.do("bob", "POST", path, map[string]any{"kind": "acknowledgement", "on": "2026-03-01", "note": "courrier du débiteur"}),
		http.StatusCreated).json(t, &ans)
	if ans.PrescriptionAt != "2028-03-01" || ans.Basis != "C. consom. L218-2" {
		t.Errorf("after the acknowledgement: %+v", ans)
	}
	hs.expect(hs.do("manager", "GET", "/v1/reports/prescription", nil), http.StatusOK).json(t, &rep)
	if len(rep.Items) != 0 {
		t.Errorf("the acknowledged claim is still reported: %+v", rep.Items)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'prescription.acknowledgement' AND entity_id = $1`, old.InvoiceID); n != 1 {
		t.Errorf("%d audit lines", n)
	}
}
