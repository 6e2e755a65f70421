// Package caserelay is the door that delivers the workflow updates owed
// to cases: rows of case_commands written in the same transaction as a
// payment, a ledger entry or a dispute.
//
// The relay leases one due row at a time (a single UPDATE … FOR UPDATE
// SKIP LOCKED statement, so several relays share the work and no database
// transaction is open during the Temporal call), runs the update with the
// row's update ID (Temporal applies an update ID once, so a crash between
// the update and the outcome's write only repeats a no-op once the lease
// runs out), then marks the row done, or reschedules it with a backoff.
// Commands of one invoice go out one at a time, in order.
//
// A money command carries the invoice's ledger figures, read when it is
// delivered: the case takes them as the truth. A refusal that no retry
// can change — a validator rejection, a closed case, an invoice without a
// case — is recorded as refused with its reason rather than retried
// forever, counted, and logged as an error when it carries money. A ledger
// entry that makes a paid invoice owed again reopens its ended case (a new
// run under the same workflow ID, see caseclient.Reopen).
package caserelay

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/config"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// Cases is the part of the case client the relay uses.
type Cases interface {
	Update(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error)
	Reopen(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error)
}

// Permanent reports whether err is a case's final answer to an update: a
// rejection, a closed case, or no case for the invoice (the case that
// starts later loads the balance from Postgres, where the change already is).
func Permanent(err error) bool {
	var rejected *caseclient.RejectedError
	return errors.As(err, &rejected) || errors.Is(err, caseclient.ErrCaseClosed) || errors.Is(err, caseclient.ErrCaseNotFound)
}

// Backoff doubles from one second to five minutes: 1s, 2s, 4s … 5m.
func Backoff(attempts int) time.Duration {
	const first, most = time.Second, 5 * time.Minute
	if attempts <= 1 {
		return first
	}
	if attempts > 20 {
		return most
	}
	return min(first<<(attempts-1), most)
}

// Outcome of one delivery attempt.
const (
	OutcomeDelivered = "delivered"
	OutcomeRefused   = "refused" // done with the case's error
	OutcomeRetry     = "retry"
)

// Relay delivers case commands. Zero fields take the documented defaults.
type Relay struct {
	Store  *store.Store
	Cases  Cases
	Logger *slog.Logger
	// Workers deliver in parallel (default 2); commands of one invoice
	// still go out one at a time, in order.
	Workers int
	// PollInterval bounds how long a command waits when a notification
	// was missed and when its retry comes due (default 2s).
	PollInterval time.Duration
	// CallTimeout bounds one update call (default 30s).
	CallTimeout time.Duration
	// Backoff gives the delay after the n-th failed attempt (default Backoff).
	Backoff func(attempts int) time.Duration
	// IsPermanent tells final refusals from transient failures (default Permanent).
	IsPermanent func(error) bool
	// Lease is how long a delivery holds its command before another
	// relay may take it (default CallTimeout + 30s).
	Lease time.Duration
	// Deliveries counts attempts by update name and outcome; may be nil.
	Deliveries *prometheus.CounterVec
	// Refusals counts refused commands by update name and money; may be nil.
	Refusals *prometheus.CounterVec
}

// NewDeliveriesCounter registers the relay's counter on reg.
func NewDeliveriesCounter(reg prometheus.Registerer, service string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "relance_case_command_deliveries_total",
		Help:        "Case command delivery attempts by update name and outcome (delivered, refused, retry).",
		ConstLabels: prometheus.Labels{"service": service},
	}, []string{"update", "outcome"})
	reg.MustRegister(c)
	return c
}

// NewRefusalsCounter registers the counter of refused commands on reg.
func NewRefusalsCounter(reg prometheus.Registerer, service string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "relance_case_commands_refused_total",
		Help:        "Case commands a case refused for good, by update name and whether they carry money (alert on money=\"true\").",
		ConstLabels: prometheus.Labels{"service": service},
	}, []string{"update", "money"})
	reg.MustRegister(c)
	return c
}

