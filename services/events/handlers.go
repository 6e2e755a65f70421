package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	twclient "github.com/twilio/twilio-go/client"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/pgtext"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/webhook"
)

// Signaler tells a case what became of its messages (caseclient.Client in
// production). It returns nil when the case has ended or does not exist:
// nobody is left to tell.
type Signaler interface {
	Signal(ctx context.Context, invoiceID, name string, arg any) error
}

// Handlers receive the providers' delivery events. Each endpoint verifies
// the signature on the raw body before parsing anything, records each
// event once (webhook_events, in the transaction that updates the
// interaction), then signals the case when the event changes its course.
type Handlers struct {
	Store  *store.Store
	Cases  Signaler
	Logger *slog.Logger
	// SendGridKey verifies the Event Webhook's ECDSA signatures; nil turns
	// the endpoint off (503).
	SendGridKey *ecdsa.PublicKey
	// TwilioAuthToken verifies X-Twilio-Signature; "" turns the endpoint off.
	TwilioAuthToken string
	// PublicBaseURL is this service's URL as the providers call it: Twilio
	// signs the exact URL it requested.
	PublicBaseURL string
	// PostalSecrets verify the postal tracking events (several while rotating).
	PostalSecrets [][]byte
	// AgencySecrets verify the agency's reports (AGENCY_SECRET, shared with the worker).
	AgencySecrets [][]byte
	Tolerance     time.Duration
	Now           func() time.Time
	// Metrics may be nil.
	Metrics *Metrics
}

// Signature headers: SendGrid's signed Event Webhook, and our own scheme.
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
	// SignatureHeader carries our own HMAC scheme (t=<unix>,v1=<hex>) for
	// postal tracking events and agency reports.
	SignatureHeader = "X-Relance-Signature"
)

// maxBody bounds a webhook body; SendGrid batches stay far below.
const maxBody = 5 << 20

// route is one endpoint; the list is what the mux serves and what the
// OpenAPI test compares with the document.
type route struct {
	method, path string
	handler      http.HandlerFunc
}

func (h *Handlers) routes() []route {
	return []route{
		{http.MethodGet, "/v1/openapi.yaml", serveOpenAPI},
		{http.MethodPost, "/v1/webhooks/sendgrid", h.sendGrid},
		{http.MethodPost, "/v1/webhooks/twilio", h.twilio},
		{http.MethodPost, "/v1/webhooks/postal", h.postal},
		{http.MethodPost, "/v1/webhooks/agency", h.agency},
	}
}

// Routes returns the webhook endpoints and the OpenAPI document.
func (h *Handlers) Routes() http.Handler {
	mux := http.NewServeMux()
	for _, r := range h.routes() {
		mux.HandleFunc(r.method+" "+r.path, r.handler)
	}
	return h.Metrics.count(mux)
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handlers) tolerance() time.Duration {
	if h.Tolerance > 0 {
		return h.Tolerance
	}
	return webhook.DefaultTolerance
}

// readSigned reads a body signed with the `t=,v1=` HMAC scheme under one
// of secrets and storable in Postgres; otherwise it answers (401 forged,
// 400 stale or unstorable) and returns false.
func (h *Handlers) readSigned(w http.ResponseWriter, r *http.Request, secrets [][]byte) ([]byte, bool) {
	body, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	err := webhook.Stripe{Secrets: secrets, Tolerance: h.tolerance()}.VerifyHeader(r.Header.Get(SignatureHeader), body, h.now())
	switch {
	case errors.Is(err, webhook.ErrStale):
		httpx.Write(w, httpx.NewProblem(http.StatusBadRequest, "timestamp outside the tolerance"))
		return nil, false
	case err != nil:
		httpx.Write(w, httpx.NewProblem(http.StatusUnauthorized, "signature does not verify"))
		return nil, false
	}
	return body, storable(w, body)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		httpx.Write(w, httpx.NewProblem(http.StatusRequestEntityTooLarge, "body too large or unreadable"))
		return nil, false
	}
	return body, true
}

// storable answers 400 naming the body when Postgres would refuse to store
// it: an authentic event the provider will retry in vain is its fault, not
// a 503 "retry".
func storable(w http.ResponseWriter, body []byte) bool {
	if err := pgtext.CheckJSON(body); err != nil {
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: err.Error()}))
		return false
	}
	return true
}

