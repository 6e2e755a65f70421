package main

import (
	"context"
	"errors"

	"github.com/relance/relance/internal/rfref"
	"github.com/relance/relance/internal/store"
)

// resolveReference names the invoice of a transfer whose event carries no
// invoice number but the ISO 11649 reference the portal gave for it. A
// reference that is not a valid RF reference, or one Relance never gave,
// changes nothing: the debtor ID, if any, decides as before.
func resolveReference(ctx context.Context, q store.Querier, ev *PaymentEvent) error {
	if !ev.Payment || ev.InvoiceNumber != "" || ev.Reference == "" {
		return nil
	}
	ref, err := rfref.Parse(ev.Reference)
	if err != nil {
		return nil
	}
	inv, err := store.InvoiceOfTransferReference(ctx, q, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ev.InvoiceNumber = inv.Number
	return nil
}
