package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// CheckFilter refuses a filter that names no known segment, collector or
// policy, naming the parameter: a typo must not read as "nothing owed".
func CheckFilter(ctx context.Context, q store.Querier, f Filter) error {
	checks := []struct{ param, value, sql string }{
		{"segment", f.Segment, `SELECT EXISTS (SELECT 1 FROM debtors WHERE segment = $1)`},
		{"collector", f.Collector, `SELECT EXISTS (SELECT 1 FROM collectors WHERE id = $1)`},
		{"policy", f.Policy, `SELECT EXISTS (SELECT 1 FROM policies WHERE name = $1) OR EXISTS (SELECT 1 FROM cases WHERE policy_name = $1)`},
	}
	for _, c := range checks {
		if c.value == "" {
			continue
		}
		var ok bool
		if err := q.QueryRow(ctx, c.sql, c.value).Scan(&ok); err != nil {
			return fmt.Errorf("check %s filter: %w", c.param, err)
		}
		if !ok {
			return domain.FieldError{Field: c.param, Reason: fmt.Sprintf("%q names no known %s", c.value, c.param)}
		}
	}
	return nil
}

// selected is the CTE of the invoices a report covers: not cancelled
// (a cancelled invoice was never owed), issued by the end of the period,
// and matching the filter. $1 is the period's last date, $2..$5 the
// filter's currency, segment, collector and policy (” = any).
const selected = `WITH sel AS (
	SELECT i.id, i.debtor_id, i.currency, i.amount_cents, i.issue_date, i.due_date, i.status, c.closed_at, i.updated_at,
	       coalesce(c.collector_id, d.collector_id, '') AS collector
	FROM invoices i
	JOIN debtors d ON d.id = i.debtor_id
	LEFT JOIN cases c ON c.invoice_id = i.id
	WHERE i.status <> 'cancelled' AND i.issue_date <= $1::date
	  AND ($2 = '' OR i.currency = $2)
	  AND ($3 = '' OR d.segment = $3)
	  AND ($4 = '' OR coalesce(c.collector_id, d.collector_id) = $4)
	  AND ($5 = '' OR c.policy_name = $5)
	  AND ($6 = '' OR i.debtor_id = $6))
`

// parisDate is the SQL of the Paris calendar date of a timestamptz.
func parisDate(col string) string { return "(" + col + " AT TIME ZONE 'Europe/Paris')::date" }

// movementsSQL reads the money that lowered each selected invoice: the
// payments allocated to it (dated by when the money was received) and its
// credit notes (dated by when they were issued). It is the one place the
// reports read money movements from the ledger tables.
var movementsSQL = selected + `
	SELECT pa.invoice_id, 'payment', ` + parisDate("p.received_at") + `, p.received_at, pa.amount_cents
	FROM payment_allocations pa JOIN payments p ON p.id = pa.payment_id JOIN sel ON sel.id = pa.invoice_id
	UNION ALL
	SELECT cn.invoice_id, 'credit', ` + parisDate("cn.created_at") + `, cn.created_at, cn.amount_cents
	FROM credit_notes cn JOIN sel ON sel.id = cn.invoice_id`

// invoicesSQL reads the selected invoices. A written-off invoice is dated
// by its case's "written_off" timeline entry, else the case's closing,
// else the invoice's last change.
var invoicesSQL = selected + `
	SELECT sel.id, sel.debtor_id, sel.currency, sel.amount_cents, sel.issue_date, sel.due_date, sel.status = 'agency',
	       CASE WHEN sel.status = 'written_off' THEN ` + parisDate(`coalesce(
	           (SELECT min(e.occurred_at) FROM case_events e WHERE e.invoice_id = sel.id AND e.kind = 'written_off'),
	           sel.closed_at, sel.updated_at)`) + ` END
	FROM sel`

var promisesSQL = selected + `
	SELECT p.invoice_id, p.currency, p.status, ` + parisDate("p.resolved_at") + `, ` + parisDate("p.created_at") + `,
	       p.promised_date, p.amount_cents
	FROM promises p JOIN sel ON sel.id = p.invoice_id`

