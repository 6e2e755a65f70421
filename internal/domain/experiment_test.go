package domain

import (
	"fmt"
	"math"
	"testing"
)

func TestAssignArmSplitsAtTheShareAndIsStable(t *testing.T) {
	p := Policy{Name: "standard-b2b", Challenger: "firm-b2b", ChallengerPercent: 10}
	n, challengers := 20000, 0
	for i := range n {
		id := fmt.Sprintf("inv_%d", i)
		arm := AssignArm(p, id)
		if arm != AssignArm(p, id) {
			t.Fatalf("%s: two draws gave two arms", id)
		}
		if arm == ArmChallenger {
			challengers++
		}
	}
	// 10 % of 20,000: 2,000 ± 3 standard deviations (√(20,000 × 0.1 × 0.9) ≈ 42).
	if math.Abs(float64(challengers)-2000) > 3*42.4 {
		t.Errorf("%d challengers of %d, want about 2,000", challengers, n)
	}
	if AssignArm(Policy{Name: "x"}, "inv_1") != ArmChampion || AssignArm(Policy{Name: "x", Challenger: "y", ChallengerPercent: 100}, "inv_1") != ArmChallenger {
		t.Error("0 % must keep every case on the champion, 100 % move every case")
	}
}

func TestPolicyValidatesItsChallenger(t *testing.T) {
	base := DefaultPolicy()
	for _, c := range []struct {
		challenger string
		percent    int
		field      string
	}{{"", 10, "challenger"}, {"firm", 101, "challenger_percent"}, {"firm", -1, "challenger_percent"}, {base.Name, 10, "challenger"}, {"firm", 10, ""}} {
		p := base
		p.Challenger, p.ChallengerPercent = c.challenger, c.percent
		err := p.Validate()
		fe, _ := err.(FieldError)
		if fe.Field != c.field {
			t.Errorf("challenger %q %d%%: err %v, want a field error on %q", c.challenger, c.percent, err, c.field)
		}
	}
}
