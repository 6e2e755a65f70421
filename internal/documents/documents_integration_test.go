//go:build integration

package documents_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/relance/relance/internal/blobstore"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

func archive(t *testing.T) (*documents.Archive, string) {
	t.Helper()
	dir := t.TempDir()
	b, err := blobstore.Open(context.Background(), "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &documents.Archive{Bucket: b, DB: testenv.Postgres(t).Pool}, dir
}

func TestIntegrationSaveIsWriteOnce(t *testing.T) {
	ctx := context.Background()
	a, dir := archive(t)
	n := documents.New{Key: "letters/i-1.pdf", Kind: store.DocLetter, ContentType: "application/pdf", Filename: "mise-en-demeure.pdf"}
	pdf := []byte("%PDF-1.4 mise en demeure")
	d, err := a.Save(ctx, n, pdf)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if d.SHA256 != documents.Digest(pdf) || d.SizeBytes != int64(len(pdf)) || d.StoredAt == nil {
		t.Fatalf("record = %+v", d)
	}
	again, err := a.Save(ctx, n, pdf)
	if err != nil || again.ID != d.ID {
		t.Fatalf("saving the same bytes again = %s, %v; want the first record %s", again.ID, err, d.ID)
	}
	if _, err := a.Save(ctx, n, []byte("%PDF-1.4 autre chose")); !errors.Is(err, documents.ErrRewrite) {
		t.Fatalf("other bytes under the key: err = %v, want ErrRewrite", err)
	}
	got, data, err := a.Open(ctx, d.ID)
	if err != nil || !bytes.Equal(data, pdf) || got.Filename != "mise-en-demeure.pdf" {
		t.Fatalf("open = %+v %q %v", got, data, err)
	}
	// Postgres itself refuses to change what a record proves.
	if _, err := a.DB.Exec(ctx, `UPDATE documents SET sha256 = $2 WHERE id = $1`, d.ID, documents.Digest([]byte("x"))); err == nil {
		t.Fatal("the digest of a document was changed")
	}
	// Bytes altered behind Relance's back are refused, not served.
	if err := os.WriteFile(filepath.Join(dir, "letters", "i-1.pdf"), []byte("%PDF-1.4 falsifiée!!!!!"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Open(ctx, d.ID); !errors.Is(err, documents.ErrCorrupt) {
		t.Fatalf("open altered bytes: err = %v, want ErrCorrupt", err)
	}
}

func TestIntegrationKeepSendsWhatWasStored(t *testing.T) {
	ctx := context.Background()
	a, _ := archive(t)
	n := documents.New{Key: "letters/i-2.pdf", Kind: store.DocLetter, ContentType: "application/pdf"}
	renders := 0
	render := func() ([]byte, error) { renders++; return []byte{'v', byte('0' + renders)}, nil }
	d1, b1, err := a.Keep(ctx, n, render)
	if err != nil {
		t.Fatal(err)
	}
	d2, b2, err := a.Keep(ctx, n, render)
	if err != nil {
		t.Fatal(err)
	}
	if renders != 1 || d1.ID != d2.ID || !bytes.Equal(b1, b2) {
		t.Fatalf("a retry rendered again (%d renders) or got other bytes: %q vs %q", renders, b1, b2)
	}

	// An attempt that claimed a key and stopped before storing: the next
	// one drops the claim (its bytes were never stored) and stores its own.
	stale, _, err := store.ClaimDocument(ctx, a.DB, store.Document{ID: "doc-stale", Key: "letters/i-3.pdf", Kind: store.DocLetter,
		ContentType: "application/pdf", SizeBytes: 3, SHA256: documents.Digest([]byte("old"))})
	if err != nil {
		t.Fatal(err)
	}
	d3, b3, err := a.Keep(ctx, documents.New{Key: "letters/i-3.pdf", Kind: store.DocLetter, ContentType: "application/pdf"},
		func() ([]byte, error) { return []byte("new"), nil })
	if err != nil || string(b3) != "new" || d3.ID == stale.ID || d3.StoredAt == nil {
		t.Fatalf("keep after a stopped attempt = %+v %q %v", d3, b3, err)
	}

	// An attempt that stored the bytes but stopped before recording it:
	// the next one finishes its work and sends those bytes.
	if err := a.Bucket.Put(ctx, "letters/i-4.pdf", "application/pdf", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.ClaimDocument(ctx, a.DB, store.Document{ID: "doc-half", Key: "letters/i-4.pdf", Kind: store.DocLetter,
		ContentType: "application/pdf", SizeBytes: 5, SHA256: documents.Digest([]byte("first"))}); err != nil {
		t.Fatal(err)
	}
	d4, b4, err := a.Keep(ctx, documents.New{Key: "letters/i-4.pdf", Kind: store.DocLetter, ContentType: "application/pdf"},
		func() ([]byte, error) { return []byte("second"), nil })
	if err != nil || string(b4) != "first" || d4.ID != "doc-half" {
		t.Fatalf("keep after a half-finished attempt = %+v %q %v", d4, b4, err)
	}
}

func TestIntegrationRemoveKeepsLegalHold(t *testing.T) {
	ctx := context.Background()
	a, _ := archive(t)
	held, err := a.Save(ctx, documents.New{Key: "bundles/b-1.pdf", Kind: "bundle", ContentType: "application/pdf", LegalHold: true}, []byte("court"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := a.Save(ctx, documents.New{Key: "letters/i-9.pdf", Kind: store.DocLetter, ContentType: "application/pdf"}, []byte("letter"))
	if err != nil {
		t.Fatal(err)
	}
	if removed, err := a.Remove(ctx, held); removed || err != nil {
		t.Fatalf("remove held = %v, %v; want kept", removed, err)
	}
	if removed, err := a.Remove(ctx, plain); !removed || err != nil {
		t.Fatalf("remove = %v, %v", removed, err)
	}
	if _, _, err := a.Open(ctx, plain.ID); !errors.Is(err, documents.ErrRemoved) {
		t.Fatalf("open removed: err = %v", err)
	}
	if _, data, err := a.Open(ctx, held.ID); err != nil || string(data) != "court" {
		t.Fatalf("open held = %q, %v", data, err)
	}
	keys, err := a.Bucket.Keys(ctx, "")
	if err != nil || len(keys) != 1 || keys[0] != "bundles/b-1.pdf" {
		t.Fatalf("bucket keys = %v, %v", keys, err)
	}
	// The record of the removed one keeps its proof: digest and size.
	rec, err := store.GetDocument(ctx, a.DB, plain.ID)
	if err != nil || rec.SHA256 != documents.Digest([]byte("letter")) || rec.RemovedAt == nil {
		t.Fatalf("record after removal = %+v, %v", rec, err)
	}
}
