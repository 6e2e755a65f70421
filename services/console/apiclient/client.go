// Package apiclient is the console's client of the collector API. The
// console holds no business rule: every page reads and every form writes
// through these calls, with the signed-in user's session token, so the
// API's validation, authorization and audit apply to the console as they
// do to any other client.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the API at BaseURL.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// New returns a client of the API at baseURL with a bounded timeout.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// FieldError is one input at fault, as the API names it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problem is an API error answer (RFC 9457).
type Problem struct {
	Status int          `json:"status"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Field  string       `json:"field"`
	Errors []FieldError `json:"errors"`
}

func (p *Problem) Error() string {
	return fmt.Sprintf("API answered %d: %s", p.Status, p.Detail)
}

// Fields maps each field the problem names to its reason.
func (p *Problem) Fields() map[string]string {
	out := map[string]string{}
	for _, fe := range p.Errors {
		out[fe.Field] = fe.Reason
	}
	if p.Field != "" && out[p.Field] == "" {
		out[p.Field] = p.Detail
	}
	return out
}

// AsProblem returns the API problem in err, if any.
func AsProblem(err error) (*Problem, bool) {
	var p *Problem
	ok := errors.As(err, &p)
	return p, ok
}

// Status is the HTTP status of an API problem in err, or 0.
func Status(err error) int {
	if p, ok := AsProblem(err); ok {
		return p.Status
	}
	return 0
}

// Call sends a request with the bearer token (none when empty) and a JSON
// body (none when nil), and decodes a JSON answer into out (ignored when
// nil). An error answer is returned as *Problem.
func (c *Client) Call(ctx context.Context, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(raw)
	}
	return c.send(ctx, token, method, path, "application/json", rd, out, nil)
}

// Upload posts a file as the multipart form field "file".
func (c *Client) Upload(ctx context.Context, token, path, filename string, file io.Reader, out any) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	if _, err := io.Copy(fw, file); err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	return c.send(ctx, token, http.MethodPost, path, mw.FormDataContentType(), &buf, out, nil)
}

// Raw is a non-JSON answer (a letter's PDF).
type Raw struct {
	ContentType string
	Body        []byte
}

// Fetch gets a file from the API.
func (c *Client) Fetch(ctx context.Context, token, path string) (Raw, error) {
	var raw Raw
	err := c.send(ctx, token, http.MethodGet, path, "", nil, nil, &raw)
	return raw, err
}

// maxAnswer bounds what the console reads of one answer.
const maxAnswer = 32 << 20

func (c *Client) send(ctx context.Context, token, method, path, contentType string, body io.Reader, out any, raw *Raw) error {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if contentType != "" && body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if res.StatusCode >= 400 {
		p := &Problem{Status: res.StatusCode}
		if json.Unmarshal(data, p) != nil || p.Status == 0 {
			p.Status = res.StatusCode
		}
		if p.Detail == "" {
			p.Detail = http.StatusText(res.StatusCode)
		}
		return p
	}
	if raw != nil {
		raw.ContentType, raw.Body = res.Header.Get("Content-Type"), data
		return nil
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}

// Query builds "?k=v&…" from pairs, leaving out empty values.
func Query(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// PathEscape escapes one path segment (an ID).
func PathEscape(s string) string { return url.PathEscape(s) }
