package postal

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/relance/relance/internal/channels"
)

var recipient = []string{"BOULANGERIE LÉA", "3 PLACE DU MARCHÉ", "69001 LYON"}

func TestFileDropWritesPDFAndManifest(t *testing.T) {
	dir := t.TempDir()
	fd := &FileDrop{Dir: dir, Now: func() time.Time { return time.Date(2026, 5, 18, 9, 0, 0, 0, time.UTC) }}
	letter := channels.Letter{Reference: "int-1", Registered: true, Recipient: recipient, PDF: []byte("%PDF-1.4 x")}
	for range 2 { // a retried activity posts again: still one letter
		posted, err := fd.Post(context.Background(), letter)
		if err != nil {
			t.Fatal(err)
		}
		if posted.FilePath != filepath.Join(dir, "int-1.pdf") {
			t.Errorf("file path = %q", posted.FilePath)
		}
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "int-1.pdf"))
	if err != nil || string(pdf) != "%PDF-1.4 x" {
		t.Errorf("PDF = %q, %v", pdf, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "int-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	want := Manifest{Reference: "int-1", Registered: true, Recipient: recipient, PDF: "int-1.pdf", CreatedAt: "2026-05-18T09:00:00Z"}
	if m.Reference != want.Reference || !m.Registered || m.PDF != want.PDF || m.CreatedAt != want.CreatedAt ||
		len(m.Recipient) != 3 || m.Recipient[2] != "69001 LYON" {
		t.Errorf("manifest = %+v, want %+v", m, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d files, want the PDF and its manifest", len(entries))
	}
}

func TestHTTPFollowsTheRegisteredMailFlow(t *testing.T) {
	var steps []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		steps = append(steps, r.Method+" "+r.URL.Path)
		if r.Header.Get("Authorization") != "Bearer postal-key" {
			t.Errorf("%s: Authorization = %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/v2/sendings":
			var got map[string]any
			json.Unmarshal(body, &got)
			if got["registered"] != true || got["acknowledgement"] != true || got["custom_id"] != "int-1" {
				t.Errorf("create sending body = %s", body)
			}
			io.WriteString(w, `{"id":"snd-42"}`)
		case "/v2/sendings/snd-42/documents":
			if r.Header.Get("Content-Type") != "application/pdf" || string(body) != "%PDF-1.4 x" {
				t.Errorf("document: %s %q", r.Header.Get("Content-Type"), body)
			}
			io.WriteString(w, `{"id":"doc-1"}`)
		case "/v2/sendings/snd-42/recipients":
			var got map[string]string
			json.Unmarshal(body, &got)
			want := map[string]string{"custom_id": "int-1", "address_line_1": "BOULANGERIE LÉA",
				"address_line_2": "3 PLACE DU MARCHÉ", "address_line_3": "", "address_line_4": "",
				"address_line_5": "", "address_line_6": "69001 LYON"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("recipient %s = %q, want %q", k, got[k], v)
				}
			}
			io.WriteString(w, `{"id":"rcp-1","tracking_number":"1A01234567890"}`)
		case "/v2/sendings/snd-42/submit":
			w.WriteHeader(http.StatusAccepted)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	h := &HTTP{BaseURL: srv.URL + "/v2/", APIKey: "postal-key"}
	posted, err := h.Post(context.Background(), channels.Letter{Reference: "int-1", Registered: true,
		Recipient: recipient, PDF: []byte("%PDF-1.4 x")})
	if err != nil {
		t.Fatal(err)
	}
	if posted.ID != "snd-42" || posted.TrackingNumber != "1A01234567890" {
		t.Errorf("posted = %+v", posted)
	}
	want := []string{"POST /v2/sendings", "POST /v2/sendings/snd-42/documents", "POST /v2/sendings/snd-42/recipients",
		"POST /v2/sendings/snd-42/submit"}
	if len(steps) != len(want) {
		t.Fatalf("steps = %v, want %v", steps, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Errorf("step %d = %s, want %s", i, steps[i], want[i])
		}
	}
}

func TestHTTPRejectedAddressIsARejection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sendings/recipients" || r.URL.Path == "/sendings/s/recipients" {
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, `{"error":"address_line_6 must be CP VILLE"}`)
			return
		}
		io.WriteString(w, `{"id":"s"}`)
	}))
	defer srv.Close()
	_, err := (&HTTP{BaseURL: srv.URL, APIKey: "k"}).Post(context.Background(), channels.Letter{Reference: "r", Recipient: recipient})
	if _, ok := channels.IsRejected(err); !ok {
		t.Errorf("422 on the recipient: %v, want a RejectedError", err)
	}
}