var plansSQL = selected + `
	SELECT sel.currency, p.status, ` + parisDate("p.resolved_at") + `
	FROM payment_plans p JOIN sel ON sel.id = p.invoice_id WHERE p.resolved_at IS NOT NULL`

var disputesSQL = selected + `
	SELECT d.invoice_id, d.amount_cents, sel.currency, d.opened_at, ` + parisDate("d.opened_at") + `, d.resolved_at, ` + parisDate("d.resolved_at") + `
	FROM disputes d JOIN sel ON sel.id = d.invoice_id`

// actionsSQL reads the actions of the selected invoices sent in the period
// ($7 is its first date): outbound interactions that left (a sent time).
var actionsSQL = selected + `
	SELECT it.invoice_id, sel.currency, it.channel, it.rung, it.template, sel.collector, it.sent_at
	FROM interactions it JOIN sel ON sel.id = it.invoice_id
	WHERE it.direction = 'outbound' AND it.sent_at IS NOT NULL
	  AND ` + parisDate("it.sent_at") + ` BETWEEN $7::date AND $1::date`

// LoadActions reads the actions sent in p on the invoices f selects.
func LoadActions(ctx context.Context, q store.Querier, p Period, f Filter) ([]Action, error) {
	rows, err := q.Query(ctx, actionsSQL, append(f.args(p), p.From)...)
	if err != nil {
		return nil, fmt.Errorf("load report actions: %w", err)
	}
	var out []Action
	var a Action
	if _, err := pgx.ForEachRow(rows, []any{&a.InvoiceID, &a.Currency, &a.Channel, &a.Rung, &a.Template, &a.Collector, &a.At}, func() error {
		out = append(out, a)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load report actions: %w", err)
	}
	return out, nil
}

// EffectReport is the effectiveness report: what followed each kind of action.
type EffectReport struct {
	From       string   `json:"from"`
	To         string   `json:"to"`
	AsOf       string   `json:"as_of"`
	Filter     Filter   `json:"filter"`
	Dimensions []string `json:"dimensions"`
	Effects    []Effect `json:"effects"`
}

// EffectivenessReport loads the actions of qy's period and what followed
// them up to now, grouped by dims (every dimension when empty).
func EffectivenessReport(ctx context.Context, q store.Querier, qy Query, now time.Time, dims []string) (EffectReport, error) {
	if len(dims) == 0 {
		dims = Dimensions
	}
	r := EffectReport{From: qy.Period.From.Format(time.DateOnly), To: qy.Period.To.Format(time.DateOnly),
		AsOf: now.UTC().Format(time.RFC3339), Filter: qy.Filter, Dimensions: dims, Effects: []Effect{}}
	if err := CheckFilter(ctx, q, qy.Filter); err != nil {
		return r, err
	}
	actions, err := LoadActions(ctx, q, qy.Period, qy.Filter)
	if err != nil {
		return r, err
	}
	facts, err := Load(ctx, q, qy.Period, qy.Filter)
	if err != nil {
		return r, err
	}
	r.Effects = Effectiveness(actions, facts.Invoices, qy.Period, now, dims)
	return r, nil
}

// args are the parameters of the selected CTE.
func (f Filter) args(p Period) []any {
	return []any{p.To, f.Currency, f.Segment, f.Collector, f.Policy, f.Debtor}
}

// Load reads the facts a report over period and filter needs.
func Load(ctx context.Context, q store.Querier, p Period, f Filter) (Facts, error) {
	args := f.args(p)
	var facts Facts
	index := map[string]int{}
	rows, err := q.Query(ctx, invoicesSQL, args...)
	if err != nil {
		return facts, fmt.Errorf("load report invoices: %w", err)
	}
	var inv Invoice
	var writtenOff *time.Time
	_, err = pgx.ForEachRow(rows, []any{&inv.ID, &inv.DebtorID, &inv.Currency, &inv.AmountCents, &inv.Issued, &inv.Due, &inv.AtAgency, &writtenOff}, func() error {
		inv.WrittenOff = time.Time{}
		if writtenOff != nil {
			inv.WrittenOff = *writtenOff
		}
		index[inv.ID] = len(facts.Invoices)
		facts.Invoices = append(facts.Invoices, inv)
		return nil
	})
	if err != nil {
		return facts, fmt.Errorf("load report invoices: %w", err)
	}

	rows, err = q.Query(ctx, movementsSQL, args...)
	if err != nil {
		return facts, fmt.Errorf("load report movements: %w", err)
	}
	var id string
	var m Movement
	_, err = pgx.ForEachRow(rows, []any{&id, &m.Kind, &m.On, &m.At, &m.Cents}, func() error {
		i := index[id]
		facts.Invoices[i].Movements = append(facts.Invoices[i].Movements, m)
		return nil
	})
	if err != nil {
		return facts, fmt.Errorf("load report movements: %w", err)
	}

	rows, err = q.Query(ctx, promisesSQL, args...)
	if err != nil {
		return facts, fmt.Errorf("load report promises: %w", err)
	}
	var pr Promise
	var resolved *time.Time
	if _, err = pgx.ForEachRow(rows, []any{&pr.InvoiceID, &pr.Currency, &pr.Status, &resolved, &pr.Made, &pr.Date, &pr.AmountCents}, func() error {
		pr.Resolved = time.Time{}
		if resolved != nil {
			pr.Resolved = *resolved
		}
		facts.Promises = append(facts.Promises, pr)
		return nil
	}); err != nil {
		return facts, fmt.Errorf("load report promises: %w", err)
	}

	rows, err = q.Query(ctx, plansSQL, args...)
	if err != nil {
		return facts, fmt.Errorf("load report plans: %w", err)
	}
	var pl Plan
	if _, err = pgx.ForEachRow(rows, []any{&pl.Currency, &pl.Status, &pl.Resolved}, func() error {
		facts.Plans = append(facts.Plans, pl)
		return nil
	}); err != nil {
		return facts, fmt.Errorf("load report plans: %w", err)
	}

	rows, err = q.Query(ctx, disputesSQL, args...)
	if err != nil {
		return facts, fmt.Errorf("load report disputes: %w", err)
	}
	var d Dispute
	var resolvedAt, resolvedOn *time.Time
	if _, err = pgx.ForEachRow(rows, []any{&d.InvoiceID, &d.AmountCents, &d.Currency, &d.Opened, &d.OpenedOn, &resolvedAt, &resolvedOn}, func() error {
		d.Resolved, d.ResolvedOn = time.Time{}, time.Time{}
		if resolvedAt != nil {
			d.Resolved, d.ResolvedOn = *resolvedAt, *resolvedOn
		}
		facts.Disputes = append(facts.Disputes, d)
		return nil
	}); err != nil {
		return facts, fmt.Errorf("load report disputes: %w", err)
	}
	return facts, nil
}

// Report is the KPI report: the period, the filter, the figures of each
// currency and, when rates were given, of everything converted.
type Report struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Filter     Filter `json:"filter"`
	Currencies []KPIs `json:"currencies"`
	Converted  *KPIs  `json:"converted,omitempty"`
	Rates      []Rate `json:"rates,omitempty"`
}

