package analytics

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// Significance is the level under which a difference is called
// significant (two-sided), and Z95 the normal quantile of the 95 %
// confidence intervals.
const (
	Significance = 0.05
	Z95          = 1.959963984540054
)

// Difference compares the challenger with the champion on one measure:
// challenger − champion, its 95 % confidence interval, the two-sided
// p-value of "no difference", and whether it is below Significance.
type Difference struct {
	Difference  *float64 `json:"difference"`
	CILow       *float64 `json:"ci95_low"`
	CIHigh      *float64 `json:"ci95_high"`
	PValue      *float64 `json:"p_value"`
	Significant bool     `json:"significant"`
}

// ProportionDifference compares x2/n2 (challenger) with x1/n1 (champion):
// the interval is Wald's (unpooled standard error), the p-value the
// two-proportion z-test's (pooled standard error). Null when an arm is
// empty or every case had the same outcome (no variance).
func ProportionDifference(x1, n1, x2, n2 int) Difference {
	var d Difference
	if n1 == 0 || n2 == 0 {
		return d
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	diff := p2 - p1
	d.Difference = round(diff, 4)
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p2*(1-p2)/float64(n2))
	d.CILow, d.CIHigh = round(diff-Z95*se, 4), round(diff+Z95*se, 4)
	pool := float64(x1+x2) / float64(n1+n2)
	sePool := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if sePool == 0 {
		d.CILow, d.CIHigh = nil, nil
		return d
	}
	p := math.Erfc(math.Abs(diff/sePool) / math.Sqrt2)
	d.PValue = round(p, 4)
	d.Significant = p < Significance
	return d
}

// MeanDifference compares the mean of b (challenger) with the mean of a
// (champion): Welch's standard error with the normal approximation (fit
// for arms of some thirty cases or more; smaller arms give intervals a
// little too narrow). Null when an arm has fewer than two values.
func MeanDifference(a, b []float64) Difference {
	var d Difference
	if len(a) < 2 || len(b) < 2 {
		return d
	}
	ma, va := meanVar(a)
	mb, vb := meanVar(b)
	diff := mb - ma
	d.Difference = round(diff, 4)
	se := math.Sqrt(va/float64(len(a)) + vb/float64(len(b)))
	if se == 0 {
		return d
	}
	d.CILow, d.CIHigh = round(diff-Z95*se, 4), round(diff+Z95*se, 4)
	p := math.Erfc(math.Abs(diff/se) / math.Sqrt2)
	d.PValue = round(p, 4)
	d.Significant = p < Significance
	return d
}

// meanVar is the mean and the sample variance (n − 1) of xs.
func meanVar(xs []float64) (float64, float64) {
	m := mean(xs)
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, ss / float64(len(xs)-1)
}

// Arm is one side of a champion/challenger test.
type Arm struct {
	Arm    string `json:"arm"`
	Policy string `json:"policy"`
	Cases  int    `json:"cases"`
	// Paid is the cases a payment settled (by the report's date);
	// RecoveryRate is Paid ÷ Cases.
	Paid         int      `json:"paid"`
	RecoveryRate *float64 `json:"recovery_rate"`
	// MeanDaysToPay is over the paid cases: settling payment date − the
	// date the case was assigned.
	MeanDaysToPay *float64 `json:"mean_days_to_pay"`
}

// ExperimentReport compares a champion policy with its challenger over
// the cases assigned in a period.
type ExperimentReport struct {
	Experiment   string     `json:"experiment"`
	From         string     `json:"from"`
	To           string     `json:"to"`
	Champion     Arm        `json:"champion"`
	Challenger   Arm        `json:"challenger"`
	RecoveryRate Difference `json:"recovery_rate"`
	DaysToPay    Difference `json:"days_to_pay"`
}

// ArmCase is one assigned case and its outcome.
type ArmCase struct {
	Arm      string
	Policy   string
	Assigned time.Time // Paris date
	Invoice  Invoice
}