// delivery is one verified provider event, ready to record.
type delivery struct {
	provider      string
	eventID       string // dedupe key
	kind          string // provider's event name
	interactionID string // from custom args / callback URL; "" to look up by message ID
	messageID     string // provider message ID or tracking number
	update        store.DeliveryUpdate
	at            time.Time
	payload       []byte
	// effect is applied to the debtor in the same transaction.
	effect func(ctx context.Context, tx pgx.Tx, debtorID string) error
	// signal is the DeliveryEvent kind for the case; "" when the course does not change.
	signal string
}

// record stores one event; it returns the interaction it is about (zero
// when unknown) and whether the event is new.
func (h *Handlers) record(ctx context.Context, d delivery) (found store.Interaction, fresh bool, err error) {
	err = h.Store.InTx(ctx, func(tx pgx.Tx) error {
		fresh, err = store.RecordWebhookEvent(ctx, tx, d.provider, d.eventID, d.kind, d.payload)
		if err != nil {
			return err
		}
		var row store.Interaction
		if d.interactionID != "" {
			row, err = store.GetInteraction(ctx, tx, d.interactionID)
		} else {
			row, err = store.FindInteractionByProviderMessage(ctx, tx, d.providerName(), d.messageID)
		}
		if errors.Is(err, store.ErrNotFound) {
			// Not one of ours (a test send, a message of another system):
			// the dedupe row stays so it is not looked up again.
			h.Logger.Info("delivery event for an unknown message", "provider", d.provider, "event_id", d.eventID)
			return nil
		}
		if err != nil {
			return err
		}
		found = row
		if !fresh {
			return nil
		}
		if err := store.AddInteractionEvent(ctx, tx, store.InteractionEvent{InteractionID: row.ID, Provider: d.provider,
			Event: d.kind, OccurredAt: d.at, Payload: d.payload}); err != nil {
			return err
		}
		if d.update.Status != "" || d.update.DepositProof != "" || d.update.AcknowledgedAt != nil {
			if d.update.Status == "" {
				d.update.Status = row.Status
			}
			if _, err := store.ApplyDelivery(ctx, tx, row.ID, d.update); err != nil {
				return err
			}
		}
		if d.effect != nil {
			return d.effect(ctx, tx, row.DebtorID)
		}
		return nil
	})
	return found, fresh, err
}

// providerName is the interactions.provider value of a feedback source.
func (d delivery) providerName() string {
	if d.provider == "postal" {
		return "postal_http"
	}
	return d.provider
}

// process records deliveries then signals the cases whose course changes.
// A duplicate is not recorded again but is signalled again: the case
// ignores an event ID it has seen, and a signal lost after the first
// commit gets its second chance when the provider retries.
func (h *Handlers) process(ctx context.Context, w http.ResponseWriter, ds []delivery) {
	type pending struct {
		invoiceID string
		ev        domain.DeliveryEvent
	}
	var signals []pending
	for _, d := range ds {
		row, fresh, err := h.record(ctx, d)
		if err != nil {
			h.Logger.Error("record delivery event", "provider", d.provider, "event_id", d.eventID, "error", err)
			httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "could not record the event; retry"))
			return
		}
		switch {
		case !fresh:
			h.Metrics.event(d.provider, "duplicate")
		case row.ID == "":
			h.Metrics.event(d.provider, "unknown")
		default:
			h.Metrics.event(d.provider, "recorded")
		}
		if d.signal != "" && row.ID != "" {
			signals = append(signals, pending{row.InvoiceID, domain.DeliveryEvent{EventID: d.provider + ":" + d.eventID,
				InteractionID: row.ID, Channel: domain.Channel(row.Channel), Kind: d.signal, At: d.at}})
		}
	}
	for _, s := range signals {
		if err := h.Cases.Signal(ctx, s.invoiceID, domain.SignalDelivery, s.ev); err != nil {
			h.Logger.Error("signal case", "invoice_id", s.invoiceID, "event_id", s.ev.EventID, "error", err)
			httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "recorded, but the case could not be told; retry"))
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// --- SendGrid ---

type sendGridEvent struct {
	Email         string `json:"email"`
	Timestamp     int64  `json:"timestamp"`
	Event         string `json:"event"`
	SGEventID     string `json:"sg_event_id"`
	SGMessageID   string `json:"sg_message_id"`
	Reason        string `json:"reason"`
	Type          string `json:"type"` // bounce or blocked, on bounce events
	InteractionID string `json:"interaction_id"`
	InvoiceID     string `json:"invoice_id"`
}