// Run delivers commands until ctx ends: at once when a transaction that
// queued one commits (LISTEN/NOTIFY on a connection of its own), and every
// PollInterval for retries and missed notifications.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() { r.listen(ctx, wake) })
	defer wg.Wait()
	ticker := time.NewTicker(r.pollInterval())
	defer ticker.Stop()
	for {
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.logger().Warn("case relay pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-ticker.C:
		}
	}
}

// listen turns notifications on store.CaseCommandsChannel into wake-ups,
// reconnecting after a failure.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		r.logger().Warn("case relay listener lost; polling until it reconnects", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(r.pollInterval()):
		}
	}
}

func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := pgx.ConnectConfig(ctx, r.Store.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect listener: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+store.CaseCommandsChannel); err != nil {
		return fmt.Errorf("listen %s: %w", store.CaseCommandsChannel, err)
	}
	// Commands queued before LISTEN took effect are found by this pass.
	notify(wake)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		notify(wake)
	}
}

func notify(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default: // a pass is already due
	}
}

// Drain delivers every command due now with Workers in parallel and
// returns how many attempts were made.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	var (
		mu       sync.Mutex
		attempts int
		errs     []error
		wg       sync.WaitGroup
	)
	for range r.workers() {
		wg.Go(func() {
			for ctx.Err() == nil {
				did, err := r.DeliverOne(ctx)
				mu.Lock()
				if did {
					attempts++
				}
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if !did || err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return attempts, errors.Join(errs...)
}

// DeliverOne leases the oldest due command, runs its update and records
// the outcome. It reports whether a command was attempted.
func (r *Relay) DeliverOne(ctx context.Context) (bool, error) {
	cmd, ok, err := store.LeaseCaseCommand(ctx, r.Store.Pool, r.lease(), rand.Text())
	if err != nil || !ok {
		return false, err
	}
	outcome, callErr := r.deliver(ctx, cmd)
	log := r.logger().With("invoice_id", cmd.InvoiceID, "update", cmd.UpdateName, "update_id", cmd.UpdateID, "attempt", cmd.Attempts+1)
	// The outcome is written even when ctx ends now: the update ran.
	wctx := context.WithoutCancel(ctx)
	switch outcome {
	case OutcomeDelivered:
		err = store.CompleteCaseCommand(wctx, r.Store.Pool, cmd, "")
	case OutcomeRefused:
		if cmd.Money {
			log.Error("case refused a money command; recorded for a person", "err", callErr)
		} else {
			log.Warn("case refused command; recorded, not retried", "err", callErr)
		}
		err = store.CompleteCaseCommand(wctx, r.Store.Pool, cmd, clip(callErr.Error()))
	default:
		delay := r.backoff(cmd.Attempts + 1)
		log.Warn("case command failed; will retry", "err", callErr, "retry_in", delay)
		err = store.RetryCaseCommand(wctx, r.Store.Pool, cmd, clip(callErr.Error()), delay)
	}
	if err != nil {
		return true, fmt.Errorf("record delivery of %s: %w", cmd.UpdateID, err)
	}
	if r.Deliveries != nil {
		r.Deliveries.WithLabelValues(cmd.UpdateName, outcome).Inc()
	}
	if outcome == OutcomeRefused && r.Refusals != nil {
		r.Refusals.WithLabelValues(cmd.UpdateName, fmt.Sprint(cmd.Money)).Inc()
	}
	return true, nil
}

func (r *Relay) deliver(ctx context.Context, cmd store.CaseCommand) (string, error) {
	callCtx, cancel := context.WithTimeout(ctx, r.callTimeout())
	defer cancel()
	// The payload is passed as raw JSON: the case decodes it into the
	// update's own type, so the relay needs to know no payload type.
	payload := json.RawMessage(cmd.Payload)
	var ledger domain.LedgerBalance
	if cmd.Money {
		var err error
		if ledger, err = store.InvoiceLedger(callCtx, r.Store.Pool, cmd.InvoiceID); err != nil {
			return OutcomeRetry, err
		}
		if payload, err = withLedger(payload, ledger); err != nil {
			return OutcomeRefused, err
		}
	}
	_, err := r.Cases.Update(callCtx, cmd.InvoiceID, cmd.UpdateName, cmd.UpdateID, payload)
	if err != nil && errors.Is(err, caseclient.ErrCaseClosed) && cmd.UpdateName == domain.UpdateLedger && ledger.BalanceCents > 0 {
		err = r.reopen(callCtx, cmd, payload)
	}
	switch {
	case err == nil:
		return OutcomeDelivered, nil
	case r.isPermanent(err):
		return OutcomeRefused, err
	default:
		return OutcomeRetry, err
	}
}

// reopen starts the ended case of an invoice owed again, with the ledger
// command as its first update. Only an invoice the ledger turned back from
// paid to open is reopened: one a person credited, wrote off or cancelled
// stays closed and the command is refused for a person to decide.
func (r *Relay) reopen(ctx context.Context, cmd store.CaseCommand, payload json.RawMessage) error {
	inv, err := store.GetInvoice(ctx, r.Store.Pool, cmd.InvoiceID)
	if err != nil {
		return err
	}
	if inv.Status != "open" {
		return fmt.Errorf("invoice %s is %s, its case stays closed: %w", inv.Number, inv.Status, caseclient.ErrCaseClosed)
	}
	r.logger().Info("reopening ended case: the invoice is owed again", "invoice_id", cmd.InvoiceID, "update_id", cmd.UpdateID)
	_, err = r.Cases.Reopen(ctx, cmd.InvoiceID, cmd.UpdateName, cmd.UpdateID, payload)
	return err
}

// withLedger sets the "ledger" field of a command's JSON payload.
func withLedger(payload json.RawMessage, b domain.LedgerBalance) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return nil, fmt.Errorf("decode money command: %w", err)
	}
	enc, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode ledger: %w", err)
	}
	fields["ledger"] = enc
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode money command: %w", err)
	}
	return out, nil
}

