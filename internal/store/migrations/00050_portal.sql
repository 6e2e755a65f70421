-- +goose Up
-- The debtor portal (services/portal): personal links, visits, card
-- checkouts started from it, transfer references, messages and dispute
-- attachments sent through it.

-- A personal link is a random secret shown once (in a message); only its
-- SHA-256 is stored. The id is for people and logs, never in a URL.
CREATE TABLE portal_links (
    id            text PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    debtor_id     text NOT NULL REFERENCES debtors(id),
    source        text NOT NULL DEFAULT '',          -- the interaction that carried it, or who issued it
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX portal_links_debtor_idx ON portal_links (debtor_id);

-- Every page a debtor opened (the case and the score may use them).
CREATE TABLE portal_visits (
    id          bigserial PRIMARY KEY,
    link_id     text NOT NULL REFERENCES portal_links(id),
    debtor_id   text NOT NULL REFERENCES debtors(id),
    page        text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_visits_debtor_idx ON portal_visits (debtor_id, at);

-- A card payment started from the portal. It moves no money: the payment
-- is booked only when the provider's signed webhook confirms it.
CREATE TABLE portal_checkouts (
    id                   text PRIMARY KEY,
    debtor_id            text NOT NULL REFERENCES debtors(id),
    link_id              text NOT NULL REFERENCES portal_links(id),
    provider             text NOT NULL CHECK (provider IN ('stripe', 'local')),
    provider_session_id  text NOT NULL DEFAULT '',
    amount_cents         bigint NOT NULL CHECK (amount_cents > 0),
    currency             char(3) NOT NULL,
    invoice_ids          text[] NOT NULL,
    status               text NOT NULL DEFAULT 'started' CHECK (status IN ('started', 'submitted')),
    created_at           timestamptz NOT NULL DEFAULT now(),
    submitted_at         timestamptz
);
CREATE INDEX portal_checkouts_debtor_idx ON portal_checkouts (debtor_id, created_at);

-- ISO 11649 creditor references given for bank transfers, one per invoice.
CREATE TABLE transfer_references (
    reference   text PRIMARY KEY,                    -- RF + 2 check digits + body
    invoice_id  text NOT NULL UNIQUE REFERENCES invoices(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Messages a debtor sent to the collector.
CREATE TABLE portal_messages (
    id          text PRIMARY KEY,
    debtor_id   text NOT NULL REFERENCES debtors(id),
    invoice_id  text REFERENCES invoices(id),
    link_id     text NOT NULL REFERENCES portal_links(id),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_messages_debtor_idx ON portal_messages (debtor_id, created_at);

-- Files joined to a dispute from the portal, checked by content and size.
CREATE TABLE portal_attachments (
    id            text PRIMARY KEY,
    debtor_id     text NOT NULL REFERENCES debtors(id),
    dispute_id    text NOT NULL REFERENCES disputes(id),
    filename      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes    int NOT NULL CHECK (size_bytes > 0),
    sha256        bytea NOT NULL,
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_attachments_dispute_idx ON portal_attachments (dispute_id);

-- The portal lists a debtor's open invoices oldest due first, a page at a time.
CREATE INDEX invoices_debtor_open_due_idx ON invoices (debtor_id, due_date, number) WHERE status = 'open';

-- +goose Down
DROP INDEX invoices_debtor_open_due_idx;
DROP TABLE portal_attachments, portal_messages, transfer_references, portal_checkouts, portal_visits, portal_links;
