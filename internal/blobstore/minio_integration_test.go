//go:build integration

package blobstore_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestIntegrationMinIO runs the bucket contract against a real MinIO
// server when a `minio` binary is installed (RELANCE_MINIO_BIN or PATH):
// the server is never downloaded by a test. TestS3Compatible runs the same
// contract on an in-process S3 server every time.
func TestIntegrationMinIO(t *testing.T) {
	bin := os.Getenv("RELANCE_MINIO_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("minio"); err != nil {
			t.Skip("no minio binary (set RELANCE_MINIO_BIN or put minio on PATH); TestS3Compatible covers s3blob in-process")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	data := t.TempDir()
	// The bucket is a folder of the data directory when MinIO starts.
	if err := os.Mkdir(data+"/relance-docs", 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "server", data, "--address", "127.0.0.1:"+strconv.Itoa(port), "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER=relance", "MINIO_ROOT_PASSWORD=relance-secret")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start minio: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	t.Setenv("AWS_ACCESS_KEY_ID", "relance")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "relance-secret")
	b := OpenS3(t, "s3://relance-docs?region=us-east-1&use_path_style=true&endpoint=http://127.0.0.1:"+strconv.Itoa(port))
	deadline := time.Now().Add(30 * time.Second)
	for b.Ready(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("minio not ready after 30 s: %v", b.Ready(ctx))
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	contract(t, b)
}