func (h *Handlers) sendGrid(w http.ResponseWriter, r *http.Request) {
	if h.SendGridKey == nil {
		httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "SendGrid events are not configured (SENDGRID_WEBHOOK_PUBLIC_KEY)"))
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	sig, ts := r.Header.Get(SendGridSignatureHeader), r.Header.Get(SendGridTimestampHeader)
	if sig == "" || ts == "" {
		httpx.Write(w, httpx.NewProblem(http.StatusUnauthorized, "missing "+SendGridSignatureHeader+" or "+SendGridTimestampHeader))
		return
	}
	valid, err := eventwebhook.VerifySignature(h.SendGridKey, body, sig, ts)
	if err != nil || !valid {
		httpx.Write(w, httpx.NewProblem(http.StatusUnauthorized, "signature does not verify"))
		return
	}
	// The library checks no time: a captured batch could be replayed forever.
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || h.now().Sub(time.Unix(unix, 0)).Abs() > h.tolerance() {
		httpx.Write(w, httpx.NewProblem(http.StatusBadRequest, "timestamp outside the tolerance"))
		return
	}
	if !storable(w, body) {
		return
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: "want a JSON array of events"}))
		return
	}
	var ds []delivery
	for i, raw := range raws {
		var ev sendGridEvent
		if err := json.Unmarshal(raw, &ev); err != nil || ev.SGEventID == "" || ev.Event == "" {
			httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{
				Field: fmt.Sprintf("[%d]", i), Reason: "an event needs sg_event_id and event"}))
			return
		}
		ds = append(ds, sendGridDelivery(ev, raw))
	}
	h.process(r.Context(), w, ds)
}

func sendGridDelivery(ev sendGridEvent, raw []byte) delivery {
	d := delivery{provider: "sendgrid", eventID: ev.SGEventID, kind: ev.Event, interactionID: ev.InteractionID,
		messageID: ev.SGMessageID, at: time.Unix(ev.Timestamp, 0).UTC(), payload: raw}
	switch ev.Event {
	case "delivered":
		d.update.Status = store.InteractionDelivered
	case "open":
		d.update.Status = store.InteractionOpened
	case "click":
		d.update.Status = store.InteractionClicked
	case "bounce", "dropped":
		if ev.Type == "blocked" {
			// A block is the receiving server's policy, not a dead address.
			d.update = store.DeliveryUpdate{Status: store.InteractionFailed, Error: ev.Reason}
			break
		}
		d.update = store.DeliveryUpdate{Status: store.InteractionBounced, Error: ev.Reason}
		d.effect = func(ctx context.Context, tx pgx.Tx, debtorID string) error {
			return store.SetEmailStatus(ctx, tx, debtorID, "bounced")
		}
		d.signal = "bounced"
	case "spamreport", "unsubscribe", "group_unsubscribe":
		source := "email_" + ev.Event
		d.update.Status = store.InteractionOptedOut
		d.effect = func(ctx context.Context, tx pgx.Tx, debtorID string) error {
			return store.SetConsent(ctx, tx, debtorID, string(domain.ChannelEmail), false, source)
		}
		d.signal = "opted_out"
	}
	return d
}

// --- Twilio ---

// Twilio error codes meaning the number will never get our texts.
var unusableCodes = map[string]bool{"21211": true, "21612": true, "21614": true,
	"30003": true, "30004": true, "30005": true, "30006": true, "30007": true}

