-- +goose Up
-- The order-block signal of each debtor as last announced, so a change
-- (blocked ↔ unblocked) is announced once: the state row and the outgoing
-- webhook are written in the same transaction.
CREATE TABLE debtor_block_state (
    debtor_id   text PRIMARY KEY REFERENCES debtors(id),
    blocked     boolean NOT NULL,
    reasons     text[] NOT NULL DEFAULT '{}',
    score       int NOT NULL,
    changed_at  timestamptz NOT NULL
);

-- Outgoing webhooks (to the ERP): each is delivered until it is answered
-- 2xx or runs out of attempts; every attempt is logged below.
CREATE TABLE outgoing_webhooks (
    id               text PRIMARY KEY,       -- the event id the receiver dedupes on
    event            text NOT NULL,          -- debtor.blocked, debtor.unblocked
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz
);
CREATE INDEX outgoing_webhooks_due_idx ON outgoing_webhooks (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outgoing_webhooks_created_idx ON outgoing_webhooks (created_at DESC);

CREATE TABLE outgoing_webhook_attempts (
    id           bigserial PRIMARY KEY,
    webhook_id   text NOT NULL REFERENCES outgoing_webhooks(id),
    attempt      int NOT NULL,
    at           timestamptz NOT NULL,
    status_code  int,                        -- null when there was no answer
    error        text NOT NULL DEFAULT '',
    duration_ms  int NOT NULL
);
CREATE INDEX outgoing_webhook_attempts_webhook_idx ON outgoing_webhook_attempts (webhook_id, attempt);

-- +goose Down
DROP TABLE outgoing_webhook_attempts, outgoing_webhooks, debtor_block_state;
