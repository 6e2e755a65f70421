// Package blobstore keeps document bytes in a bucket through
// gocloud.dev/blob: a local folder (file:///abs/path) under `make dev` and
// in tests, any S3-compatible store (s3://bucket?endpoint=…) in compose and
// Kubernetes. A key is written once: writing it again with the same bytes
// is a no-op (a retried activity), with other bytes it is refused.
package blobstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// ErrRewrite is returned when a key already holds other bytes.
var ErrRewrite = errors.New("blobstore: the key already holds other content and is never rewritten")

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = errors.New("blobstore: no such key")

// Bucket is a write-once bucket of documents.
type Bucket struct {
	b *blob.Bucket
	// where names the bucket without credentials, for errors and logs.
	where string
}

// Open opens the bucket a URL names. Accepted: file:///absolute/folder
// (options of fileblob, e.g. ?create_dir=true) and s3://bucket (options of
// s3blob: region, endpoint, use_path_style, disable_https…; credentials
// from the AWS environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, a
// web identity or an instance role). Anything else is refused, so a
// mistyped setting stops the process instead of writing proofs nowhere.
func Open(ctx context.Context, rawURL string) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blobstore: not a URL: %w", err)
	}
	var b *blob.Bucket
	switch u.Scheme {
	case fileblob.Scheme:
		if u.Host != "" || !filepath.IsAbs(u.Path) {
			return nil, fmt.Errorf("blobstore: a file URL names an absolute folder (file:///var/lib/relance/documents), got %q", rawURL)
		}
		b, err = blob.OpenBucket(ctx, rawURL)
	case s3blob.Scheme:
		if u.Host == "" {
			return nil, fmt.Errorf("blobstore: an s3 URL names its bucket (s3://bucket?region=…), got %q", redact(u))
		}
		b, err = blob.OpenBucket(ctx, rawURL)
	default:
		return nil, fmt.Errorf("blobstore: the URL must start with file:/// or s3://, got %q", redact(u))
	}
	if err != nil {
		// gocloud repeats the whole URL in its errors: keep the query out.
		msg := err.Error()
		if u.RawQuery != "" {
			msg = strings.ReplaceAll(msg, u.RawQuery, "…")
		}
		return nil, fmt.Errorf("blobstore: open %s: %s", redact(u), msg)
	}
	return &Bucket{b: b, where: redact(u)}, nil
}

// redact drops the query (endpoint options may hold secrets one day) and
// any user info.
func redact(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery = nil, "", false
	return c.String()
}

// String names the bucket, without its options.
func (b *Bucket) String() string { return b.where }

// Close releases the bucket.
func (b *Bucket) Close() error { return b.b.Close() }

// Ready reports whether the bucket can be reached (a readiness check).
func (b *Bucket) Ready(ctx context.Context) error {
	ok, err := b.b.IsAccessible(ctx)
	if err != nil {
		return fmt.Errorf("documents bucket %s: %w", b.where, err)
	}
	if !ok {
		return fmt.Errorf("documents bucket %s does not exist", b.where)
	}
	return nil
}

// Put writes data under key once. The write is conditional (the store
// refuses a key that exists); when the key exists, its bytes are compared:
// the same bytes are a no-op, others are ErrRewrite.
func (b *Bucket) Put(ctx context.Context, key, contentType string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	sum := md5.Sum(data)
	w, err := b.b.NewWriter(ctx, key, &blob.WriterOptions{
		ContentType: contentType, ContentMD5: sum[:], IfNotExist: true,
	})
	if err != nil {
		return fmt.Errorf("blobstore: write %s: %w", key, err)
	}
	_, werr := w.Write(data)
	cerr := w.Close()
	if werr == nil && cerr == nil {
		return nil
	}
	if gcerrors.Code(cerr) == gcerrors.FailedPrecondition || gcerrors.Code(werr) == gcerrors.FailedPrecondition {
		have, err := b.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("blobstore: %s exists and cannot be read back: %w", key, err)
		}
		if bytes.Equal(have, data) {
			return nil
		}
		return fmt.Errorf("%w: %s", ErrRewrite, key)
	}
	return fmt.Errorf("blobstore: write %s: %w", key, errors.Join(werr, cerr))
}

// Get reads the bytes under key.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	r, err := b.b.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blobstore: read %s: %w", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("blobstore: read %s: %w", key, err)
	}
	return data, nil
}

// Exists reports whether key holds something.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	ok, err := b.b.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("blobstore: look for %s: %w", key, err)
	}
	return ok, nil
}

// Delete removes key; a key already gone is not an error (an erasure
// that is run again finishes).
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := b.b.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("blobstore: delete %s: %w", key, err)
	}
	return nil
}

// Keys lists every key under prefix (tests and the erasure check).
func (b *Bucket) Keys(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	it := b.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("blobstore: list %s: %w", prefix, err)
		}
		if !obj.IsDir {
			out = append(out, obj.Key)
		}
	}
}

// checkKey refuses keys that could escape a folder or collide after
// escaping: keys are made by Relance from IDs, never from user input.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") || strings.Contains(key, "//") ||
		strings.HasSuffix(key, ".attrs") {
		return fmt.Errorf("blobstore: invalid key %q", key)
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./", r)) {
			return fmt.Errorf("blobstore: invalid key %q", key)
		}
	}
	return nil
}
