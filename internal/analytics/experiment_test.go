package analytics

import "testing"

func TestProportionDifferenceOnKnownProportions(t *testing.T) {
	// Champion 90 paid of 400 (22.5 %), challenger 120 of 400 (30 %):
	// difference 7.5 points; Wald SE √(.225·.775/400 + .3·.7/400) = 0.0310,
	// CI 0.075 ± 1.96 × 0.0310 = [0.0142, 0.1358]; pooled p = 0.2625,
	// SE √(.2625·.7375·2/400) = 0.0311, z = 2.41, two-sided p = 0.0159.
	d := ProportionDifference(90, 400, 120, 400)
	checkFloat(t, "difference", d.Difference, f(0.075))
	checkFloat(t, "ci low", d.CILow, f(0.0142))
	checkFloat(t, "ci high", d.CIHigh, f(0.1358))
	checkFloat(t, "p", d.PValue, f(0.0159))
	if !d.Significant {
		t.Error("z = 2.41: want significant at 5 %")
	}
	// 100 vs 110 of 400: 2.5 points, CI [−0.0360, 0.0860], p = 0.4217: not significant.
	d = ProportionDifference(100, 400, 110, 400)
	checkFloat(t, "ci low", d.CILow, f(-0.036))
	checkFloat(t, "ci high", d.CIHigh, f(0.086))
	checkFloat(t, "p", d.PValue, f(0.4217))
	if d.Significant {
		t.Error("p = 0.42: want not significant")
	}
	if d = ProportionDifference(0, 0, 3, 10); d.Difference != nil || d.Significant {
		t.Errorf("an empty arm: %+v, want nothing", d)
	}
	if d = ProportionDifference(10, 10, 10, 10); d.PValue != nil || d.Significant {
		t.Errorf("no variance: %+v, want no test", d)
	}
}

func TestMeanDifferenceOnKnownSamples(t *testing.T) {
	// Champion 10, 12, 14, 16, 18 days (mean 14, variance 10); challenger
	// 6 … 14 (mean 10, variance 10): −4 days, SE √(10/5 + 10/5) = 2,
	// CI −4 ± 3.92 = [−7.9199, −0.0801], z = −2, p = 0.0455.
	d := MeanDifference([]float64{10, 12, 14, 16, 18}, []float64{6, 8, 10, 12, 14})
	checkFloat(t, "difference", d.Difference, f(-4))
	checkFloat(t, "ci low", d.CILow, f(-7.9199))
	checkFloat(t, "ci high", d.CIHigh, f(-0.0801))
	checkFloat(t, "p", d.PValue, f(0.0455))
	if !d.Significant {
		t.Error("want significant")
	}
	if d = MeanDifference([]float64{3}, []float64{1, 2}); d.Difference != nil {
		t.Errorf("one value in an arm: %+v, want nothing", d)
	}
}

func TestCompareArms(t *testing.T) {
	assigned := d("2026-02-01")
	c := func(arm string, paidOn string) ArmCase {
		inv := Invoice{AmountCents: 100, Issued: d("2026-01-15"), Due: d("2026-01-31")}
		if paidOn != "" {
			inv.Movements = []Movement{pay(paidOn, 100)}
		}
		policy := "standard-b2b"
		if arm == "challenger" {
			policy = "firm-b2b"
		}
		return ArmCase{Arm: arm, Policy: policy, Assigned: assigned, Invoice: inv}
	}
	cases := []ArmCase{
		c("champion", "2026-02-11"), c("champion", "2026-02-21"), c("champion", ""), c("champion", ""),
		c("challenger", "2026-02-06"), c("challenger", "2026-02-08"), c("challenger", "2026-02-10"), c("challenger", ""),
	}
	r := CompareArms("standard-b2b", Period{From: d("2026-02-01"), To: d("2026-02-28")}, cases)
	if r.Champion.Cases != 4 || r.Champion.Paid != 2 || r.Challenger.Cases != 4 || r.Challenger.Paid != 3 || r.Challenger.Policy != "firm-b2b" {
		t.Fatalf("arms = %+v %+v", r.Champion, r.Challenger)
	}
	checkFloat(t, "champion rate", r.Champion.RecoveryRate, f(0.5))
	checkFloat(t, "challenger rate", r.Challenger.RecoveryRate, f(0.75))
	// Champion paid after 10 and 20 days (mean 15); challenger 5, 7, 9 (mean 7).
	checkFloat(t, "champion days", r.Champion.MeanDaysToPay, f(15))
	checkFloat(t, "challenger days", r.Challenger.MeanDaysToPay, f(7))
	checkFloat(t, "rate difference", r.RecoveryRate.Difference, f(0.25))
	checkFloat(t, "days difference", r.DaysToPay.Difference, f(-8))
	if r.RecoveryRate.Significant {
		t.Error("2 of 4 against 3 of 4 cannot be significant")
	}
}
