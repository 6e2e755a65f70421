package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/relance/relance/internal/blockwatch"
	"github.com/relance/relance/internal/outhook"
)

// outgoingWebhooks is GET /v1/outgoing-webhooks: the delivery log of the
// webhooks Relance sends (newest first, each with its attempts).
func (a *API) outgoingWebhooks(c *gin.Context) {
	status := c.Query("status")
	switch status {
	case "", "pending", "delivered", "failed":
	default:
		invalid(c, "status", "must be pending, delivered or failed")
		return
	}
	limit := 100
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			invalid(c, "limit", "must be a whole number from 1 to 1000")
			return
		}
		limit = n
	}
	list, err := outhook.List(c.Request.Context(), a.Store.Pool, status, limit)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": list})
}

// signalLoop announces order-block changes to the ERP and delivers the
// queued webhooks every poll, until ctx ends. Each API replica may run it:
// an announcement is written once (blockwatch) and a webhook claimed by
// one deliverer at a time (outhook).
func (a *API) signalLoop(ctx context.Context, d *outhook.Deliverer, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if n, err := blockwatch.Sync(ctx, a.Store, a.today(), a.now(), a.blockBelow()); err != nil {
			a.Logger.Error("order-block signals", "err", err)
		} else if n > 0 {
			a.Logger.Info("order-block signals announced", "changes", n)
		}
		if n, err := d.DeliverDue(ctx); err != nil {
			a.Logger.Error("outgoing webhooks", "err", err)
		} else if n > 0 {
			a.Logger.Info("outgoing webhooks attempted", slog.Int("attempts", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
