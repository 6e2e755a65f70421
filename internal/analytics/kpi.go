package analytics

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Period is a closed range of Paris dates.
type Period struct {
	From time.Time
	To   time.Time
}

// Days is the number of days in the period, both ends included.
func (p Period) Days() int { return days(p.From, p.To) + 1 }

func (p Period) has(t time.Time) bool { return !t.Before(p.From) && !t.After(p.To) }

// CountbackMonths bounds how far back the countback DSO walks.
const CountbackMonths = 24

// AgingBucket is what is owed at the end of the period by days past due.
type AgingBucket struct {
	Bucket       string `json:"bucket"` // not_due, 1-30, 31-60, 61-90, 90+
	BalanceCents int64  `json:"balance_cents"`
	Invoices     int    `json:"invoices"`
}

// Buckets are the aging buckets, in order.
var Buckets = []string{"not_due", "1-30", "31-60", "61-90", "90+"}

// bucketOf names the aging bucket of an invoice pastDue days past its due
// date: on the due date itself it is not yet due.
func bucketOf(pastDue int) int {
	switch {
	case pastDue <= 0:
		return 0
	case pastDue <= 30:
		return 1
	case pastDue <= 60:
		return 2
	case pastDue <= 90:
		return 3
	}
	return 4
}

// KPIs are the figures of one currency over one period. Amounts are minor
// units of Currency. A ratio whose denominator is 0 is null. Days are
// rounded to 2 decimals, rates to 4, percentages to 2.
type KPIs struct {
	Currency   string `json:"currency"`
	PeriodDays int    `json:"period_days"`

	// Receivables.
	OpeningReceivablesCents int64 `json:"opening_receivables_cents"`
	SalesCents              int64 `json:"sales_cents"`
	InvoicesIssued          int   `json:"invoices_issued"`
	ReceivablesCents        int64 `json:"receivables_cents"`
	CurrentReceivablesCents int64 `json:"current_receivables_cents"`
	OverdueReceivablesCents int64 `json:"overdue_receivables_cents"`
	AgencyReceivablesCents  int64 `json:"agency_receivables_cents"`

	// Days sales outstanding.
	DSOSimpleDays          *float64 `json:"dso_simple_days"`
	DSOCountbackDays       *float64 `json:"dso_countback_days"`
	DSOCountbackComplete   bool     `json:"dso_countback_complete"`
	BestPossibleDSODays    *float64 `json:"best_possible_dso_days"`
	AverageDaysDelinquent  *float64 `json:"average_days_delinquent"`
	CEIPercent             *float64 `json:"cei_percent"`
	InvoicesPaid           int      `json:"invoices_paid"`
	AverageDaysToPay       *float64 `json:"average_days_to_pay"`
	AverageDaysBeyondTerms *float64 `json:"average_days_beyond_terms"`

	Aging []AgingBucket `json:"aging"`

	// Money in and out.
	CollectedCents     int64    `json:"collected_cents"`
	RecoveredCents     int64    `json:"recovered_cents"`
	RecoveryBaseCents  int64    `json:"recovery_base_cents"`
	RecoveryRate       *float64 `json:"recovery_rate"`
	CreditedCents      int64    `json:"credited_cents"`
	WrittenOffCents    int64    `json:"written_off_cents"`
	WrittenOffInvoices int      `json:"written_off_invoices"`

	// Commitments and disputes.
	PromisesKept         int      `json:"promises_kept"`
	PromisesBroken       int      `json:"promises_broken"`
	PromiseKeptRate      *float64 `json:"promise_kept_rate"`
	PlansCompleted       int      `json:"plans_completed"`
	PlansBroken          int      `json:"plans_broken"`
	PlanCompletionRate   *float64 `json:"plan_completion_rate"`
	InvoicesActive       int      `json:"invoices_active"`
	DisputedInvoices     int      `json:"disputed_invoices"`
	DisputeRate          *float64 `json:"dispute_rate"`
	DisputesResolved     int      `json:"disputes_resolved"`
	AverageDaysToResolve *float64 `json:"average_days_to_resolve"`
	MedianDaysToResolve  *float64 `json:"median_days_to_resolve"`
}