// Rate is one conversion rate used, echoed in the report.
type Rate struct {
	From string `json:"from"`
	To   string `json:"to"`
	Rate string `json:"rate"`
}

// KPIReport loads the facts and computes the report of qy.
func KPIReport(ctx context.Context, q store.Querier, qy Query) (Report, error) {
	r := Report{From: qy.Period.From.Format(time.DateOnly), To: qy.Period.To.Format(time.DateOnly), Filter: qy.Filter, Currencies: []KPIs{}}
	if err := CheckFilter(ctx, q, qy.Filter); err != nil {
		return r, err
	}
	facts, err := Load(ctx, q, qy.Period, qy.Filter)
	if err != nil {
		return r, err
	}
	r.Currencies = Compute(facts, qy.Period)
	if qy.Rates != nil {
		conv, err := Convert(facts, *qy.Rates)
		if err != nil {
			return r, err
		}
		k := KPIs{Currency: qy.Rates.Target, PeriodDays: qy.Period.Days()}
		for _, b := range Buckets {
			k.Aging = append(k.Aging, AgingBucket{Bucket: b})
		}
		if all := Compute(conv, qy.Period); len(all) == 1 {
			k = all[0]
		}
		r.Converted = &k
		for _, c := range sortedKeys(qy.Rates.Of) {
			r.Rates = append(r.Rates, Rate{From: c, To: qy.Rates.Target, Rate: decimal(qy.Rates.Of[c])})
		}
	}
	return r, nil
}