// CompareArms builds the report from the assigned cases.
func CompareArms(experiment string, p Period, cases []ArmCase) ExperimentReport {
	r := ExperimentReport{Experiment: experiment, From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		Champion: Arm{Arm: domain.ArmChampion, Policy: experiment}, Challenger: Arm{Arm: domain.ArmChallenger}}
	waits := map[string][]float64{}
	for _, c := range cases {
		arm := &r.Champion
		if c.Arm == domain.ArmChallenger {
			arm = &r.Challenger
		}
		arm.Policy = c.Policy
		arm.Cases++
		if on := c.Invoice.settledOn(); !on.IsZero() {
			arm.Paid++
			waits[c.Arm] = append(waits[c.Arm], float64(days(c.Assigned, on)))
		}
	}
	for _, a := range []*Arm{&r.Champion, &r.Challenger} {
		if a.Cases > 0 {
			a.RecoveryRate = round(float64(a.Paid)/float64(a.Cases), 4)
		}
		if w := waits[a.Arm]; len(w) > 0 {
			a.MeanDaysToPay = round(mean(w), 2)
		}
	}
	r.RecoveryRate = ProportionDifference(r.Champion.Paid, r.Champion.Cases, r.Challenger.Paid, r.Challenger.Cases)
	r.DaysToPay = MeanDifference(waits[domain.ArmChampion], waits[domain.ArmChallenger])
	return r
}

// CheckExperiment refuses an experiment no case was assigned to and no
// policy is named, naming the policy parameter.
func CheckExperiment(ctx context.Context, q store.Querier, name string) error {
	if name == "" {
		return domain.FieldError{Field: "policy", Reason: "is required: the champion policy whose test to report"}
	}
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_assignments WHERE experiment = $1)
		OR EXISTS (SELECT 1 FROM policies WHERE name = $1)`, name).Scan(&ok); err != nil {
		return fmt.Errorf("check experiment %s: %w", name, err)
	}
	if !ok {
		return domain.FieldError{Field: "policy", Reason: fmt.Sprintf("%q names no known policy", name)}
	}
	return nil
}

// LoadArms reads the cases of an experiment assigned in p, with their
// invoices' payments and credits.
func LoadArms(ctx context.Context, q store.Querier, experiment string, p Period) ([]ArmCase, error) {
	rows, err := q.Query(ctx, `SELECT a.arm, a.policy_name, `+parisDate("a.assigned_at")+`, i.id, i.currency, i.amount_cents, i.issue_date, i.due_date,
		coalesce((SELECT json_agg(json_build_object('kind', m.kind, 'on', m.on_date, 'cents', m.cents))
			FROM (SELECT 'payment' AS kind, `+parisDate("py.received_at")+` AS on_date, pa.amount_cents AS cents
			      FROM payment_allocations pa JOIN payments py ON py.id = pa.payment_id WHERE pa.invoice_id = i.id
			      UNION ALL
			      SELECT 'credit', `+parisDate("cn.created_at")+`, cn.amount_cents FROM credit_notes cn WHERE cn.invoice_id = i.id) m), '[]')
		FROM case_assignments a JOIN invoices i ON i.id = a.invoice_id
		WHERE a.experiment = $1 AND `+parisDate("a.assigned_at")+` BETWEEN $2::date AND $3::date`, experiment, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("load the cases of experiment %s: %w", experiment, err)
	}
	var out []ArmCase
	var c ArmCase
	var ms []struct {
		Kind  MovementKind `json:"kind"`
		On    string       `json:"on"`
		Cents int64        `json:"cents"`
	}
	if _, err := pgx.ForEachRow(rows, []any{&c.Arm, &c.Policy, &c.Assigned, &c.Invoice.ID, &c.Invoice.Currency, &c.Invoice.AmountCents,
		&c.Invoice.Issued, &c.Invoice.Due, &ms}, func() error {
		c.Invoice.Movements = nil
		for _, m := range ms {
			on, err := time.Parse(time.DateOnly, m.On)
			if err != nil {
				return fmt.Errorf("movement date %q: %w", m.On, err)
			}
			c.Invoice.Movements = append(c.Invoice.Movements, Movement{Kind: m.Kind, On: on, Cents: m.Cents})
		}
		out = append(out, c)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load the cases of experiment %s: %w", experiment, err)
	}
	return out, nil
}
