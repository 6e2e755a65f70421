package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relance/relance/bench/internal/load"
	"github.com/relance/relance/bench/internal/payhook"
	"github.com/relance/relance/bench/internal/seed"
	"github.com/relance/relance/bench/internal/stack"
)

const webhookSecret = "whsec_drill_secret"

// delivery is one POST of the drill.
type delivery struct {
	ev       payhook.Event
	secret   string
	signedAt time.Time
	want     int // the status the service must answer
}

// webhooks sends every payment event three times, shuffled, with forged and
// stale ones among them, and compares the ledger with the expected one.
func (d *driller) webhooks(ctx context.Context) outcome {
	if err := d.st.Missing("payments"); err != nil {
		return outcome{err: err}
	}
	dbURL, err := d.newDatabase(ctx, "webhooks")
	if err != nil {
		return outcome{err: err}
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return outcome{err: err}
	}
	defer db.Close()
	if err := seed.Debtors(ctx, db, "wd", 50); err != nil {
		return outcome{err: err}
	}
	invoices, err := seed.Invoices(ctx, db, "wd", 100, 50)
	if err != nil {
		return outcome{err: err}
	}
	svc, err := d.st.Start(ctx, "payments", dbURL, "PAYMENTS_STRIPE_SECRETS="+webhookSecret, "CASE_RELAY_ENABLED=false")
	if err != nil {
		return outcome{err: err}
	}
	defer svc.Stop()

	now := time.Now()
	expected := map[string]int64{} // invoice ID -> cents booked
	valid := map[string]bool{}     // intents that must be booked once
	bad := map[string]bool{}       // intents that must never be booked
	var deliveries []delivery
	var forged, stale, charges int
	for i := range d.s.payments {
		inv := invoices[i%len(invoices)]
		ev := payhook.Event{ID: fmt.Sprintf("evt_pi_%05d", i), Type: "payment_intent.succeeded", Intent: fmt.Sprintf("pi_%05d", i),
			AmountCents: 100 + rand.Int64N(900), InvoiceNumber: inv.Number, DebtorID: inv.DebtorID, Created: now.Add(-time.Minute)}
		evs := []payhook.Event{ev}
		if i%4 == 0 { // the charge of the same intent: the same money, booked once
			ch := ev
			ch.ID, ch.Type = fmt.Sprintf("evt_ch_%05d", i), "charge.succeeded"
			evs = append(evs, ch)
			charges++
		}
		var secret, want = webhookSecret, http.StatusOK
		signedAt := now
		switch i % 10 {
		case 3:
			secret, want = "whsec_forged", http.StatusUnauthorized
			forged++
		case 7:
			signedAt, want = now.Add(-time.Hour), http.StatusBadRequest
			stale++
		}
		if want == http.StatusOK {
			valid[ev.Intent] = true
			expected[inv.ID] += ev.AmountCents
		} else {
			bad[ev.Intent] = true
		}
		for _, e := range evs {
			for range 3 {
				deliveries = append(deliveries, delivery{ev: e, secret: secret, signedAt: signedAt, want: want})
			}
		}
	}
	rand.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })

	c := load.NewClient(8)
	url := "http://" + svc.Addr + "/v1/webhooks/stripe"
	var wrongAnswers int
	answers := make(chan bool, len(deliveries))
	err = stack.ForEach(ctx, deliveries, 8, func(ctx context.Context, dl delivery) error {
		body := dl.ev.Body()
		code, err := payhook.Post(ctx, c, url, body, payhook.Signature(dl.secret, body, dl.signedAt))
		if err != nil {
			return err
		}
		answers <- code == dl.want
		return nil
	})
	close(answers)
	for ok := range answers {
		if !ok {
			wrongAnswers++
		}
	}
	if err != nil {
		return outcome{err: err}
	}

	// The ledger: one payment per valid intent, none for the others, and
	// each invoice's allocations equal to its expected sum.
	booked := map[string]int{}
	rows, err := db.Query(ctx, `SELECT provider_ref, count(*) FROM payments WHERE provider = 'stripe' GROUP BY provider_ref`)
	if err != nil {
		return outcome{err: err}
	}
	for rows.Next() {
		var ref string
		var n int
		if err := rows.Scan(&ref, &n); err != nil {
			return outcome{err: err}
		}
		booked[ref] = n
	}
	rows.Close()
	lost, dups, badBooked := 0, 0, 0
	for intent := range valid {
		switch n := booked[intent]; {
		case n == 0:
			lost++
		case n > 1:
			dups += n - 1
		}
	}
	for intent := range bad {
		badBooked += booked[intent]
	}
	allocated := map[string]int64{}
	rows, err = db.Query(ctx, `SELECT invoice_id, sum(amount_cents)::bigint FROM payment_allocations GROUP BY invoice_id`)
	if err != nil {
		return outcome{err: err}
	}
	for rows.Next() {
		var id string
		var sum int64
		if err := rows.Scan(&id, &sum); err != nil {
			return outcome{err: err}
		}
		allocated[id] = sum
	}
	rows.Close()
	mismatched := 0
	for _, inv := range invoices {
		var balance int64
		if err := db.QueryRow(ctx, `SELECT balance_cents FROM invoices WHERE id = $1`, inv.ID).Scan(&balance); err != nil {
			return outcome{err: err}
		}
		if allocated[inv.ID] != expected[inv.ID] || balance != inv.AmountCents-expected[inv.ID] {
			mismatched++
		}
	}
	o := outcome{
		lost: lost, duplicates: dups + badBooked,
		did: fmt.Sprintf("%d payments (%d with a charge event too), %d forged, %d stale, every event sent 3 times shuffled = %d POSTs; "+
			"wrong HTTP answers=%d, forged/stale booked=%d, invoices whose allocations or balance differ from expected=%d",
			d.s.payments, charges, forged, stale, len(deliveries), wrongAnswers, badBooked, mismatched),
	}
	if wrongAnswers != 0 || mismatched != 0 {
		o.lost += mismatched // a wrong ledger line is money not where it should be
		if o.lost == 0 && o.duplicates == 0 {
			o.err = fmt.Errorf("ledger right but %d HTTP answers were not the expected status", wrongAnswers)
		}
	}
	return o
}
