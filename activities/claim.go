package activities

import (
	"context"
	"errors"
	"time"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// claimOf states the claim on an invoice's balance as of now: late
// interest by debtor type from the rate table — business: from the day
// after the due date (C. com. L441-10); consumer: from the formal notice
// (C. civ. 1231-6), which noticeNow says is the letter being written — and
// the 40 € indemnity for a business debtor (D441-5). A half-year missing
// from the table leaves the interest out, stated as not computed in
// RatesMissing, never guessed; callers that claim the interest as money
// refuse such a split.
func (a *ChannelActivities) claimOf(ctx context.Context, d store.Debtor, inv store.InvoiceDoc, balance domain.Money, now time.Time, noticeNow bool) (domain.ClaimSplit, error) {
	terms := domain.InterestTerms{Business: d.IsBusiness, DueDate: inv.DueDate}
	if !d.IsBusiness {
		at, err := store.FormalNoticeAt(ctx, a.store.Pool, inv.ID)
		if err != nil {
			return domain.ClaimSplit{}, err
		}
		if at.IsZero() && noticeNow {
			at = now
		}
		terms.NoticeAt = at
	}
	rates, err := store.RateTable(ctx, a.store.Pool)
	if err != nil && !errors.Is(err, domain.ErrRateMissing) {
		return domain.ClaimSplit{}, err
	}
	var li domain.LateInterest
	if err == nil {
		li, err = domain.ComputeLateInterest(balance, terms, now, rates)
	}
	if err != nil {
		// Only a missing rate gets here: the interest is not stated.
		li = domain.LateInterest{Basis: domain.BasisConsumer, Currency: balance.Currency,
			IndemnityCents: domain.IndemnityOwed(terms, balance, now)}
		if d.IsBusiness {
			li.Basis = domain.BasisBusiness
		}
		split := domain.SplitClaim(balance, inv.DueDate, now, li)
		split.RatesMissing = err.Error()
		if a.logger != nil {
			a.logger.Warn("late interest not computed", "invoice_id", inv.ID, "error", err)
		}
		return split, nil
	}
	split := domain.SplitClaim(balance, inv.DueDate, now, li)
	if split.RateBP == 0 {
		// No interest has run yet (a consumer's first notice): the notice
		// still states the rate of the half-year it starts in.
		if r, err := rates.For(domain.HalfYearOf(now)); err == nil {
			split.RateBP = terms.RateBP(r)
		}
	}
	return split, nil
}