// Compute returns the KPIs of facts over p, one entry per currency met
// (sorted by code). Amounts of different currencies are never added: to
// compare currencies, convert the facts first (Convert).
func Compute(f Facts, p Period) []KPIs {
	by := map[string]*KPIs{}
	get := func(cur string) *KPIs {
		k := by[cur]
		if k == nil {
			k = &KPIs{Currency: cur, PeriodDays: p.Days()}
			for _, b := range Buckets {
				k.Aging = append(k.Aging, AgingBucket{Bucket: b})
			}
			by[cur] = k
		}
		return k
	}
	invoices := map[string][]Invoice{}
	for _, inv := range f.Invoices {
		invoices[inv.Currency] = append(invoices[inv.Currency], inv)
		get(inv.Currency)
	}
	for _, pr := range f.Promises {
		get(pr.Currency)
	}
	for _, pl := range f.Plans {
		get(pl.Currency)
	}
	for _, d := range f.Disputes {
		get(d.Currency)
	}
	for cur, k := range by {
		receivables(k, invoices[cur], p)
		dso(k, invoices[cur], p)
		payTimes(k, invoices[cur], p)
		movements(k, invoices[cur], p)
	}
	commitments(get, f, p)
	disputes(get, f, p)
	out := make([]KPIs, 0, len(by))
	for _, k := range by {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// receivables fills the balances and the aging.
//
//   - opening receivables: the balances owed at the end of the day before
//     the period (From − 1);
//   - sales: the amount of the invoices issued in the period (credit notes
//     are not netted here: they are movements that lower receivables);
//   - receivables: the balances owed at the end of the period (To),
//     invoices at the agency included (the debt is still ours until the
//     agency pays or it is written off); current receivables are those not
//     yet due at To (due date ≥ To), overdue the rest;
//   - aging: the receivables at To by days past the due date: not_due
//     (0 or less), 1–30, 31–60, 61–90, 90+, as amount and invoice count.
func receivables(k *KPIs, invs []Invoice, p Period) {
	opening := p.From.AddDate(0, 0, -1)
	for _, inv := range invs {
		k.OpeningReceivablesCents += inv.BalanceAt(opening)
		if p.has(inv.Issued) {
			k.SalesCents += inv.AmountCents
			k.InvoicesIssued++
		}
		bal := inv.BalanceAt(p.To)
		if bal == 0 {
			continue
		}
		k.ReceivablesCents += bal
		pastDue := days(inv.Due, p.To)
		if pastDue <= 0 {
			k.CurrentReceivablesCents += bal
		} else {
			k.OverdueReceivablesCents += bal
		}
		if inv.AtAgency {
			k.AgencyReceivablesCents += bal
		}
		b := &k.Aging[bucketOf(pastDue)]
		b.BalanceCents += bal
		b.Invoices++
	}
}

// dso fills the days-sales-outstanding figures and the CEI.
//
//   - DSO, simple method: receivables / sales × period days — how many
//     days of the period's sales are still owed. Null without sales.
//   - DSO, countback method: the receivables at To are matched against
//     sales month by month, walking back from To: the current month up to
//     To, then each previous calendar month. A month whose sales are all
//     still covered adds its days; the month where the receivables run out
//     adds its days × (what is left ÷ that month's sales). At most
//     CountbackMonths months; dso_countback_complete is false when
//     receivables were left over after them (months without sales add
//     their days and the walk goes on). 0 when nothing is owed.
//   - Best possible DSO: current receivables / sales × period days — the
//     DSO if every overdue invoice were paid today. Null without sales.
//   - Average days delinquent: simple DSO − best possible DSO.
//   - CEI (collection effectiveness index), in percent:
//     (opening + sales − receivables) ÷ (opening + sales − current
//     receivables) × 100 — of what could have been collected in the period,
//     the share that was. As in the textbook formula, credit notes and
//     write-offs also lower the ending receivables. Null when the
//     denominator is 0.
func dso(k *KPIs, invs []Invoice, p Period) {
	if k.SalesCents > 0 {
		sales, pd := float64(k.SalesCents), float64(p.Days())
		k.DSOSimpleDays = round(float64(k.ReceivablesCents)/sales*pd, 2)
		k.BestPossibleDSODays = round(float64(k.CurrentReceivablesCents)/sales*pd, 2)
		k.AverageDaysDelinquent = round(float64(k.ReceivablesCents-k.CurrentReceivablesCents)/sales*pd, 2)
	}
	if den := k.OpeningReceivablesCents + k.SalesCents - k.CurrentReceivablesCents; den != 0 {
		k.CEIPercent = round(float64(k.OpeningReceivablesCents+k.SalesCents-k.ReceivablesCents)/float64(den)*100, 2)
	}
	k.DSOCountbackDays, k.DSOCountbackComplete = countback(k.ReceivablesCents, invs, p.To)
}

// countback is the countback DSO of receivables at to (see dso).
func countback(receivables int64, invs []Invoice, to time.Time) (*float64, bool) {
	if receivables == 0 {
		return round(0, 2), true
	}
	left := receivables
	var total float64
	end := to
	start := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC)
	for range CountbackMonths {
		if left == 0 {
			break
		}
		var sales int64
		for _, inv := range invs {
			if !inv.Issued.Before(start) && !inv.Issued.After(end) {
				sales += inv.AmountCents
			}
		}
		n := days(start, end) + 1
		if sales > 0 && left < sales {
			total += float64(n) * float64(left) / float64(sales)
			left = 0
			break
		}
		total += float64(n)
		left -= sales
		end = start.AddDate(0, 0, -1)
		start = start.AddDate(0, -1, 0)
	}
	return round(total, 2), left == 0
}

// payTimes fills the times to pay, over the invoices paid in the period:
// those whose balance a payment dated in the period brought to 0 (an
// invoice ended by a credit note or a write-off is not "paid").
//
//   - average days to pay: mean of (settling payment date − issue date);
//   - average days beyond terms: mean of (settling payment date − due
//     date); negative when invoices are paid early on average.
func payTimes(k *KPIs, invs []Invoice, p Period) {
	var toPay, beyond int
	for _, inv := range invs {
		on := inv.settledOn()
		if on.IsZero() || !p.has(on) {
			continue
		}
		k.InvoicesPaid++
		toPay += days(inv.Issued, on)
		beyond += days(inv.Due, on)
	}
	if k.InvoicesPaid > 0 {
		k.AverageDaysToPay = round(float64(toPay)/float64(k.InvoicesPaid), 2)
		k.AverageDaysBeyondTerms = round(float64(beyond)/float64(k.InvoicesPaid), 2)
	}
}

// movements fills the money in and out of the period.
//
//   - collected: the payments dated in the period;
//   - recovered: the payments dated in the period after the invoice's due
//     date (money the collection process brought in);
//   - recovery base: what was overdue during the period — the balances
//     overdue at the start (end of From − 1, due before From) plus, for
//     invoices falling due inside the period (due date in [From, To − 1]),
//     their balance at the end of their due date;
//   - recovery rate: recovered ÷ recovery base (each overdue amount
//     counts once in the base, so the rate is at most 1);
//   - credited: the credit notes dated in the period;
//   - written off: the balances written off in the period (amount and count).
func movements(k *KPIs, invs []Invoice, p Period) {
	opening := p.From.AddDate(0, 0, -1)
	for _, inv := range invs {
		for _, m := range inv.Movements {
			if !p.has(m.On) {
				continue
			}
			switch m.Kind {
			case Payment:
				k.CollectedCents += m.Cents
				if m.On.After(inv.Due) && (inv.WrittenOff.IsZero() || m.On.Before(inv.WrittenOff)) {
					k.RecoveredCents += m.Cents
				}
			case Credit:
				k.CreditedCents += m.Cents
			}
		}
		switch {
		case inv.Due.Before(p.From):
			k.RecoveryBaseCents += inv.BalanceAt(opening)
		case inv.Due.Before(p.To):
			k.RecoveryBaseCents += inv.BalanceAt(inv.Due)
		}
		if !inv.WrittenOff.IsZero() && p.has(inv.WrittenOff) {
			k.WrittenOffCents += inv.writeOffCents()
			k.WrittenOffInvoices++
		}
	}
	if k.RecoveryBaseCents > 0 {
		k.RecoveryRate = round(float64(k.RecoveredCents)/float64(k.RecoveryBaseCents), 4)
	}
}

// commitments fills the promise-kept and plan completion rates.
//
//   - promise-kept rate: of the promises resolved in the period, kept ÷
//     (kept + broken); pending and cancelled promises do not count;
//   - plan completion rate: of the plans resolved in the period,
//     completed ÷ (completed + broken); proposed, active and cancelled
//     plans do not count.
func commitments(get func(string) *KPIs, f Facts, p Period) {
	for _, pr := range f.Promises {
		if pr.Resolved.IsZero() || !p.has(pr.Resolved) {
			continue
		}
		k := get(pr.Currency)
		switch pr.Status {
		case "kept":
			k.PromisesKept++
		case "broken":
			k.PromisesBroken++
		}
	}
	for _, pl := range f.Plans {
		if pl.Resolved.IsZero() || !p.has(pl.Resolved) {
			continue
		}
		k := get(pl.Currency)
		switch pl.Status {
		case "completed":
			k.PlansCompleted++
		case "broken":
			k.PlansBroken++
		}
	}
	for _, cur := range currencies(get, f) {
		k := get(cur)
		if n := k.PromisesKept + k.PromisesBroken; n > 0 {
			k.PromiseKeptRate = round(float64(k.PromisesKept)/float64(n), 4)
		}
		if n := k.PlansCompleted + k.PlansBroken; n > 0 {
			k.PlanCompletionRate = round(float64(k.PlansCompleted)/float64(n), 4)
		}
	}
}

// disputes fills the dispute figures.
//
//   - invoices active: invoices owed at some time in the period (a balance
//     at the end of From − 1, or issued in the period);
//   - disputed invoices: active invoices with a dispute opened in the period;
//   - dispute rate: disputed invoices ÷ invoices active;
//   - time to resolve: over the disputes resolved in the period, the mean
//     and the median of (resolved − opened) in days (fractional: 36 hours
//     is 1.5 days).
func disputes(get func(string) *KPIs, f Facts, p Period) {
	opening := p.From.AddDate(0, 0, -1)
	active := map[string]bool{}
	for _, inv := range f.Invoices {
		if inv.BalanceAt(opening) > 0 || p.has(inv.Issued) {
			active[inv.ID] = true
			get(inv.Currency).InvoicesActive++
		}
	}
	disputed := map[string]bool{}
	spans := map[string][]float64{}
	for _, d := range f.Disputes {
		if p.has(d.OpenedOn) && active[d.InvoiceID] && !disputed[d.InvoiceID] {
			disputed[d.InvoiceID] = true
			get(d.Currency).DisputedInvoices++
		}
		if !d.Resolved.IsZero() && p.has(d.ResolvedOn) {
			spans[d.Currency] = append(spans[d.Currency], d.Resolved.Sub(d.Opened).Hours()/24)
		}
	}
	for _, cur := range currencies(get, f) {
		k := get(cur)
		if k.InvoicesActive > 0 {
			k.DisputeRate = round(float64(k.DisputedInvoices)/float64(k.InvoicesActive), 4)
		}
		s := spans[cur]
		k.DisputesResolved = len(s)
		if len(s) == 0 {
			continue
		}
		var sum float64
		for _, v := range s {
			sum += v
		}
		k.AverageDaysToResolve = round(sum/float64(len(s)), 2)
		k.MedianDaysToResolve = round(median(s), 2)
	}
}

// currencies lists the currencies of every fact (get has made their KPIs).
func currencies(get func(string) *KPIs, f Facts) []string {
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
			get(c)
		}
	}
	for _, inv := range f.Invoices {
		add(inv.Currency)
	}
	for _, pr := range f.Promises {
		add(pr.Currency)
	}
	for _, pl := range f.Plans {
		add(pl.Currency)
	}
	for _, d := range f.Disputes {
		add(d.Currency)
	}
	return out
}

// median is the middle value of xs (the mean of the two middle ones for an
// even count); xs is sorted in place.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// round returns x rounded half away from zero to places decimals.
func round(x float64, places int) *float64 {
	f := math.Pow(10, float64(places))
	v := math.Round(x*f) / f
	return &v
}

func sortMovements(ms []Movement) {
	// Credits before payments on the same date: a payment completing what
	// a same-day credit note left makes the invoice "paid".
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].On.Equal(ms[j].On) {
			return ms[i].On.Before(ms[j].On)
		}
		return ms[i].Kind == Credit && ms[j].Kind == Payment
	})
}
