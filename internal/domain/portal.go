package domain

import "time"

// PortalRules are a policy's bounds on what a debtor may settle alone in
// the portal: inside them a promise or a plan is accepted at once; outside
// them it becomes a task for the collector.
type PortalRules struct {
	// LinkTTL is how long a personal link stays valid (default 60 days).
	LinkTTL Duration `json:"link_ttl,omitempty"`
	// MaxPromiseDays is the furthest a promised date may be from today
	// (default 30).
	MaxPromiseDays int `json:"max_promise_days,omitempty"`
	// MaxInstallments bounds a plan's installments (default 6).
	MaxInstallments int `json:"max_installments,omitempty"`
	// MinInstallmentCents is the smallest installment (default 50.00).
	MinInstallmentCents int64 `json:"min_installment_cents,omitempty"`
	// MaxPlanDays is the furthest the last installment may be (default 180).
	MaxPlanDays int `json:"max_plan_days,omitempty"`
	// MaxRequestDays is the furthest date a debtor may propose at all,
	// for a collector to decide (default 365): beyond it the portal refuses.
	MaxRequestDays int `json:"max_request_days,omitempty"`
}

// Defaults of the portal rules.
const (
	DefaultLinkTTL             = Duration(60 * 24 * time.Hour)
	DefaultMaxPromiseDays      = 30
	DefaultMaxInstallments     = 6
	DefaultMinInstallmentCents = 5000
	DefaultMaxPlanDays         = 180
	DefaultMaxRequestDays      = 365
)

// WithDefaults fills the unset bounds.
func (r PortalRules) WithDefaults() PortalRules {
	if r.LinkTTL <= 0 {
		r.LinkTTL = DefaultLinkTTL
	}
	if r.MaxPromiseDays <= 0 {
		r.MaxPromiseDays = DefaultMaxPromiseDays
	}
	if r.MaxInstallments <= 0 {
		r.MaxInstallments = DefaultMaxInstallments
	}
	if r.MinInstallmentCents <= 0 {
		r.MinInstallmentCents = DefaultMinInstallmentCents
	}
	if r.MaxPlanDays <= 0 {
		r.MaxPlanDays = DefaultMaxPlanDays
	}
	if r.MaxRequestDays <= 0 {
		r.MaxRequestDays = DefaultMaxRequestDays
	}
	return r
}

// PortalRules returns the policy's portal bounds, defaults filled.
func (p Policy) PortalRules() PortalRules {
	if p.Portal == nil {
		return PortalRules{}.WithDefaults()
	}
	return p.Portal.WithDefaults()
}