func (h *Handlers) twilio(w http.ResponseWriter, r *http.Request) {
	if h.TwilioAuthToken == "" {
		httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "Twilio callbacks are not configured (TWILIO_AUTH_TOKEN)"))
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		httpx.Write(w, httpx.NewProblem(http.StatusUnauthorized, "signature does not verify"))
		return
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		params[k] = v[0]
	}
	// Twilio signs the URL it called, exactly: scheme, host, path and query.
	validator := twclient.NewRequestValidator(h.TwilioAuthToken)
	if !validator.Validate(h.PublicBaseURL+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature")) {
		httpx.Write(w, httpx.NewProblem(http.StatusUnauthorized, "signature does not verify"))
		return
	}
	for k, v := range params {
		if pgtext.CheckString(k) != nil || pgtext.CheckString(v) != nil {
			httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body",
				Reason: "parameter " + strconv.Quote(k) + " is not storable text (NUL or invalid UTF-8)"}))
			return
		}
	}
	sid, status := form.Get("MessageSid"), form.Get("MessageStatus")
	if sid == "" || status == "" {
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "MessageSid", Reason: "MessageSid and MessageStatus are required"}))
		return
	}
	payload, _ := json.Marshal(params)
	// Twilio sends no event ID: a message reaches each status once.
	d := delivery{provider: "twilio", eventID: sid + ":" + status, kind: status,
		interactionID: r.URL.Query().Get("interaction_id"), messageID: sid, at: h.now().UTC(), payload: payload}
	switch status {
	case "delivered":
		d.update.Status = store.InteractionDelivered
	case "undelivered", "failed":
		code := form.Get("ErrorCode")
		d.update = store.DeliveryUpdate{Status: store.InteractionUndeliverable, Error: strings.TrimSpace("twilio " + code)}
		d.signal = "undeliverable"
		switch {
		case code == "21610":
			d.update.Status = store.InteractionOptedOut
			d.signal = "opted_out"
			d.effect = func(ctx context.Context, tx pgx.Tx, debtorID string) error {
				return store.SetConsent(ctx, tx, debtorID, string(domain.ChannelSMS), false, "sms_stop")
			}
		case unusableCodes[code]:
			d.effect = func(ctx context.Context, tx pgx.Tx, debtorID string) error {
				return store.SetPhoneStatus(ctx, tx, debtorID, "unusable")
			}
		}
	}
	h.process(r.Context(), w, []delivery{d})
}

// --- postal tracking ---

// PostalEvent is a registered-mail tracking event, as the postal API (or
// the mailing house behind the file drop) posts it.
type PostalEvent struct {
	EventID        string    `json:"event_id"`
	Reference      string    `json:"reference"` // our interaction ID (the custom_id we sent)
	TrackingNumber string    `json:"tracking_number"`
	Status         string    `json:"status"` // deposited, delivered, acknowledged, undeliverable
	OccurredAt     time.Time `json:"occurred_at"`
	DepositProof   string    `json:"deposit_proof,omitempty"` // URL or ID of the proof of deposit
	Reason         string    `json:"reason,omitempty"`
}

func (h *Handlers) postal(w http.ResponseWriter, r *http.Request) {
	if len(h.PostalSecrets) == 0 {
		httpx.Write(w, httpx.NewProblem(http.StatusServiceUnavailable, "postal events are not configured (POSTAL_WEBHOOK_SECRETS)"))
		return
	}
	body, ok := h.readSigned(w, r, h.PostalSecrets)
	if !ok {
		return
	}
	var ev PostalEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "body", Reason: "want a JSON tracking event"}))
		return
	}
	switch {
	case ev.EventID == "":
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "event_id", Reason: "is required"}))
		return
	case ev.Reference == "" && ev.TrackingNumber == "":
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "reference", Reason: "reference or tracking_number is required"}))
		return
	case ev.OccurredAt.IsZero():
		ev.OccurredAt = h.now()
	}
	d := delivery{provider: "postal", eventID: ev.EventID, kind: ev.Status, interactionID: ev.Reference,
		messageID: ev.TrackingNumber, at: ev.OccurredAt.UTC(), payload: body}
	switch ev.Status {
	case "deposited":
		d.update = store.DeliveryUpdate{Status: store.InteractionDeposited, DepositProof: ev.DepositProof}
	case "delivered":
		d.update.Status = store.InteractionDelivered
	case "acknowledged":
		at := ev.OccurredAt.UTC()
		d.update = store.DeliveryUpdate{Status: store.InteractionAcknowledged, AcknowledgedAt: &at}
		d.signal = "acknowledged"
	case "undeliverable":
		d.update = store.DeliveryUpdate{Status: store.InteractionUndeliverable, Error: ev.Reason}
		d.signal = "undeliverable"
	default:
		httpx.Write(w, httpx.FieldProblem(http.StatusBadRequest, domain.FieldError{Field: "status",
			Reason: "must be deposited, delivered, acknowledged or undeliverable"}))
		return
	}
	h.process(r.Context(), w, []delivery{d})
}
