package domain

import (
	"crypto/sha256"
	"encoding/binary"
)

// Arms of a champion/challenger test.
const (
	ArmChampion   = "champion"
	ArmChallenger = "challenger"
)

// AssignArm says whether a new case on champion runs on its challenger:
// a case falls in the challenger arm when its draw is below the
// challenger's share. The draw is uniform in [0, 1), computed from the
// SHA-256 of the invoice ID and the champion's name: random across
// invoices, but the same on every retry of the same case, so a retried
// start never moves a case from one arm to the other.
func AssignArm(champion Policy, invoiceID string) string {
	if champion.Challenger == "" || champion.ChallengerPercent <= 0 {
		return ArmChampion
	}
	if Draw(invoiceID, champion.Name) < float64(champion.ChallengerPercent)/100 {
		return ArmChallenger
	}
	return ArmChampion
}

// Draw is the case's uniform number in [0, 1) for an experiment.
func Draw(invoiceID, experiment string) float64 {
	h := sha256.Sum256([]byte(experiment + "\x00" + invoiceID))
	return float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
}