// Debtor is what the score needs of a debtor besides its facts.
type Debtor struct {
	ID               string
	Currency         string
	CreditLimitCents *int64
}

// Scores computes the score of each debtor (every debtor when ids is
// empty) as of today, loading the facts once.
func Scores(ctx context.Context, q store.Querier, today time.Time, blockBelow int, ids ...string) ([]Score, error) {
	rows, err := q.Query(ctx, `SELECT id, currency, credit_limit_cents FROM debtors
		WHERE coalesce(cardinality($1::text[]), 0) = 0 OR id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("load debtors to score: %w", err)
	}
	var debtors []Debtor
	var d Debtor
	if _, err := pgx.ForEachRow(rows, []any{&d.ID, &d.Currency, &d.CreditLimitCents}, func() error {
		debtors = append(debtors, d)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load debtors to score: %w", err)
	}
	if len(debtors) == 0 {
		return []Score{}, nil
	}
	f := Filter{}
	if len(ids) == 1 {
		f.Debtor = ids[0]
	}
	facts, err := Load(ctx, q, Period{From: today.AddDate(0, 0, -(ScoreWindowDays - 1)), To: today}, f)
	if err != nil {
		return nil, err
	}
	by := map[string]*Facts{}
	owner := map[string]string{}
	for _, inv := range facts.Invoices {
		owner[inv.ID] = inv.DebtorID
		if by[inv.DebtorID] == nil {
			by[inv.DebtorID] = &Facts{}
		}
		by[inv.DebtorID].Invoices = append(by[inv.DebtorID].Invoices, inv)
	}
	for _, p := range facts.Promises {
		if f := by[owner[p.InvoiceID]]; f != nil {
			f.Promises = append(f.Promises, p)
		}
	}
	for _, dp := range facts.Disputes {
		if f := by[owner[dp.InvoiceID]]; f != nil {
			f.Disputes = append(f.Disputes, dp)
		}
	}
	out := make([]Score, 0, len(debtors))
	for _, d := range debtors {
		var mine Facts
		if f := by[d.ID]; f != nil {
			mine = *f
		}
		out = append(out, ComputeScore(ScoreInput{DebtorID: d.ID, Currency: d.Currency, CreditLimitCents: d.CreditLimitCents,
			Facts: mine, Today: today, BlockBelow: blockBelow}))
	}
	return out, nil
}

// ForecastReport is the cash-in forecast with its backtest.
type ForecastReport struct {
	Filter   Filter   `json:"filter"`
	Forecast Forecast `json:"forecast"`
	Backtest Backtest `json:"backtest"`
}

// CashForecast loads the facts up to today and forecasts from fq.Start,
// backtesting the same model from fq.BacktestStart.
func CashForecast(ctx context.Context, q store.Querier, fq ForecastQuery, today time.Time) (ForecastReport, error) {
	r := ForecastReport{Filter: fq.Filter}
	if err := CheckFilter(ctx, q, fq.Filter); err != nil {
		return r, err
	}
	facts, err := Load(ctx, q, Period{From: fq.BacktestStart, To: today}, fq.Filter)
	if err != nil {
		return r, err
	}
	r.Forecast = ForecastFrom(facts, fq.Start)
	r.Backtest = BacktestFrom(facts, fq.BacktestStart, today)
	return r, nil
}

// ChampionChallenger reports the test of the champion policy qy.Filter.Policy
// over the cases assigned in qy.Period.
func ChampionChallenger(ctx context.Context, q store.Querier, qy Query) (ExperimentReport, error) {
	if err := CheckExperiment(ctx, q, qy.Filter.Policy); err != nil {
		return ExperimentReport{}, err
	}
	cases, err := LoadArms(ctx, q, qy.Filter.Policy, qy.Period)
	if err != nil {
		return ExperimentReport{}, err
	}
	return CompareArms(qy.Filter.Policy, qy.Period, cases), nil
}