func (r *Relay) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Relay) workers() int {
	if r.Workers <= 0 {
		return 2
	}
	return r.Workers
}

func (r *Relay) pollInterval() time.Duration {
	if r.PollInterval <= 0 {
		return 2 * time.Second
	}
	return r.PollInterval
}

func (r *Relay) callTimeout() time.Duration {
	if r.CallTimeout <= 0 {
		return 30 * time.Second
	}
	return r.CallTimeout
}

func (r *Relay) lease() time.Duration {
	if r.Lease <= 0 {
		return r.callTimeout() + 30*time.Second
	}
	return r.Lease
}

func (r *Relay) backoff(attempts int) time.Duration {
	if r.Backoff == nil {
		return Backoff(attempts)
	}
	return r.Backoff(attempts)
}

func (r *Relay) isPermanent(err error) bool {
	if r.IsPermanent == nil {
		return Permanent(err)
	}
	return r.IsPermanent(err)
}

// clip keeps stored errors readable.
func clip(s string) string {
	if len(s) > 1000 {
		return s[:1000] + "…"
	}
	return s
}

// Settings are the relay's environment settings, shared by the services
// that run one.
type Settings struct {
	// Enabled runs the relay in this process (CASE_RELAY_ENABLED, default true).
	Enabled bool
	// Workers (CASE_RELAY_WORKERS, default 2).
	Workers int
	// PollInterval (CASE_RELAY_POLL_INTERVAL, default 2s).
	PollInterval time.Duration
}

// ReadSettings reads the relay's settings.
func ReadSettings(e *config.Env) Settings {
	s := Settings{
		Enabled:      e.Bool("CASE_RELAY_ENABLED", true),
		Workers:      e.Int("CASE_RELAY_WORKERS", 2),
		PollInterval: e.Duration("CASE_RELAY_POLL_INTERVAL", 2*time.Second),
	}
	s.Workers = max(1, s.Workers)
	if s.PollInterval <= 0 {
		s.PollInterval = 2 * time.Second
	}
	return s
}

// New returns a relay with s applied, logging as component case-relay and
// counting its deliveries on reg under the service's name.
func New(st *store.Store, cases Cases, logger *slog.Logger, s Settings, reg prometheus.Registerer, service string) *Relay {
	return &Relay{
		Store: st, Cases: cases, Logger: logger.With("component", "case-relay"),
		Workers: s.Workers, PollInterval: s.PollInterval,
		Deliveries: NewDeliveriesCounter(reg, service),
		Refusals:   NewRefusalsCounter(reg, service),
	}
}
