-- +goose Up
-- One payment per provider object: Stripe sends both payment_intent.succeeded
-- and charge.succeeded for the same money, with different event IDs; both
-- name the same payment intent, so the second one books nothing.
CREATE UNIQUE INDEX payments_provider_ref_key ON payments (provider, provider_ref) WHERE provider_ref <> '';

-- +goose Down
DROP INDEX payments_provider_ref_key;
