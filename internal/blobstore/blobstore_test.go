package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/relance/relance/internal/blobstore"
)

// localBucket is a bucket in a folder of the test.
func localBucket(t *testing.T) *blobstore.Bucket {
	t.Helper()
	b, err := blobstore.Open(context.Background(), "file://"+filepath.ToSlash(t.TempDir())+"?create_dir=true")
	if err != nil {
		t.Fatalf("open local bucket: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// s3Bucket is a bucket of an in-process S3 server (gofakes3), reached
// through s3blob exactly as an S3-compatible store is in production.
func s3Bucket(t *testing.T) *blobstore.Bucket {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket("relance-docs"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	return OpenS3(t, "s3://relance-docs?region=eu-west-3&use_path_style=true&endpoint="+srv.URL)
}

// OpenS3 opens an s3:// URL and closes the bucket when the test ends.
func OpenS3(t *testing.T, url string) *blobstore.Bucket {
	t.Helper()
	b, err := blobstore.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open s3 bucket: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestLocalFolder(t *testing.T) { contract(t, localBucket(t)) }

func TestS3Compatible(t *testing.T) { contract(t, s3Bucket(t)) }

// contract is what every bucket must do.
func contract(t *testing.T, b *blobstore.Bucket) {
	ctx := context.Background()
	if err := b.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	pdf := []byte("%PDF-1.4 lettre recommandée €")
	if err := b.Put(ctx, "letters/i-1.pdf", "application/pdf", pdf); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := b.Get(ctx, "letters/i-1.pdf")
	if err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("get = %q, %v; want the bytes written", got, err)
	}
	// The same bytes again: a retried activity, accepted.
	if err := b.Put(ctx, "letters/i-1.pdf", "application/pdf", pdf); err != nil {
		t.Fatalf("put same bytes again: %v", err)
	}
	// Other bytes: refused, and the first ones stay.
	err = b.Put(ctx, "letters/i-1.pdf", "application/pdf", []byte("%PDF-1.4 forged"))
	if !errors.Is(err, blobstore.ErrRewrite) {
		t.Fatalf("rewrite: err = %v, want ErrRewrite", err)
	}
	if got, _ := b.Get(ctx, "letters/i-1.pdf"); !bytes.Equal(got, pdf) {
		t.Fatalf("after a refused rewrite the key holds %q", got)
	}
	if ok, err := b.Exists(ctx, "letters/i-1.pdf"); !ok || err != nil {
		t.Fatalf("exists = %v, %v", ok, err)
	}
	if _, err := b.Get(ctx, "letters/none.pdf"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("get missing: err = %v, want ErrNotFound", err)
	}
	keys, err := b.Keys(ctx, "letters/")
	if err != nil || len(keys) != 1 || keys[0] != "letters/i-1.pdf" {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	if err := b.Delete(ctx, "letters/i-1.pdf"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := b.Get(ctx, "letters/i-1.pdf"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("get deleted: err = %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, "letters/i-1.pdf"); err != nil {
		t.Fatalf("delete twice: %v", err)
	}

	// Concurrent writers of different bytes under one key: one wins, the
	// others are refused, and the key holds the winner's bytes.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			errs[i] = b.Put(ctx, "packs/h-1.pdf", "application/pdf", fmt.Appendf(nil, "pack version %d", i))
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both wrote packs/h-1.pdf", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, blobstore.ErrRewrite):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	if got, _ := b.Get(ctx, "packs/h-1.pdf"); string(got) != fmt.Sprintf("pack version %d", winner) {
		t.Fatalf("packs/h-1.pdf holds %q, the winner was %d", got, winner)
	}

	for _, key := range []string{"", "/abs.pdf", "../up.pdf", "a//b.pdf", "a b.pdf", "x.pdf.attrs", "é.pdf"} {
		if err := b.Put(ctx, key, "application/pdf", pdf); err == nil || errors.Is(err, blobstore.ErrRewrite) {
			t.Errorf("key %q accepted (err %v)", key, err)
		}
	}
}

func TestOpenRefusesWhatItCannotStoreTo(t *testing.T) {
	for _, url := range []string{
		"", "documents", "http://minio:9000/docs", "file://relative/docs", "file:docs", "s3://", "mem://", "gs://bucket",
	} {
		b, err := blobstore.Open(context.Background(), url)
		if err == nil {
			b.Close()
			t.Errorf("Open(%q) accepted", url)
		}
	}
}

func TestOpenDoesNotEchoSecrets(t *testing.T) {
	_, err := blobstore.Open(context.Background(), "s3://bucket?region=eu-west-3&unknown_param=hunter2")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v: want a refusal that does not repeat the query", err)
	}
}

func TestLocalFolderWithoutCreateDirNeedsTheFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	if b, err := blobstore.Open(context.Background(), "file://"+missing); err == nil {
		b.Close()
		t.Fatal("a missing folder without create_dir was accepted")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("the folder was created: %v", err)
	}
}
