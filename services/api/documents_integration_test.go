//go:build integration

package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/store"
)

func TestIntegrationDocumentsServedWithinTheCaseScope(t *testing.T) {
	hs := newHarness(t)
	hs.seedDebtors()
	ctx := context.Background()
	inv := hs.importInvoice(invoice("F-1", "d-alice", "2026-02-01", 500_00)).InvoiceID
	body := []byte("%PDF-1.4 mise en demeure F-1 €")
	doc, err := hs.docs.Save(ctx, documents.New{Key: "letters/i-1.pdf", Kind: store.DocLetter, ContentType: "application/pdf",
		Filename: "formal_notice-F-1.pdf", DebtorID: "d-alice", InvoiceID: inv}, body)
	if err != nil {
		t.Fatal(err)
	}

	var list DocumentList
	hs.expect(hs.do("alice", "GET", "/v1/cases/"+inv+"/documents", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != doc.ID || list.Items[0].SHA256 != documents.Digest(body) ||
		list.Items[0].URL != "/v1/documents/"+doc.ID || list.Items[0].SizeBytes != int64(len(body)) {
		t.Fatalf("case documents = %+v", list.Items)
	}
	hs.expect(hs.do("bob", "GET", "/v1/cases/"+inv+"/documents", nil), http.StatusNotFound)

	r := hs.expect(hs.do("alice", "GET", "/v1/documents/"+doc.ID, nil), http.StatusOK)
	sum, _ := hex.DecodeString(doc.SHA256)
	if r.Body.String() != string(body) || r.Header().Get("Content-Type") != "application/pdf" ||
		r.Header().Get("ETag") != `"`+doc.SHA256+`"` ||
		r.Header().Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":" ||
		r.Header().Get("Content-Disposition") != `inline; filename=formal_notice-F-1.pdf` {
		t.Fatalf("document: %d %v %q", r.Code, r.Header(), r.Body.String())
	}
	hs.expect(hs.do("manager", "GET", "/v1/documents/"+doc.ID, nil), http.StatusOK)
	hs.expect(hs.do("alice", "GET", "/v1/documents/"+doc.ID, nil, "If-None-Match", `"`+doc.SHA256+`"`), http.StatusNotModified)
	// Outside the portfolio it looks exactly like a document that does not exist.
	out := hs.expect(hs.do("bob", "GET", "/v1/documents/"+doc.ID, nil), http.StatusNotFound)
	none := hs.expect(hs.do("bob", "GET", "/v1/documents/no-such-document", nil), http.StatusNotFound)
	if out.Body.String() != none.Body.String() {
		t.Errorf("refusal %s differs from absence %s", out.Body.String(), none.Body.String())
	}
	hs.expect(hs.do("", "GET", "/v1/documents/"+doc.ID, nil), http.StatusUnauthorized)

	// A document changed in the bucket is not served.
	if err := os.WriteFile(filepath.Join(hs.docsDir, "letters", "i-1.pdf"), []byte("%PDF-1.4 mise en demeure F-1 $$"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = hs.expect(hs.do("alice", "GET", "/v1/documents/"+doc.ID, nil), http.StatusInternalServerError)
	if r.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("tampered document answered %v %q", r.Header(), r.Body.String())
	}

	// An erased document is gone, its record stays.
	other, err := hs.docs.Save(ctx, documents.New{Key: "letters/i-2.pdf", Kind: store.DocLetter, ContentType: "application/pdf",
		DebtorID: "d-alice", InvoiceID: inv}, []byte("%PDF-1.4 relance"))
	if err != nil {
		t.Fatal(err)
	}
	if removed, err := hs.docs.Remove(ctx, other); !removed || err != nil {
		t.Fatalf("remove: %v %v", removed, err)
	}
	hs.expect(hs.do("alice", "GET", "/v1/documents/"+other.ID, nil), http.StatusGone)

	// A document of no case or debtor (none yet; a future system export) is for managers only.
	sys, err := hs.docs.Save(ctx, documents.New{Key: "exports/system.json", Kind: store.DocExport, ContentType: "application/json"}, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	hs.expect(hs.do("alice", "GET", "/v1/documents/"+sys.ID, nil), http.StatusNotFound)
	hs.expect(hs.do("manager", "GET", "/v1/documents/"+sys.ID, nil), http.StatusOK)
}
