package activities

import (
	"context"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// assignArm runs a new case of a champion naming a challenger on the arm
// its draw gives (domain.AssignArm), recording the arm on the case the
// first time; a case already assigned keeps its arm. A challenger that is
// not an active policy leaves the case on the champion, outside the test.
func (a *CaseActivities) assignArm(ctx context.Context, invoiceID string, champion domain.Policy, policies []domain.Policy) (domain.Policy, error) {
	if champion.Challenger == "" || champion.ChallengerPercent <= 0 {
		return champion, nil
	}
	byName := map[string]domain.Policy{}
	for _, p := range policies {
		byName[p.Name] = p
	}
	challenger, ok := byName[champion.Challenger]
	if !ok {
		return champion, nil
	}
	chosen := champion
	arm := domain.AssignArm(champion, invoiceID)
	if arm == domain.ArmChallenger {
		chosen = challenger
	}
	rec, err := store.RecordAssignment(ctx, a.Store.Pool, store.CaseAssignment{
		InvoiceID: invoiceID, Experiment: champion.Name, Arm: arm,
		PolicyName: chosen.Name, PolicyVersion: chosen.Version, SharePercent: champion.ChallengerPercent,
	})
	if err != nil {
		return champion, err
	}
	if first, ok := byName[rec.PolicyName]; ok {
		return first, nil
	}
	return chosen, nil
}
