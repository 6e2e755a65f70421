package store

import (
	"context"
	"fmt"
)

// CaseAssignment is the arm of a champion/challenger test a case runs in.
type CaseAssignment struct {
	InvoiceID     string
	Experiment    string // the champion policy's name
	Arm           string // champion, challenger
	PolicyName    string
	PolicyVersion int
	SharePercent  int
}

// RecordAssignment stores a case's arm the first time; a case already
// assigned keeps its first assignment, which is returned.
func RecordAssignment(ctx context.Context, q Querier, a CaseAssignment) (CaseAssignment, error) {
	err := q.QueryRow(ctx, `WITH ins AS (
			INSERT INTO case_assignments (invoice_id, experiment, arm, policy_name, policy_version, share_percent)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (invoice_id) DO NOTHING
			RETURNING invoice_id, experiment, arm, policy_name, policy_version, share_percent)
		SELECT * FROM ins
		UNION ALL
		SELECT invoice_id, experiment, arm, policy_name, policy_version, share_percent FROM case_assignments
		WHERE invoice_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
		a.InvoiceID, a.Experiment, a.Arm, a.PolicyName, a.PolicyVersion, a.SharePercent).
		Scan(&a.InvoiceID, &a.Experiment, &a.Arm, &a.PolicyName, &a.PolicyVersion, &a.SharePercent)
	if err != nil {
		return a, fmt.Errorf("record the arm of case %s: %w", a.InvoiceID, err)
	}
	return a, nil
}
