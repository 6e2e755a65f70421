// Package postal posts letters: a file drop (the PDF and a JSON manifest
// in a folder, picked up by a mailing house or read by a person) and an
// HTTP adapter shaped like the French registered-mail APIs (Maileva and
// the like): create a sending, add its document, add the recipient, submit.
package postal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/relance/relance/internal/channels"
)

// Manifest describes a dropped letter for whoever posts it.
type Manifest struct {
	Reference  string   `json:"reference"`
	Registered bool     `json:"registered"`
	Recipient  []string `json:"recipient"`
	PDF        string   `json:"pdf"`
	CreatedAt  string   `json:"created_at"`
}

// FileDrop writes <reference>.pdf and <reference>.json into Dir.
type FileDrop struct {
	Dir string
	Now func() time.Time
}

// Provider names the adapter on interactions.
func (f *FileDrop) Provider() string { return "filedrop" }

// Post writes the letter. Writing the same reference again replaces the
// files, so a retried activity leaves one letter in the folder.
func (f *FileDrop) Post(_ context.Context, l channels.Letter) (channels.Posted, error) {
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return channels.Posted{}, fmt.Errorf("file drop %s: %w", f.Dir, err)
	}
	name := safeName(l.Reference)
	pdfPath := filepath.Join(f.Dir, name+".pdf")
	if err := writeAtomic(pdfPath, l.PDF); err != nil {
		return channels.Posted{}, err
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	manifest, err := json.MarshalIndent(Manifest{Reference: l.Reference, Registered: l.Registered,
		Recipient: l.Recipient, PDF: name + ".pdf", CreatedAt: now().UTC().Format(time.RFC3339)}, "", "  ")
	if err != nil {
		return channels.Posted{}, fmt.Errorf("encode manifest: %w", err)
	}
	// The manifest is written last: a reader that waits for it finds the PDF complete.
	if err := writeAtomic(filepath.Join(f.Dir, name+".json"), manifest); err != nil {
		return channels.Posted{}, err
	}
	return channels.Posted{ID: name, FilePath: pdfPath}, nil
}

// writeAtomic writes through a temporary file and a rename, so nobody
// sees half a file.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteFile writes data to path through a temporary file, creating the folder.
func WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	return writeAtomic(path, data)
}

func safeName(ref string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, ref)
}

// HTTP posts through a registered-mail API:
//
//	POST {base}/sendings                       {"name", "registered", "acknowledgement", "custom_id"} → {"id"}
//	POST {base}/sendings/{id}/documents        the PDF (application/pdf)                              → {"id"}
//	POST {base}/sendings/{id}/recipients       {"custom_id", "address_line_1".."address_line_6"}     → {"id", "tracking_number"}
//	POST {base}/sendings/{id}/submit                                                                   → 2xx
//
// every call with "Authorization: Bearer {api key}". Tracking events come
// back later through services/events (POST /v1/webhooks/postal).
type HTTP struct {
	BaseURL    string
	APIKey     string
	HTTPClient *http.Client
}

// Provider names the adapter on interactions.
func (h *HTTP) Provider() string { return "postal_http" }

type created struct {
	ID             string `json:"id"`
	TrackingNumber string `json:"tracking_number"`
}

// Post runs the four calls. A retry after a failure creates a new draft
// sending: drafts that were never submitted are not posted.
func (h *HTTP) Post(ctx context.Context, l channels.Letter) (channels.Posted, error) {
	var sending created
	err := h.call(ctx, "/sendings", "application/json", mustJSON(map[string]any{
		"name": l.Reference, "custom_id": l.Reference, "registered": l.Registered, "acknowledgement": l.Registered,
	}), &sending)
	if err != nil {
		return channels.Posted{}, fmt.Errorf("create sending: %w", err)
	}
	if sending.ID == "" {
		return channels.Posted{}, fmt.Errorf("create sending: no id in the answer")
	}
	base := "/sendings/" + sending.ID
	if err := h.call(ctx, base+"/documents", "application/pdf", l.PDF, nil); err != nil {
		return channels.Posted{}, fmt.Errorf("add document to sending %s: %w", sending.ID, err)
	}
	recipient := map[string]any{"custom_id": l.Reference}
	for i := range channels.MaxLines {
		line := ""
		if i < len(l.Recipient) {
			line = l.Recipient[i]
		}
		recipient[fmt.Sprintf("address_line_%d", i+1)] = line
	}
	// The last line of a French address is "CP VILLE": line 6 by convention.
	if n := len(l.Recipient); n > 0 && n < channels.MaxLines {
		recipient[fmt.Sprintf("address_line_%d", n)] = ""
		recipient["address_line_6"] = l.Recipient[n-1]
	}
	var rcpt created
	if err := h.call(ctx, base+"/recipients", "application/json", mustJSON(recipient), &rcpt); err != nil {
		return channels.Posted{}, fmt.Errorf("add recipient to sending %s: %w", sending.ID, err)
	}
	// Submitting is the point of no return: its failure leaves the outcome unknown.
	if err := h.call(ctx, base+"/submit", "application/json", nil, nil); err != nil {
		return channels.Posted{}, fmt.Errorf("submit sending %s: %w", sending.ID, err)
	}
	tracking := rcpt.TrackingNumber
	if tracking == "" {
		tracking = sending.ID
	}
	return channels.Posted{ID: sending.ID, TrackingNumber: tracking}, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and bools always encode
	}
	return b
}

func (h *HTTP) call(ctx context.Context, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.APIKey)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	hc := h.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return &channels.NotAcceptedError{Err: err}
		}
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return &channels.NotAcceptedError{Err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)}
	case resp.StatusCode >= 400:
		return &channels.RejectedError{Reason: channels.ReasonInvalid, Err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)}
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return fmt.Errorf("unexpected HTTP %d", resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
	}
	return nil
}
