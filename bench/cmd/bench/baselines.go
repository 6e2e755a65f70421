package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relance/relance/bench/internal/bare"
	"github.com/relance/relance/bench/internal/load"
	"github.com/relance/relance/bench/internal/proc"
	"github.com/relance/relance/bench/internal/seed"
	"github.com/relance/relance/bench/internal/stack"
)

// startBareWorker runs the baseline worker process.
func (r *runner) startBareWorker(ctx context.Context) (*proc.Process, error) {
	return r.st.Start(ctx, "bareworker", "", "TEMPORAL_TASK_QUEUE="+bare.TaskQueue)
}

// bareLadderRound starts n bare ladders of the given shape and waits for all:
// cases per second from the first start to the last completion.
func (r *runner) bareLadderRound(ctx context.Context, round, n int, shape bare.LadderInput) (float64, error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bare-ladder-%d-%d-%06d", time.Now().Unix(), round, i)
	}
	t0 := time.Now()
	if _, err := stack.StartWorkflows(ctx, r.e.Temporal, ids, r.s.concurrency, bare.TaskQueue, bare.LadderWorkflow,
		func(string) any { return shape }); err != nil {
		return 0, err
	}
	if err := stack.WaitAll(ctx, r.e.Temporal, ids, 8); err != nil {
		return 0, err
	}
	return perSecond(n, time.Since(t0)), nil
}

// emptyStartRound starts n empty workflows: the raw start rate.
func (r *runner) emptyStartRound(ctx context.Context, round, n int) (float64, error) {
	if pid, err := r.e.TemporalPID(); err == nil {
		before, _ := proc.CPU(pid)
		defer func() {
			if after, err := proc.CPU(pid); err == nil {
				logf("  Temporal server CPU per empty start: %.1f ms", float64(after-before)/float64(time.Millisecond)/float64(n))
			}
		}()
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bare-empty-%d-%d-%06d", time.Now().Unix(), round, i)
	}
	d, err := stack.StartWorkflows(ctx, r.e.Temporal, ids, r.s.concurrency, bare.TaskQueue, bare.EmptyWorkflow, nil)
	if err != nil {
		return 0, err
	}
	return perSecond(n, d), nil
}

// constantServer is the worklist baseline: gin answering a constant body of
// the worklist's size, on loopback.
func constantServer(body []byte) (addr string, stop func(), err error) {
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	g.GET("/v1/worklist", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", body) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// latencyRound sends rate req/s to url for d.
func (r *runner) latencyRound(ctx context.Context, url string, header http.Header) load.Result {
	c := load.NewClient(r.s.rate)
	return load.OpenLoop(ctx, c, r.s.rate, r.s.duration, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err == nil {
			for k, v := range header {
				req.Header[k] = v
			}
		}
		return req, err
	})
}

// paymentEvent is one payment webhook's effect, as the baseline writes it.
type paymentEvent struct {
	id        string
	invoice   seed.Invoice
	amount    int64
	createdAt time.Time
}

// makePaymentEvents makes n events paying a random part of the invoices.
func makePaymentEvents(prefix string, n int, invoices []seed.Invoice) []paymentEvent {
	out := make([]paymentEvent, n)
	for i := range out {
		inv := invoices[i%len(invoices)]
		out[i] = paymentEvent{id: fmt.Sprintf("%s_evt_%07d", prefix, i), invoice: inv, amount: 100 + rand.Int64N(900), createdAt: time.Now().UTC()}
	}
	return out
}

// rawPaymentInserts writes what a payment webhook writes (dedupe row,
// payment, allocation, balance, case command) with raw pgx, one transaction
// per event: events per second.
func rawPaymentInserts(ctx context.Context, db *pgxpool.Pool, events []paymentEvent, conc int) (float64, error) {
	t0 := time.Now()
	err := stack.ForEach(ctx, events, conc, func(ctx context.Context, ev paymentEvent) error {
		return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO webhook_events (provider, event_id, kind, payload) VALUES ('bench', $1, 'payment_intent.succeeded', '{}') ON CONFLICT DO NOTHING`, ev.id)
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO payments (id, debtor_id, provider, provider_ref, amount_cents, currency, received_at) VALUES ($1, $2, 'bench', $1, $3, 'EUR', $4)`,
				"pay_"+ev.id, ev.invoice.DebtorID, ev.amount, ev.createdAt); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)`, "pay_"+ev.id, ev.invoice.ID, ev.amount); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE invoices SET balance_cents = greatest(balance_cents - $2, 0), updated_at = now() WHERE id = $1`, ev.invoice.ID, ev.amount); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, role, action, entity, entity_id, after) VALUES ('webhook:bench', 'system', 'payment.received', 'payment', $1, '{}')`, "pay_"+ev.id); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO case_commands (invoice_id, update_name, update_id, payload) VALUES ($1, 'payment', $2, '{}')`, ev.invoice.ID, "bench:"+ev.id+":"+ev.invoice.ID)
			return err
		})
	})
	return perSecond(len(events), time.Since(t0)), err
}
