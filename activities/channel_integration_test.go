//go:build integration

package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
	"go.temporal.io/sdk/temporal"

	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/testenv"
)

// newChannels builds the activities the way the worker does, from
// settings; the outbox and every folder live in the test's temp dir.
func newChannels(t *testing.T, st *store.Store, settings map[string]string) *ChannelActivities {
	t.Helper()
	env := map[string]string{"OUTBOX_DIR": t.TempDir(), "CREDITOR_NAME": "Créancier SA",
		"CREDITOR_ADDRESS": "1 rue de Rivoli", "CREDITOR_POSTAL_CODE": "75001", "CREDITOR_CITY": "Paris"}
	for k, v := range settings {
		env[k] = v
	}
	docs, _ := testenv.Documents(t, st)
	a, err := NewChannelActivities(config.NewEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }),
		st, docs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type seed struct {
	debtorID, invoiceID string
}

// seedInvoice creates a debtor and an overdue invoice of 1 234,56 € with two lines.
func seedInvoice(t *testing.T, st *store.Store, debtorSQL string, args ...any) seed {
	t.Helper()
	ctx := context.Background()
	n := fmt.Sprint(time.Now().UnixNano())
	s := seed{debtorID: "deb-" + n, invoiceID: "inv-" + n}
	_, err := st.Pool.Exec(ctx, `INSERT INTO debtors (id, name, email, phone, address_lines, postal_code, city)
		VALUES ($1, 'Boulangerie Léa', 'compta@lea.fr', '+33611223344', '{"3 place du Marché"}', '69001', 'Lyon')`, s.debtorID)
	if err != nil {
		t.Fatal(err)
	}
	if debtorSQL != "" {
		if _, err := st.Pool.Exec(ctx, `UPDATE debtors SET `+debtorSQL+` WHERE id = $1`, append([]any{s.debtorID}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	due := time.Now().AddDate(0, 0, -20)
	_, err = st.Pool.Exec(ctx, `INSERT INTO invoices (id, debtor_id, number, issue_date, due_date, currency, amount_cents,
		balance_cents, payment_link) VALUES ($1, $2, $3, $4, $5, 'EUR', 123456, 123456, 'https://pay.example/F')`,
		s.invoiceID, s.debtorID, "F-"+n, due.AddDate(0, -1, 0), due)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Pool.Exec(ctx, `INSERT INTO invoice_lines (invoice_id, position, description, quantity, unit_price_cents, amount_cents)
		VALUES ($1, 1, 'Pâtisseries fraîches', 1, 100000, 100000), ($1, 2, 'Livraison', 2, 11728, 23456)`, s.invoiceID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s seed) send(ch domain.Channel, key, template string) domain.SendInput {
	return domain.SendInput{InvoiceID: s.invoiceID, DebtorID: s.debtorID, Rung: "r", Channel: ch, Template: template,
		BalanceCents: 123456, Currency: "EUR", IdempotencyKey: key}
}

// sendGridFake answers with the given statuses in turn (202 after them)
// and counts requests.
func sendGridFake(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if r.URL.Path != "/v3/mail/send" || r.Header.Get("Authorization") != "Bearer SG.key" {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		if n <= len(statuses) {
			w.WriteHeader(statuses[n-1])
			return
		}
		w.Header().Set("X-Message-Id", fmt.Sprintf("sg-%d", n))
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestIntegrationSendMessageExactlyOnceAfterACrash(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	srv, calls := sendGridFake(t)
	a := newChannels(t, st, map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_BASE_URL": srv.URL, "MAIL_FROM": "r@creancier.fr"})
	s := seedInvoice(t, st, "")
	in := s.send(domain.ChannelEmail, "invoice:x/email-d4/1", "reminder")

	// The worker dies after SendGrid accepted the mail, before it is marked sent.
	crash := errors.New("worker crashed")
	a.afterProvider = func(context.Context, string) error { return crash }
	if _, err := a.SendMessage(ctx, in); !errors.Is(err, crash) {
		t.Fatalf("first attempt: %v, want the crash", err)
	}
	a.afterProvider = nil
	res, err := a.SendMessage(ctx, in) // Temporal retries the activity
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("SendGrid received %d requests, want exactly 1", calls.Load())
	}
	if !res.Sent || res.Reason != ReasonInDoubt {
		t.Errorf("retry result = %+v, want sent (in doubt)", res)
	}
	row, err := store.GetInteractionByKey(ctx, st.Pool, in.IdempotencyKey)
	if err != nil {
		t.Fatal(err)
	}
	if row.ID != res.InteractionID || row.Status != store.InteractionSent || row.SentAt == nil {
		t.Errorf("interaction = %+v", row)
	}

	// A normal send, then the same activity again: one request, same interaction.
	in2 := s.send(domain.ChannelEmail, "invoice:x/email-d4/2", "reminder")
	first, err := a.SendMessage(ctx, in2)
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.SendMessage(ctx, in2)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || first != again || !first.Sent || first.Reason != "" {
		t.Errorf("after a repeated send: %d requests, results %+v / %+v", calls.Load(), first, again)
	}
	row, _ = store.GetInteraction(ctx, st.Pool, first.InteractionID)
	if row.ProviderMessageID != "sg-2" || row.Provider != "sendgrid" || !strings.Contains(row.BodyText, "1\u00a0234,56\u00a0€") ||
		!strings.Contains(row.BodyHTML, "https://pay.example/F") {
		t.Errorf("interaction = %+v", row)
	}
}

func TestIntegrationSendMessageRetriesWhatTheProviderRefusedForNow(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	srv, calls := sendGridFake(t, http.StatusServiceUnavailable)
	a := newChannels(t, st, map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_BASE_URL": srv.URL, "MAIL_FROM": "r@creancier.fr"})
	s := seedInvoice(t, st, "")
	in := s.send(domain.ChannelEmail, "k-503", "reminder")
	in.Attach = true

	_, err := a.SendMessage(ctx, in)
	var app *temporal.ApplicationError
	if err == nil || (errors.As(err, &app) && app.NonRetryable()) {
		t.Fatalf("503: %v, want a retryable error", err)
	}
	row, _ := store.GetInteractionByKey(ctx, st.Pool, in.IdempotencyKey)
	if row.Status != store.InteractionFailed || row.SentAt != nil {
		t.Errorf("after 503: %+v", row)
	}
	res, err := a.SendMessage(ctx, in)
	if err != nil || !res.Sent || res.InteractionID != row.ID {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2 (the refused one and the accepted one)", calls.Load())
	}
	row, _ = store.GetInteraction(ctx, st.Pool, row.ID)
	if row.Status != store.InteractionSent || row.ProviderMessageID != "sg-2" || row.DocumentID == "" {
		t.Errorf("after retry: %+v", row)
	}
	if doc, text := storedPDF(t, a, row.DocumentID); doc.Kind != store.DocStatement || doc.InvoiceID != in.InvoiceID ||
		!strings.HasSuffix(doc.Filename, ".pdf") || !strings.Contains(text, "234,56") {
		t.Errorf("attached statement kept as %+v:\n%s", doc, text)
	}

	// Refused for now, then the address bounced before the retry: skipped, not sent.
	s2 := seedInvoice(t, st, "")
	failing, failCalls := sendGridFake(t, http.StatusTooManyRequests)
	a3 := newChannels(t, st, map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_BASE_URL": failing.URL, "MAIL_FROM": "r@creancier.fr"})
	in3 := s2.send(domain.ChannelEmail, "k-429-bounced", "reminder")
	if _, err := a3.SendMessage(ctx, in3); err == nil {
		t.Fatal("429: want a retryable error")
	}
	if err := store.SetEmailStatus(ctx, st.Pool, s2.debtorID, "bounced"); err != nil {
		t.Fatal(err)
	}
	res, err = a3.SendMessage(ctx, in3)
	if err != nil || res.Sent || res.Reason != ReasonEmailBounced || failCalls.Load() != 1 {
		t.Errorf("retry after a bounce: %+v, %v, %d requests; want Sent:false email_bounced after 1 request", res, err, failCalls.Load())
	}
	if row, _ := store.GetInteractionByKey(ctx, st.Pool, in3.IdempotencyKey); row.Status != store.InteractionSkipped {
		t.Errorf("interaction %s, want skipped", row.Status)
	}

	// A permanent 4xx makes the step fall back, without retry.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	defer bad.Close()
	a2 := newChannels(t, st, map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_BASE_URL": bad.URL, "MAIL_FROM": "r@creancier.fr"})
	res, err = a2.SendMessage(ctx, s.send(domain.ChannelEmail, "k-400", "reminder"))
	if err != nil || res.Sent || !strings.HasPrefix(res.Reason, "rejected") {
		t.Errorf("400: %+v, %v; want Sent:false with a reason", res, err)
	}
}

func TestIntegrationSendMessageSkipsChannelsThatCannotReachTheDebtor(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls.Add(1) }))
	defer srv.Close()
	a := newChannels(t, st, map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_BASE_URL": srv.URL, "MAIL_FROM": "r@x.fr",
		"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok", "TWILIO_FROM": "+33700000000", "TWILIO_BASE_URL": srv.URL})

	for _, tc := range []struct {
		name, debtorSQL string
		channel         domain.Channel
		reason          string
	}{
		{"no e-mail", "email = ''", domain.ChannelEmail, ReasonNoEmail},
		{"bounced", "email_status = 'bounced'", domain.ChannelEmail, ReasonEmailBounced},
		{"no phone", "phone = ''", domain.ChannelSMS, ReasonNoPhone},
		{"unusable phone", "phone_status = 'unusable'", domain.ChannelSMS, ReasonPhoneUnusable},
		{"no address", "address_lines = '{}'", domain.ChannelLetter, ReasonNoAddress},
	} {
		s := seedInvoice(t, st, tc.debtorSQL)
		in := s.send(tc.channel, "skip-"+tc.name, "reminder")
		for range 2 {
			res, err := a.SendMessage(ctx, in)
			if err != nil || res.Sent || res.Reason != tc.reason {
				t.Errorf("%s: %+v, %v; want Sent:false %s", tc.name, res, err, tc.reason)
			}
		}
		row, _ := store.GetInteractionByKey(ctx, st.Pool, in.IdempotencyKey)
		if row.Status != store.InteractionSkipped || row.Error != tc.reason {
			t.Errorf("%s: interaction %s %q", tc.name, row.Status, row.Error)
		}
	}
	s := seedInvoice(t, st, "")
	if err := store.SetConsent(ctx, st.Pool, s.debtorID, "sms", false, "debtor_request"); err != nil {
		t.Fatal(err)
	}
	if res, err := a.SendMessage(ctx, s.send(domain.ChannelSMS, "skip-optout", "reminder")); err != nil || res.Reason != ReasonOptedOut {
		t.Errorf("opted out: %+v, %v", res, err)
	}
	if calls.Load() != 0 {
		t.Errorf("providers were called %d times for channels that cannot be used", calls.Load())
	}
}

func TestIntegrationTwilioRefusalsUpdateTheDebtor(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	code := 21610
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(body))
		forms = append(forms, f)
		w.Header().Set("Content-Type", "application/json")
		if code == 0 {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"sid":"SM1"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"code":%d,"message":"no","status":400}`, code)
	}))
	defer srv.Close()
	a := newChannels(t, st, map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok", "TWILIO_FROM": "+33700000000",
		"TWILIO_BASE_URL": srv.URL, "PUBLIC_BASE_URL": "https://events.relance.example"})

	s := seedInvoice(t, st, "")
	res, err := a.SendMessage(ctx, s.send(domain.ChannelSMS, "sms-stop", "reminder"))
	if err != nil || res.Sent || res.Reason != "opted_out" {
		t.Fatalf("21610: %+v, %v", res, err)
	}
	consents, err := store.Consents(ctx, st.Pool, s.debtorID)
	if err != nil || consents["sms"] != false {
		t.Fatalf("consents = %v, %v", consents, err)
	}
	var source string
	st.Pool.QueryRow(ctx, `SELECT source FROM channel_consents WHERE debtor_id = $1 AND channel = 'sms'`, s.debtorID).Scan(&source)
	if source != "sms_stop" {
		t.Errorf("opt-out source = %q, want sms_stop", source)
	}

	code = 21211
	s2 := seedInvoice(t, st, "")
	if res, err := a.SendMessage(ctx, s2.send(domain.ChannelSMS, "sms-bad", "reminder")); err != nil || res.Sent || res.Reason != "phone_unusable" {
		t.Fatalf("21211: %+v, %v", res, err)
	}
	d, _ := store.GetDebtor(ctx, st.Pool, s2.debtorID)
	if d.PhoneStatus != "unusable" {
		t.Errorf("phone status = %q, want unusable", d.PhoneStatus)
	}

	code = 0
	s3 := seedInvoice(t, st, "language = 'en'")
	res, err = a.SendMessage(ctx, s3.send(domain.ChannelSMS, "sms-ok", "reminder"))
	if err != nil || !res.Sent {
		t.Fatalf("accepted SMS: %+v, %v", res, err)
	}
	last := forms[len(forms)-1]
	if want := "https://events.relance.example/v1/webhooks/twilio?interaction_id=" + res.InteractionID; last.Get("StatusCallback") != want {
		t.Errorf("StatusCallback = %q, want %q", last.Get("StatusCallback"), want)
	}
	if body := last.Get("Body"); !strings.Contains(body, "€1,234.56") || !strings.Contains(body, "https://pay.example/F") {
		t.Errorf("English SMS body = %q", body)
	}
	row, _ := store.GetInteraction(ctx, st.Pool, res.InteractionID)
	if row.ProviderMessageID != "SM1" || row.Provider != "twilio" {
		t.Errorf("interaction = %+v", row)
	}
}

// storedPDF opens a stored document (checking its digest) and returns its text.
func storedPDF(t *testing.T, a *ChannelActivities, id string) (store.Document, string) {
	t.Helper()
	doc, b, err := a.docs.Open(context.Background(), id)
	if err != nil {
		t.Fatalf("open document %q: %v", id, err)
	}
	return doc, pdfBytesText(t, b)
}

func pdfText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return pdfBytesText(t, b)
}

func pdfBytesText(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(plain)
	return strings.Join(strings.FieldsFunc(string(raw), func(r rune) bool { return r == ' ' || r == '\n' }), " ")
}

func TestIntegrationOutboxAndFileDropByDefault(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	a := newChannels(t, st, nil) // no credentials at all: the dev default
	s := seedInvoice(t, st, "")

	res, err := a.SendMessage(ctx, s.send(domain.ChannelEmail, "dev-email", "reminder"))
	if err != nil || !res.Sent {
		t.Fatalf("outbox e-mail: %+v, %v", res, err)
	}
	row, _ := store.GetInteraction(ctx, st.Pool, res.InteractionID)
	if row.Provider != "outbox" || row.Status != store.InteractionSent || !strings.Contains(row.Subject, "1\u00a0234,56\u00a0€") {
		t.Errorf("outbox interaction = %+v", row)
	}
	if _, err := os.Stat(filepath.Join(a.cfg.OutboxDir, "email", res.InteractionID+".html")); err != nil {
		t.Errorf("outbox did not write the e-mail: %v", err)
	}

	res, err = a.SendMessage(ctx, s.send(domain.ChannelRegisteredLetter, "dev-notice", "formal_notice"))
	if err != nil || !res.Sent {
		t.Fatalf("registered letter: %+v, %v", res, err)
	}
	row, _ = store.GetInteraction(ctx, st.Pool, res.InteractionID)
	want := filepath.Join(a.cfg.OutboxDir, "letters", res.InteractionID+".pdf")
	if row.Provider != "filedrop" || row.FilePath != want || !strings.Contains(row.Subject, "mise en demeure") || row.DocumentID == "" {
		t.Errorf("letter interaction = %+v", row)
	}
	// What was posted is what is stored, byte for byte.
	posted, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := storedPDF(t, a, row.DocumentID); doc.SHA256 != documents.Digest(posted) || doc.Kind != store.DocLetter {
		t.Errorf("stored letter %+v is not the posted one (sha256 %s)", doc, documents.Digest(posted))
	}
	var manifest struct {
		Registered bool     `json:"registered"`
		Recipient  []string `json:"recipient"`
	}
	raw, err := os.ReadFile(strings.TrimSuffix(want, ".pdf") + ".json")
	if err != nil || json.Unmarshal(raw, &manifest) != nil || !manifest.Registered || manifest.Recipient[len(manifest.Recipient)-1] != "69001 LYON" {
		t.Errorf("manifest = %s (%v)", raw, err)
	}
	text := pdfText(t, want)
	for _, w := range []string{"mise en demeure", "1\u00a0234,56\u00a0€", "L441-10", "40,00\u00a0€", "Pâtisseries fraîches",
		"Boulangerie Léa", "Créancier SA", "Total exigible"} {
		if !strings.Contains(text, w) {
			t.Errorf("formal notice lacks %q:\n%s", w, text)
		}
	}
}

func TestIntegrationCallTasksAreAssignedFairlyInTheContactWindow(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	a := newChannels(t, st, nil)
	_, err := st.Pool.Exec(ctx, `INSERT INTO collectors (id, name, active) VALUES ('c1', 'Anne', true), ('c2', 'Bruno', true),
		('c3', 'Chloé', true), ('c9', 'Parti', false)`)
	if err != nil {
		t.Fatal(err)
	}
	// A debtor in Tokyo reachable 09:00–12:00 local time.
	s := seedInvoice(t, st, "timezone = 'Asia/Tokyo', contact_window_start = 540, contact_window_end = 720")
	in := domain.CallTaskInput{InvoiceID: s.invoiceID, DebtorID: s.debtorID, Rung: "call-d1", BalanceCents: 123456,
		Currency: "EUR", DaysOverdue: 20, BrokenPromises: 1, DueAt: time.Now(), IdempotencyKey: "call-1"}
	first, err := a.CreateCallTask(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.CreateCallTask(ctx, in)
	if err != nil || again != first {
		t.Fatalf("retry: %+v, %v; want %+v", again, err, first)
	}
	task, _ := store.GetTaskByKey(ctx, st.Pool, "call-1")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	local := task.DueAt.In(tokyo)
	if m := local.Hour()*60 + local.Minute(); m < 540 || m >= 720 {
		t.Errorf("due at %s local, outside 09:00–12:00", local)
	}
	if task.Priority != 123+200+1000 {
		t.Errorf("priority = %d", task.Priority)
	}
	var script CallScript
	if err := json.Unmarshal(task.Script, &script); err != nil {
		t.Fatal(err)
	}
	if script.AmountDue != "1\u00a0234,56\u00a0€" || !strings.Contains(script.Opening, "Créancier SA") || len(script.Outcomes) != 6 {
		t.Errorf("script = %+v", script)
	}
	var calls int
	st.Pool.QueryRow(ctx, `SELECT count(*) FROM interactions WHERE channel = 'call' AND invoice_id = $1 AND sent_at IS NULL`, s.invoiceID).Scan(&calls)
	if calls != 1 {
		t.Errorf("%d call interactions on the timeline, want 1", calls)
	}

	// The collector's call, once made, is a contact on the timeline.
	if ok, err := store.CompleteCallInteraction(ctx, st.Pool, first.TaskID, "promise", "paiera vendredi", time.Now()); err != nil || !ok {
		t.Fatalf("complete call: %v, %v", ok, err)
	}
	var status, note string
	st.Pool.QueryRow(ctx, `SELECT status, body_text FROM interactions WHERE channel = 'call' AND invoice_id = $1 AND sent_at IS NOT NULL`,
		s.invoiceID).Scan(&status, &note)
	if status != store.InteractionDelivered || !strings.Contains(note, "paiera vendredi") {
		t.Errorf("call interaction after the call: %q %q", status, note)
	}

	// Twelve more tasks created at once spread evenly over the three active collectors.
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			in := in
			in.IdempotencyKey = fmt.Sprintf("call-par-%d", i)
			if _, err := a.CreateCallTask(ctx, in); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rows, _ := st.Pool.Query(ctx, `SELECT collector_id, count(*) FROM tasks GROUP BY collector_id ORDER BY collector_id`)
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		rows.Scan(&id, &n)
		counts[id] = n
	}
	rows.Close()
	if len(counts) != 3 || counts["c9"] != 0 {
		t.Errorf("tasks per collector = %v, want the 13 tasks on c1, c2, c3 only", counts)
	}
	for id, n := range counts {
		if n < 4 || n > 5 {
			t.Errorf("collector %s got %d of 13 tasks: %v", id, n, counts)
		}
	}

	// The debtor's own collector gets its tasks.
	s2 := seedInvoice(t, st, "collector_id = 'c3'")
	res, err := a.CreateCallTask(ctx, domain.CallTaskInput{InvoiceID: s2.invoiceID, DebtorID: s2.debtorID, IdempotencyKey: "call-own", DueAt: time.Now()})
	if err != nil || res.CollectorID != "c3" {
		t.Errorf("own collector: %+v, %v", res, err)
	}
}

func TestIntegrationHandoffIsDeliveredOnce(t *testing.T) {
	st := testenv.Postgres(t)
	coverRatesUntilNow(t, st)
	ctx := context.Background()
	var keys []string
	var refs []string
	var bodies [][]byte
	fail := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		var body struct {
			Pack struct {
				Reference string `json:"reference"`
			} `json:"pack"`
		}
		raw, _ := io.ReadAll(r.Body)
		bodies = append(bodies, raw)
		json.Unmarshal(raw, &body)
		refs = append(refs, body.Pack.Reference)
		if !strings.HasPrefix(r.Header.Get("X-Relance-Signature"), "t=") {
			t.Errorf("unsigned pack: %v", r.Header)
		}
		if fail {
			fail = false
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.WriteString(w, `{"reference":"AG-1"}`)
	}))
	defer srv.Close()
	a := newChannels(t, st, map[string]string{"AGENCY_URL": srv.URL, "AGENCY_SECRET": "s3cret"})
	s := seedInvoice(t, st, "registration_number = '732829320'")
	if _, err := a.SendMessage(ctx, s.send(domain.ChannelEmail, "before-handoff", "reminder")); err != nil {
		t.Fatal(err)
	}
	in := domain.HandoffInput{InvoiceID: s.invoiceID, DebtorID: s.debtorID, BalanceCents: 123456, Currency: "EUR", IdempotencyKey: "agency-1"}
	if _, err := a.HandOffToAgency(ctx, in); err == nil {
		t.Fatal("502 from the agency: want a retryable error")
	}
	res, err := a.HandOffToAgency(ctx, in)
	if err != nil || res.Reference != "AG-1" {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	again, err := a.HandOffToAgency(ctx, in)
	if err != nil || again != res {
		t.Fatalf("after success: %+v, %v", again, err)
	}
	if len(keys) != 2 || keys[0] != keys[1] || refs[0] != refs[1] || refs[0] != res.HandoffID {
		t.Errorf("deliveries: keys %v refs %v, want the same pack twice (the failed one and its retry)", keys, refs)
	}
	if len(bodies) == 2 && !bytes.Equal(bodies[0], bodies[1]) {
		t.Errorf("the retry delivered other bytes than the first attempt (the stored pack)")
	}
	var status, docID string
	var pack []byte
	st.Pool.QueryRow(ctx, `SELECT status, pack, coalesce(document_id, '') FROM agency_handoffs WHERE idempotency_key = 'agency-1'`).
		Scan(&status, &pack, &docID)
	if doc, text := storedPDF(t, a, docID); doc.Kind != store.DocAgencyPack || !strings.Contains(text, "732829320") {
		t.Errorf("stored pack %+v:\n%s", doc, text)
	}
	var p struct {
		Amounts   domain.ClaimSplit `json:"amounts"`
		Reminders []struct {
			Channel string `json:"channel"`
		} `json:"reminders"`
		Debtor struct {
			RegistrationNumber string `json:"registration_number"`
		} `json:"debtor"`
	}
	json.Unmarshal(pack, &p)
	if status != "sent" || p.Amounts.PrincipalCents != 123456 || p.Amounts.FeesCents != 4000 || p.Amounts.InterestCents <= 0 ||
		len(p.Reminders) != 1 || p.Reminders[0].Channel != "email" || p.Debtor.RegistrationNumber != "732829320" {
		t.Errorf("handoff %s, pack %s", status, pack)
	}
}

func TestIntegrationHandoffToAFolder(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	a := newChannels(t, st, nil)
	s := seedInvoice(t, st, "")
	res, err := a.HandOffToAgency(ctx, domain.HandoffInput{InvoiceID: s.invoiceID, DebtorID: s.debtorID, IdempotencyKey: "agency-f"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(a.cfg.OutboxDir, "agency")
	text := pdfText(t, filepath.Join(dir, res.HandoffID+".pdf"))
	if !strings.Contains(text, "R124-3") || !strings.Contains(text, "1\u00a0234,56\u00a0€") {
		t.Errorf("pack PDF:\n%s", text)
	}
	if _, err := os.Stat(filepath.Join(dir, res.HandoffID+".json")); err != nil {
		t.Error(err)
	}
}

func TestIntegrationRegisteredLetterExactlyOnceThroughThePostalAPI(t *testing.T) {
	st := testenv.Postgres(t)
	ctx := context.Background()
	var submits, sendings atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer postal-key" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		switch {
		case r.URL.Path == "/sendings":
			n := sendings.Add(1)
			fmt.Fprintf(w, `{"id":"snd-%d"}`, n)
		case strings.HasSuffix(r.URL.Path, "/recipients"):
			io.WriteString(w, `{"id":"rcp","tracking_number":"1A0000000001"}`)
		case strings.HasSuffix(r.URL.Path, "/submit"):
			submits.Add(1)
			w.WriteHeader(http.StatusAccepted)
		default:
			io.WriteString(w, `{"id":"doc"}`)
		}
	}))
	defer srv.Close()
	a := newChannels(t, st, map[string]string{"POSTAL_MODE": "http", "POSTAL_BASE_URL": srv.URL, "POSTAL_API_KEY": "postal-key"})
	s := seedInvoice(t, st, "")
	in := s.send(domain.ChannelRegisteredLetter, "notice-once", "formal_notice")
	a.afterProvider = func(context.Context, string) error { return errors.New("worker crashed") }
	if _, err := a.SendMessage(ctx, in); err == nil {
		t.Fatal("want the crash")
	}
	a.afterProvider = nil
	res, err := a.SendMessage(ctx, in)
	if err != nil || !res.Sent {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	if submits.Load() != 1 || sendings.Load() != 1 {
		t.Errorf("%d sendings created and %d submitted, want exactly 1", sendings.Load(), submits.Load())
	}
	// A normal registered letter records the tracking number for the postal events.
	res, err = a.SendMessage(ctx, s.send(domain.ChannelRegisteredLetter, "notice-2", "second_notice"))
	if err != nil || !res.Sent {
		t.Fatal(res, err)
	}
	row, _ := store.GetInteraction(ctx, st.Pool, res.InteractionID)
	if row.Provider != "postal_http" || row.TrackingNumber != "1A0000000001" || row.ProviderMessageID != "snd-2" {
		t.Errorf("interaction = provider %s tracking %s message %s", row.Provider, row.TrackingNumber, row.ProviderMessageID)
	}
	if _, text := storedPDF(t, a, row.DocumentID); !strings.Contains(text, "seconde mise en demeure") {
		t.Errorf("archived letter:\n%s", text)
	}
}
