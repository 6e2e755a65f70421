// Package calls holds the pure rule of call tasks' urgency (when a call
// may be placed is the contact rules' business: domain.NextInWindow).
package calls

// Priority orders a collector's calls: one point per 10 currency units
// owed (capped at 100 000), ten per day overdue (capped at a year) and a
// thousand per broken promise, because a debtor who broke a promise needs
// a person more than a larger, fresher debt does.
func Priority(balanceCents int64, daysOverdue, brokenPromises int) int64 {
	amount := min(max(balanceCents, 0)/1000, 10_000)
	age := int64(min(max(daysOverdue, 0), 365)) * 10
	return amount + age + int64(max(brokenPromises, 0))*1000
}
