package store

import (
	"context"
	"fmt"
	"time"
)

// noticeTemplates are the letters that put a debtor on notice (Code civil
// 1344): the formal notice and the notices that repeat it.
var noticeTemplates = []string{"formal_notice", "second_notice", "final_notice"}

// FormalNoticeAt returns when an invoice's first formal notice took effect:
// the day its acknowledgement of receipt was signed when known, else the
// day it was sent (an unclaimed registered letter still puts the debtor on
// notice). Zero when no notice went out; a letter that failed or came back
// undeliverable does not count.
func FormalNoticeAt(ctx context.Context, q Querier, invoiceID string) (time.Time, error) {
	var at *time.Time
	err := q.QueryRow(ctx, `SELECT min(coalesce(acknowledged_at, sent_at)) FROM interactions
		WHERE invoice_id = $1 AND template = ANY($2) AND sent_at IS NOT NULL
		  AND channel IN ('letter', 'registered_letter')
		  AND status NOT IN ('failed', 'undeliverable', 'skipped', 'bounced')`, invoiceID, noticeTemplates).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("formal notice of invoice %s: %w", invoiceID, err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}
