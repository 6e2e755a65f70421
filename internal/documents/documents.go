// Package documents keeps every document Relance generates or receives as
// proof: the bytes in the documents bucket (internal/blobstore), their
// SHA-256, size and type in Postgres. Postgres decides: a key is claimed
// with its digest before the bytes are written, so two attempts that
// render different bytes under one key cannot both win, and a document
// once recorded is never rewritten (the bucket write is conditional too).
// Reading checks the digest, so a document altered in the bucket is
// refused rather than served.
package documents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/relance/relance/internal/blobstore"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/store"
)

// ErrRewrite is returned when a key already holds another document.
var ErrRewrite = errors.New("documents: a document is never rewritten")

// ErrCorrupt is returned when stored bytes no longer match their digest.
var ErrCorrupt = errors.New("documents: stored bytes do not match the recorded SHA-256")

// ErrRemoved is returned for a document whose bytes were erased.
var ErrRemoved = errors.New("documents: the document was erased")

// Archive stores and reads documents.
type Archive struct {
	Bucket *blobstore.Bucket
	DB     store.Querier
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// URLSetting is the one setting that names the bucket.
const URLSetting = "DOCUMENTS_URL"

// OpenBucket opens the bucket DOCUMENTS_URL names (file:///abs/folder or
// s3://bucket?…), recording a problem on env when it is unset or wrong.
// The caller closes it.
func OpenBucket(ctx context.Context, env *config.Env) *blobstore.Bucket {
	raw := env.Required(URLSetting)
	if raw == "" {
		return nil
	}
	b, err := blobstore.Open(ctx, raw)
	if err != nil {
		env.Fail(URLSetting, "%v", err)
		return nil
	}
	return b
}

func (a *Archive) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// New describes a document to store.
type New struct {
	Key         string // built by the caller from IDs: letters/<interaction-id>.pdf
	Kind        string // store.DocLetter…
	ContentType string
	Filename    string // the name a person downloading it sees
	DebtorID    string
	InvoiceID   string
	LegalHold   bool
}

// Digest is the lowercase hex SHA-256 of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Save stores data as the document n describes. Saving the same bytes
// under the same key again returns the first record (a retried activity);
// other bytes under a recorded key are ErrRewrite.
func (a *Archive) Save(ctx context.Context, n New, data []byte) (store.Document, error) {
	if n.Key == "" || n.Kind == "" || n.ContentType == "" {
		return store.Document{}, fmt.Errorf("documents: key, kind and content type are required")
	}
	d, created, err := store.ClaimDocument(ctx, a.DB, store.Document{
		ID: uuid.Must(uuid.NewV7()).String(), Key: n.Key, Kind: n.Kind, ContentType: n.ContentType,
		Filename: n.Filename, SizeBytes: int64(len(data)), SHA256: Digest(data),
		DebtorID: n.DebtorID, InvoiceID: n.InvoiceID, LegalHold: n.LegalHold,
	})
	if err != nil {
		return store.Document{}, err
	}
	if !created && (d.SHA256 != Digest(data) || d.SizeBytes != int64(len(data))) {
		return store.Document{}, fmt.Errorf("%w: %s holds document %s (sha256 %s)", ErrRewrite, n.Key, d.ID, d.SHA256)
	}
	if !created && d.RemovedAt != nil {
		return store.Document{}, fmt.Errorf("%w: %s", ErrRemoved, n.Key)
	}
	if d.StoredAt != nil {
		return d, nil
	}
	if err := a.Bucket.Put(ctx, n.Key, n.ContentType, data); err != nil {
		if errors.Is(err, blobstore.ErrRewrite) {
			return store.Document{}, fmt.Errorf("%w: %v", ErrRewrite, err)
		}
		return store.Document{}, err
	}
	at := a.now().UTC()
	if err := store.MarkDocumentStored(ctx, a.DB, d.ID, at); err != nil {
		return store.Document{}, err
	}
	d.StoredAt = &at
	return d, nil
}

// Keep returns the document stored under n.Key if there is one, else
// renders it and saves it. Retries of an activity thus send the bytes the
// first attempt recorded instead of a re-rendering that differs (a PDF's
// creation time): what is stored is what went out.
func (a *Archive) Keep(ctx context.Context, n New, render func() ([]byte, error)) (store.Document, []byte, error) {
	d, err := store.DocumentByKey(ctx, a.DB, n.Key)
	switch {
	case err == nil && d.StoredAt != nil:
		data, err := a.read(ctx, d)
		return d, data, err
	case err == nil:
		// Claimed by an attempt that stopped before it recorded the bytes
		// as stored: finish its work if the bytes made it to the bucket,
		// else drop its claim (nobody can have seen bytes never stored).
		if done, data, err := a.finish(ctx, d); err != nil || done {
			return d, data, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return store.Document{}, nil, err
	}
	data, err := render()
	if err != nil {
		return store.Document{}, nil, err
	}
	d, err = a.Save(ctx, n, data)
	return d, data, err
}

// finish settles a claim whose bytes were not recorded as stored.
func (a *Archive) finish(ctx context.Context, d store.Document) (bool, []byte, error) {
	data, err := a.Bucket.Get(ctx, d.Key)
	switch {
	case err == nil && Digest(data) == d.SHA256:
		now := a.now().UTC()
		if err := store.MarkDocumentStored(ctx, a.DB, d.ID, now); err != nil {
			return false, nil, err
		}
		return true, data, nil
	case err == nil:
		return false, nil, fmt.Errorf("%w: %s holds bytes its claim %s does not describe", ErrCorrupt, d.Key, d.ID)
	case errors.Is(err, blobstore.ErrNotFound):
		return false, nil, store.DropUnstoredDocument(ctx, a.DB, d.ID)
	default:
		return false, nil, err
	}
}

// Open loads a document's record and its bytes, checking the digest.
func (a *Archive) Open(ctx context.Context, id string) (store.Document, []byte, error) {
	d, err := store.GetDocument(ctx, a.DB, id)
	if err != nil {
		return store.Document{}, nil, err
	}
	data, err := a.read(ctx, d)
	return d, data, err
}

func (a *Archive) read(ctx context.Context, d store.Document) ([]byte, error) {
	if d.RemovedAt != nil {
		return nil, fmt.Errorf("%w: %s", ErrRemoved, d.ID)
	}
	if d.StoredAt == nil {
		return nil, fmt.Errorf("documents: %s was recorded but its bytes were never stored", d.ID)
	}
	data, err := a.Bucket.Get(ctx, d.Key)
	if err != nil {
		return nil, fmt.Errorf("document %s: %w", d.ID, err)
	}
	if Digest(data) != d.SHA256 || int64(len(data)) != d.SizeBytes {
		return nil, fmt.Errorf("%w: document %s (%s)", ErrCorrupt, d.ID, d.Key)
	}
	return data, nil
}

// Remove erases a document's bytes from the bucket (a GDPR erasure) unless
// it is under legal hold; the record keeps its digest and size. It reports
// whether the bytes were removed.
func (a *Archive) Remove(ctx context.Context, d store.Document) (bool, error) {
	if d.LegalHold {
		return false, nil
	}
	if err := a.Bucket.Delete(ctx, d.Key); err != nil {
		return false, err
	}
	if err := store.MarkDocumentRemoved(ctx, a.DB, d.ID, a.now().UTC()); err != nil {
		return false, err
	}
	return true, nil
}
